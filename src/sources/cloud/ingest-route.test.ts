import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import zlib from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { testdata } from '../../../test/support/paths.js';
import type { ApiContext } from '../../api/context.js';
import { ingestRoutes, type IngestResult } from '../../api/routes/ingest.js';
import { buildApi } from '../../api/server.js';
import { TokenStore } from '../../api/tokens.js';
import { MetricsRegistry } from '../../metrics/registry.js';
import { Pipeline } from '../../pipeline/pipeline.js';
import { DuckDbStore } from '../../store/duckdb/store.js';
import { silentLogger } from '../../util/log.js';

const made: string[] = [];
after(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

function tmpDir(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(d);
  return d;
}

const ALL = { from: 0, to: 2 ** 32 };

async function server(): Promise<{ app: FastifyInstance; store: DuckDbStore; admin: string; tenant: string; metrics: MetricsRegistry }> {
  const dir = tmpDir('flowlogs-ingest-');
  const store = new DuckDbStore({ dataDir: dir, compactEveryMs: 0, segments: { flushMs: 20, encoders: 0 } });
  await store.start();
  const tokens = new TokenStore(path.join(dir, 'tokens.json'));
  const admin = await tokens.create('admin');
  const tenant = await tokens.create('tenant', ['123456789010']);
  const metrics = new MetricsRegistry();
  const pipeline = new Pipeline(store, metrics);
  const ctx = { version: 'test', store, metrics, log: silentLogger, tokens, requireToken: true, pipeline } as ApiContext & { pipeline: Pipeline };
  const app = await buildApi(ctx, [ingestRoutes]);
  return { app, store, admin, tenant, metrics };
}

const aws = fs.readFileSync(testdata('elastic-integrations', 'aws', 'test-extra-samples.log'));
const tencent = fs.readFileSync(testdata('tencent-cloud-docs', 'flowlog-samples.log'));

test('gzip bodies are stored durably and answered with counts; records are queryable at once', async () => {
  const { app, store, admin } = await server();
  const res = await app.inject({ method: 'POST', url: '/api/ingest/aws', headers: { authorization: `Bearer ${admin}`, 'content-encoding': 'gzip', 'content-type': 'text/plain' }, payload: zlib.gzipSync(aws) });
  assert.equal(res.statusCode, 200);
  const body = res.json() as IngestResult;
  assert.deepEqual(body, { format: 'aws', lines: 7, records: 7, rejected: {}, errors: [] });
  const rows = await store.sql("SELECT count(*) FROM flows WHERE account_id = '123456789010' AND action = 'REJECT'", ALL);
  // Lines 5 and 7 of the sample are REJECTs (expected facts: outcome deny).
  assert.deepEqual(rows.rows[0], [2]);
  // Auto-detection and JSON bodies (no content type parser gets in the way).
  const gcp = await app.inject({ method: 'POST', url: '/api/ingest/auto', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, payload: fs.readFileSync(testdata('elastic-integrations', 'gcp', 'vpcflow-first7.ndjson')) });
  assert.equal(gcp.statusCode, 200);
  assert.equal((gcp.json() as IngestResult).format, 'gcp');
  assert.equal((gcp.json() as IngestResult).records, 7);
  await app.close();
  await store.stop();
});

test('a token limited to some accounts may only ingest those accounts’ records', async () => {
  const { app, store, tenant, metrics } = await server();
  const mixed = Buffer.concat([aws, Buffer.from('\n'), tencent]);
  const res = await app.inject({ method: 'POST', url: '/api/ingest/aws', headers: { authorization: `Bearer ${tenant}` }, payload: mixed });
  assert.equal(res.statusCode, 200);
  const body = res.json() as IngestResult;
  assert.equal(body.records, 7);
  assert.deepEqual(body.rejected, { 'account not covered by the token': 4 });
  const only = await app.inject({ method: 'POST', url: '/api/ingest/tencent', headers: { authorization: `Bearer ${tenant}` }, payload: tencent });
  assert.equal(only.statusCode, 403);
  assert.equal((only.json() as IngestResult).records, 0);
  assert.deepEqual((await store.sql("SELECT count(*) FROM flows WHERE account_id = '1251762227'", ALL)).rows[0], [0]);
  assert.equal(metrics.counter('flowlogs_ingest_rejected_total', '').total(), 8);
  await app.close();
  await store.stop();
});

test('bad lines come back with their line numbers; nothing usable is a 400; unknown formats 404', async () => {
  const { app, store, admin } = await server();
  const body = Buffer.concat([aws.subarray(0, aws.indexOf('\n') + 1), Buffer.from('2 123456789010 eni-1 not-an-ip 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK\n')]);
  const res = await app.inject({ method: 'POST', url: '/api/ingest/aws', headers: { authorization: `Bearer ${admin}` }, payload: body });
  assert.equal(res.statusCode, 200);
  const r = res.json() as IngestResult;
  assert.equal(r.records, 1);
  assert.deepEqual(r.rejected, { 'bad address': 1 });
  assert.deepEqual(r.errors, [{ line: 2, reason: "bad address: 'not-an-ip' in srcaddr" }]);
  const bad = await app.inject({ method: 'POST', url: '/api/ingest/aws', headers: { authorization: `Bearer ${admin}` }, payload: 'garbage garbage\n' });
  assert.equal(bad.statusCode, 400);
  const gz = await app.inject({ method: 'POST', url: '/api/ingest/aws', headers: { authorization: `Bearer ${admin}`, 'content-encoding': 'gzip' }, payload: 'not gzip' });
  assert.equal(gz.statusCode, 400);
  assert.match(gz.json().error, /not valid gzip/);
  const unknown = await app.inject({ method: 'POST', url: '/api/ingest/oracle', headers: { authorization: `Bearer ${admin}` }, payload: 'x' });
  assert.equal(unknown.statusCode, 404);
  const anon = await app.inject({ method: 'POST', url: '/api/ingest/aws', payload: aws });
  assert.equal(anon.statusCode, 401);
  await app.close();
  await store.stop();
});
