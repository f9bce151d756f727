import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { exactFilter } from '../query/index.js';
import type { FlowRecord } from '../schema/batch.js';
import { BatchList } from '../sources/source.js';
import { loadExampleInventory, Simulator } from '../sources/simulator/index.js';
import { DuckDbStore } from '../store/duckdb/store.js';
import { autoBucket, bandwidth, mix, rejected, sankey, series, top, type AnalysisInput } from './analyses.js';

const START = 1_795_000_000 - (1_795_000_000 % 3600);
let dir: string;
let store: DuckDbStore;
let recs: FlowRecord[];
let input: AnalysisInput;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-analyze-'));
  store = new DuckDbStore({ dataDir: dir, compactEveryMs: 0, segments: { flushMs: 10, encoders: 0 } });
  await store.start();
  const sim = new Simulator(loadExampleInventory(), { seed: 3, windowSeconds: 60, startTime: START, flowsPerWindow: 300, scenarios: [{ name: 'sg_blocked_service', atWindow: 20, windows: 5 }] });
  const list = new BatchList(8192);
  for (let w = 0; w < 120; w++) sim.nextWindow(list);
  for (const b of list.batches) await store.append(b);
  await store.compact(); // part of the answers come from rollups
  recs = list.records();
  input = { store, range: { from: START, to: START + 7200 } };
});

after(async () => {
  await store.stop();
  fs.rmSync(dir, { recursive: true });
});

function sumBy(key: (r: FlowRecord) => string, val: (r: FlowRecord) => number, rs = recs): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of rs) m.set(key(r), (m.get(key(r)) ?? 0) + val(r));
  return m;
}

test('top talkers rank by bytes, packets, flows and distinct peers as the records say', async () => {
  const bytes = [...sumBy((r) => r.src_addr, (r) => r.bytes)].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 5);
  const t = await top(input, { by: 'src', metric: 'bytes', limit: 5 });
  assert.deepEqual(t.rows.map((r) => [r.src_addr, r.total_bytes]), bytes);
  const flows = [...sumBy((r) => r.interface_id, () => 1)].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 3);
  const f = await top(input, { by: 'eni', metric: 'flows', limit: 3 });
  assert.deepEqual(f.rows.map((r) => [r.interface_id, r.flows]), flows);
  const peers = new Map<string, Set<string>>();
  for (const r of recs) peers.set(r.dst_addr, (peers.get(r.dst_addr) ?? new Set()).add(r.src_addr));
  const p = await top(input, { by: 'dst', metric: 'peers', limit: 1 });
  const best = [...peers].sort((a, b) => b[1].size - a[1].size)[0];
  assert.equal(p.rows[0].peers, best[1].size);
  assert.match(t.evidence.query, /^\| SELECT src_addr/);
  await assert.rejects(top(input, { by: 'scr' }), /unknown dimension 'scr', did you mean 'src'/);
  // A tenant limited to another account sees nothing.
  const other = await top({ ...input, scope: exactFilter([{ field: 'account_id', values: ['999'] }]) }, { by: 'src' });
  assert.equal(other.rows.length, 0);
});

test('traffic over time uses an automatic bucket and adds up to the total', async () => {
  assert.equal(autoBucket({ from: 0, to: 3600 }), 30);
  assert.equal(autoBucket({ from: 0, to: 86400 }), 600);
  assert.equal(autoBucket({ from: 0, to: 30 * 86400 }), 3 * 3600);
  const s = await series(input, {});
  assert.equal(s.bucket, 30);
  const total = recs.reduce((n, r) => n + r.bytes, 0);
  assert.equal(s.points.reduce((n, p) => n + Number(p.total_bytes), 0), total);
  const first = s.points[0];
  assert.equal(first.bps, (Number(first.total_bytes) * 8) / 30);
  const split = await series(input, { split: 'eni', groups: 2, bucket: 600 });
  assert.equal(new Set(split.points.map((p) => p.group)).size, 2);
});

test('Sankey links join source and destination groups with the traffic between them', async () => {
  const s = await sankey(input, { from: 'vpc', to: 'protocol', limit: 50 });
  const want = sumBy((r) => `${r.vpc_id}|${r.protocol}`, (r) => r.bytes);
  for (const l of s.links) assert.equal(l.bytes, want.get(`${s.nodes[l.source].name}|${s.nodes[l.target].name}`));
  assert.ok(s.nodes.every((n, i) => s.links.some((l) => l.source === i || l.target === i)));
});

test('ENI bandwidth gives average, 95th percentile and peak over one-minute buckets', async () => {
  const b = await bandwidth(input, { limit: 1000 });
  const e = b.rows[0];
  const per = sumBy((r) => `${r.start - (r.start % 60)}`, (r) => r.bytes, recs.filter((r) => r.interface_id === e.interface_id && r.direction === e.direction));
  const bps = [...per.values()].map((v) => (v * 8) / 60);
  const total = bps.reduce((n, x) => n + x, 0);
  assert.ok(Math.abs(e.avg_bps - total / 120) < 1e-6);
  assert.equal(e.max_bps, Math.max(...bps));
  assert.ok(e.p95_bps <= e.max_bps && e.p95_bps >= e.avg_bps * 0.5);
});

test('rejected traffic and the protocol mix summarise what the records hold', async () => {
  const rej = recs.filter((r) => r.action === 'REJECT');
  assert.ok(rej.length > 0, 'the blocked-service scenario produced REJECTs');
  const r = await rejected(input, { limit: 3 });
  assert.equal(r.total.flows, rej.length);
  assert.equal(r.total.packets, rej.reduce((n, x) => n + x.packets, 0));
  assert.ok(r.rules.length > 0 && r.rules.every((x) => typeof x.rule_id === 'string'));
  const m = await mix(input, {});
  const tcp = recs.filter((x) => x.protocol === 6).reduce((n, x) => n + x.bytes, 0);
  assert.equal(m.protocols.find((p) => p.protocol === 6)?.total_bytes, tcp);
});
