import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { MetricsRegistry } from '../../src/metrics/registry.js';
import { elasticsearchSettings, elasticsearchSink } from '../../src/sinks/elasticsearch/elasticsearch-sink.js';
import { Sink } from '../../src/sinks/sink.js';
import { splunkSettings, splunkSink } from '../../src/sinks/splunk/splunk-sink.js';
import { awsSampleBatch } from '../../src/sinks/test-support.js';
import { silentLogger } from '../../src/util/log.js';
import { runOutage } from './outage.js';
import { FakeElasticsearch } from './servers/elasticsearch.js';
import { HttpReceiver, type Received } from './servers/http-receiver.js';
import { FakeSplunk } from './servers/splunk.js';

const SECRET = 'webhook-secret-0123456789';

/** What a webhook receiver does: check the signature (over "<timestamp>.<body>"), keep each batch once. */
function webhookReceiver() {
  const batches = new Map<string, number[]>();
  let badSignatures = 0;
  const handle = (r: Received) => {
    const ts = String(r.headers['x-flowlogs-timestamp']);
    const expected = 'sha256=' + createHmac('sha256', SECRET).update(`${ts}.`).update(r.body).digest('hex');
    if (r.headers['x-flowlogs-signature'] !== expected) {
      badSignatures++;
      return { status: 401 };
    }
    const doc = JSON.parse(r.body.toString()) as { batch: string; count: number; records: { bytes: number }[] };
    assert.equal(doc.batch, r.headers['x-flowlogs-batch']);
    assert.equal(doc.count, doc.records.length);
    batches.set(doc.batch, doc.records.map((x) => x.bytes));
    return { status: 204 };
  };
  return { batches, handle, bad: () => badSignatures };
}

test('webhook: signed, batched JSON; a receiver outage (and a flowlogs restart during it) loses nothing', async () => {
  const rx = webhookReceiver();
  const server = new HttpReceiver(rx.handle);
  await server.start();
  await runOutage({
    settings: { type: 'webhook', url: `${server.url}/hooks/flows`, secret: SECRET, gzip: true, timeout_ms: 2000, batch: { max_records: 500 } },
    restartDuringOutage: true,
    stopTarget: () => server.stop(),
    startTarget: () => server.start(),
    readBack: async () => [...rx.batches.values()].flat(),
  });
  assert.equal(rx.bad(), 0);
  assert.ok(server.requests.every((r) => r.path === '/hooks/flows' && r.headers['content-encoding'] === 'gzip'));
  await server.stop();
});

test('Elasticsearch (a stand-in speaking the bulk API): ECS documents in daily indices under a template; retried bulks create no duplicates', async () => {
  const es = new FakeElasticsearch();
  const server = new HttpReceiver(es.handle);
  await server.start();
  es.throttleNext = 3;
  await runOutage({
    settings: { type: 'elasticsearch', url: server.url, index: 'vpcflows', timeout_ms: 2000 },
    stopTarget: () => server.stop(),
    startTarget: () => server.start(),
    readBack: async () => [...es.indices.values()].flatMap((ix) => [...ix.values()].map((d) => (d.source as { bytes: number }).bytes)),
  });
  assert.deepEqual(es.templates.get('vpcflows')?.index_patterns, ['vpcflows-*']);
  for (const name of es.indices.keys()) assert.match(name, /^vpcflows-\d{4}\.\d{2}\.\d{2}$/);
  await server.stop();

  // The sample records, as documents: index by window end, ECS fields, _id = batch id + row.
  const es2 = new FakeElasticsearch();
  const server2 = new HttpReceiver(es2.handle);
  await server2.start();
  const settings = elasticsearchSettings.parse({ type: 'elasticsearch', url: server2.url, flow_logs: 'all' });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-es-'));
  const metrics = new MetricsRegistry();
  const sink = new Sink('es', settings, elasticsearchSink.create(settings, { name: 'es', stateDir: dir, log: silentLogger, metrics }), { max_records: 100, max_wait_ms: 10 }, { stateDir: dir, metrics });
  await sink.start();
  sink.tap(awsSampleBatch());
  assert.equal(await sink.idle(), true);
  await sink.stop();
  // Line 4 ends 2014-12-14T04:07:50Z; line 1 ends 2016-10-31T11:37:00Z.
  const dec14 = es2.indices.get('flowlogs-2014.12.14')!;
  assert.equal(dec14.size, 2);
  const ssh = [...dec14.entries()].find(([, d]) => (d.destination as { port: number }).port === 22)!;
  assert.match(ssh[0], /^es-[0-9a-f]+-1-3$/);
  assert.equal((ssh[1].event as { outcome: string }).outcome, 'allow');
  assert.equal((ssh[1].network as { community_id: string }).community_id, '1:Ln/vlDqu658GHymxjnRAaUF8KS4=');
  assert.equal(es2.indices.get('flowlogs-2016.10.31')!.size, 1);
  await server2.stop();
});

test('Splunk HEC (a stand-in speaking the documented protocol): events with time and batch fields; a wrong token is retried, not dropped', async () => {
  const hec = new FakeSplunk('11111111-2222-3333-4444-555555555555');
  const server = new HttpReceiver(hec.handle);
  await server.start();
  await runOutage({
    settings: { type: 'splunk', url: server.url, token: '11111111-2222-3333-4444-555555555555', index: 'netflow', timeout_ms: 2000 },
    stopTarget: () => server.stop(),
    startTarget: () => server.start(),
    // HEC keeps duplicates; a search drops them by the indexed batch/row fields.
    readBack: async () => {
      const seen = new Set<string>();
      return hec.events.filter((e) => !seen.has(`${e.fields.flowlogs_batch}/${e.fields.flowlogs_row}`) && seen.add(`${e.fields.flowlogs_batch}/${e.fields.flowlogs_row}`)).map((e) => (e.event as { bytes: number }).bytes);
    },
  });
  assert.ok(hec.events.every((e) => e.index === 'netflow' && e.sourcetype === 'flowlogs:flow'));
  const e = hec.events[0];
  assert.equal(e.time, (e.event as { end: number }).end, 'HEC time is the window end');
  assert.match(e.fields.flowlogs_batch, /^s-[0-9a-f]+-\d+$/);
  await server.stop();

  const wrong = new FakeSplunk('right-token');
  const s2 = new HttpReceiver(wrong.handle);
  await s2.start();
  const settings = splunkSettings.parse({ type: 'splunk', url: s2.url, token: 'wrong-token', flow_logs: 'all', retry: { initial_ms: 10, max_ms: 20 } });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-hec-'));
  const metrics = new MetricsRegistry();
  const sink = new Sink('h', settings, splunkSink.create(settings, { name: 'h', stateDir: dir, log: silentLogger, metrics }), { max_records: 100, max_wait_ms: 10 }, { stateDir: dir, metrics });
  await sink.start();
  sink.tap(awsSampleBatch());
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(metrics.find('flowlogs_sink_retries_total')!.get({ sink: 'h' }) >= 3);
  assert.equal(sink.queuedRecords, 7);
  assert.equal(metrics.find('flowlogs_sink_rejected_records_total')!.get({ sink: 'h' }), 0);
  await sink.stop();
  await s2.stop();
  assert.equal(wrong.events.length, 0);
});
