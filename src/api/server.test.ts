import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { MetricsRegistry } from '../metrics/registry.js';
import { FlowBatch } from '../schema/batch.js';
import { DuckDbStore } from '../store/duckdb/store.js';
import { silentLogger } from '../util/log.js';
import { buildApi } from './server.js';
import { TokenStore } from './tokens.js';

const now = Math.floor(Date.now() / 1000);

async function setup(requireToken: boolean) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-api-'));
  const store = new DuckDbStore({ dataDir: dir, compactEveryMs: 0, segments: { flushMs: 10, encoders: 0 } });
  await store.start();
  const b = new FlowBatch(6);
  for (let i = 0; i < 6; i++)
    b.push({ account_id: i % 2 ? 'tenant-a' : 'tenant-b', interface_id: `eni-${i}`, src_addr: `10.0.0.${i}`, dst_addr: '10.0.1.1', dst_port: i < 3 ? 22 : 443, protocol: 6, bytes: 100 * i, packets: i, start: now - 60 * i, end: now - 60 * i + 60, action: i === 4 ? 'REJECT' : 'ACCEPT' });
  await store.append(b);
  const tokens = new TokenStore(path.join(dir, 'tokens.json'));
  const app = await buildApi({ version: 'test', store, metrics: new MetricsRegistry(), log: silentLogger, tokens, requireToken });
  return {
    app,
    tokens,
    async close() {
      await app.close();
      await store.stop();
      fs.rmSync(dir, { recursive: true });
    },
  };
}

test('flows are served newest first with exact filters', async () => {
  const s = await setup(false);
  const r = await s.app.inject({ url: '/api/flows?limit=5' });
  assert.equal(r.statusCode, 200);
  const body = r.json() as { count: number; flows: { start: number; src_addr: string }[] };
  assert.equal(body.count, 5);
  assert.ok(body.flows[0].start >= body.flows[4].start);
  const rej = (await s.app.inject({ url: '/api/flows?action=REJECT' })).json() as { flows: { src_addr: string }[] };
  assert.deepEqual(rej.flows.map((f) => f.src_addr), ['10.0.0.4']);
  const ssh = (await s.app.inject({ url: '/api/flows?dst_port=22&src_addr=10.0.0.1,10.0.0.2' })).json() as { flows: { src_addr: string }[] };
  assert.deepEqual(ssh.flows.map((f) => f.src_addr).sort(), ['10.0.0.1', '10.0.0.2']);
  const csv = await s.app.inject({ url: '/api/flows?format=csv&limit=1' });
  assert.match(csv.body, /^version,account_id,flow_log_id,interface_id/);
  assert.equal(csv.body.trim().split('\n').length, 2);
  await s.close();
});

test('bad parameters get 400 and say what is wrong', async () => {
  const s = await setup(false);
  const cases: [string, RegExp][] = [
    ['/api/flows?scr_addr=10.0.0.1', /unknown parameter 'scr_addr', did you mean 'src_addr'/],
    ['/api/flows?dst_port=ssh', /dst_port: 'ssh' is not a whole number/],
    ['/api/flows?from=yesterday', /--from: 'yesterday' is not a time/],
    ['/api/flows?limit=-1', /limit: '-1' is not a whole number/],
    ["/api/flows?src_addr=1'%20OR%201=1", /is not an IP address/],
  ];
  for (const [url, re] of cases) {
    const r = await s.app.inject({ url });
    assert.equal(r.statusCode, 400, url);
    assert.match((r.json() as { error: string }).error, re);
  }
  assert.equal((await s.app.inject({ url: '/api/nothing' })).statusCode, 404);
  await s.close();
});

test('with tokens, requests need one; tokens limited to accounts see only those', async () => {
  const s = await setup(true);
  const admin = await s.tokens.create('admin');
  const tenant = await s.tokens.create('tenant-a', ['tenant-a']);
  assert.equal((await s.app.inject({ url: '/api/flows' })).statusCode, 401);
  assert.equal((await s.app.inject({ url: '/api/flows', headers: { authorization: 'Bearer flt_wrong' } })).statusCode, 401);
  assert.equal((await s.app.inject({ url: '/metrics' })).statusCode, 401);
  assert.equal((await s.app.inject({ url: '/api/health' })).statusCode, 200, 'health stays open for load balancers');
  const all = (await s.app.inject({ url: '/api/flows', headers: { authorization: `Bearer ${admin}` } })).json() as { count: number };
  assert.equal(all.count, 6);
  const mine = (await s.app.inject({ url: '/api/flows', headers: { authorization: `Bearer ${tenant}` } })).json() as { flows: { account_id: string }[] };
  assert.equal(mine.flows.length, 3);
  assert.ok(mine.flows.every((f) => f.account_id === 'tenant-a'));
  const sneaky = (await s.app.inject({ url: '/api/flows?account_id=tenant-b', headers: { authorization: `Bearer ${tenant}` } })).json() as { flows: unknown[] };
  assert.equal(sneaky.flows.length, 0, 'asking for another tenant yields nothing');
  const stored = fs.readFileSync(path.join(path.dirname((s.tokens as unknown as { file: string }).file), 'tokens.json'), 'utf8');
  assert.ok(!stored.includes(admin) && !stored.includes(tenant), 'tokens are stored hashed');
  await s.close();
});
