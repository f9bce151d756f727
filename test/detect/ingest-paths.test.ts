// Alerts do not depend on how flows arrive: the same traffic offered live in small batches and
// imported in large ones raises the same alerts, with the same windows and counts; and
// `flowlogs alerts` lists, shows, acknowledges and resolves them from the data directory.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { alertsConfig } from '../../src/alerts/config.js';
import { ThreatDetection } from '../../src/alerts/threat-detection.js';
import { alertsVerb } from '../../src/cli/alerts.js';
import { intelConfig } from '../../src/intel/config.js';
import { MetricsRegistry } from '../../src/metrics/registry.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import type { FlowBatch } from '../../src/schema/batch.js';
import { DuckDbStore } from '../../src/store/duckdb/store.js';
import { Simulator, exampleThreatListPath, loadExampleInventory } from '../../src/sources/simulator/index.js';
import { BatchCollector, BatchList } from '../../src/sources/source.js';

const SCENARIOS = ['horizontal_scan', 'ssh_brute_force', 'known_bad_ip', 'broadcast_storm'];

async function ingest(mode: 'live' | 'import'): Promise<{ dir: string; alerts: ReturnType<ThreatDetection['center']['list']> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `flowlogs-${mode}-`));
  const store = new DuckDbStore({ dataDir: dir, compactEveryMs: 0, segments: { flushMs: 20, encoders: 0 } });
  await store.start();
  const metrics = new MetricsRegistry();
  const pipeline = new Pipeline(store, metrics, { maxBacklogRows: 100_000_000 });
  const inventory = loadExampleInventory();
  const detection = new ThreatDetection({ alerts: alertsConfig.parse({}), intel: intelConfig.parse({ lists: [{ name: 'example', file: exampleThreatListPath() }] }), dataDir: dir, metrics, store, inventory, live: mode === 'live' });
  detection.attach(pipeline);
  await detection.start();
  const sim = new Simulator(inventory, { seed: 4, flowsPerWindow: 1500, scenarios: SCENARIOS.map((name, i) => ({ name, atWindow: 5 + i * 3, windows: 2 })) });
  const windows = 5 + SCENARIOS.length * 3 + 2;
  if (mode === 'live') {
    // A window at a time, in batches of 500, as collectors hand them on.
    for (let w = 0; w < windows; w++) {
      const list = new BatchList(500);
      sim.nextWindow(list);
      for (const b of list.batches) assert.equal(pipeline.offer(b, 'live'), true);
      await pipeline.drain();
    }
  } else {
    const pushes: Promise<void>[] = [];
    const c = new BatchCollector((b: FlowBatch) => pushes.push(pipeline.push(b, 'import')), 65536);
    for (let w = 0; w < windows; w++) sim.nextWindow(c);
    c.flush();
    await Promise.all(pushes);
  }
  await pipeline.drain();
  await detection.stop();
  await store.stop();
  return { dir, alerts: detection.center.list({}, 10_000) };
}

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let o = '';
  let e = '';
  out.on('data', (d) => (o += d));
  err.on('data', (d) => (e += d));
  let code: number;
  try {
    code = await alertsVerb.run(argv, { out, err });
  } catch (x) {
    code = -1;
    e += (x as Error).message;
  }
  return { code, out: o, err: e };
}

test('live and imported, the same traffic raises the same alerts; the CLI manages them', { timeout: 120_000 }, async () => {
  const live = await ingest('live');
  const imported = await ingest('import');
  const view = (a: (typeof live.alerts)[number]) => [a.id, a.rule, a.key, a.severity, a.first_seen, a.last_seen, a.windows, a.flows, a.evidence.query, a.evidence.from, a.evidence.to].join(' ');
  assert.ok(live.alerts.length >= 5, `${live.alerts.length} alerts`);
  assert.deepEqual(live.alerts.map(view).sort(), imported.alerts.map(view).sort());
  assert.deepEqual([...new Set(imported.alerts.map((a) => a.detector))].sort(), ['beaconing', 'broadcast_storm', 'brute_force', 'horizontal_scan', 'threat_intel']);

  const dir = imported.dir;
  const list = await cli('list', '--format', 'jsonl', '--data', dir);
  assert.equal(list.code, 0, list.err);
  const lines = list.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
  assert.equal(lines.length, imported.alerts.length);
  for (const l of lines) {
    assert.ok(l.id && l.detector && l.severity && l.title);
    assert.ok(Array.isArray(l.entities.addresses) && Array.isArray(l.entities.interfaces) && Array.isArray(l.entities.ports) && Array.isArray(l.entities.protocols));
    assert.equal(typeof l.evidence.query, 'string');
    assert.ok(l.evidence.from < l.evidence.to);
    assert.equal(l.rev, undefined);
  }
  const brute = lines.find((l) => l.detector === 'brute_force')!;
  assert.deepEqual(brute.entities.ports, [22]);
  assert.deepEqual(brute.entities.protocols, [6]);

  const shown = await cli('show', brute.id, '--data', dir);
  assert.match(shown.out, /^id +al_/m);
  assert.match(shown.out, /^evidence +src_addr:\S+ AND dst_addr:\S+ AND dst_port:22 AND protocol:6$/m);
  assert.equal((await cli('ack', brute.id, '--by', 'dana', '--note', 'blocked at the edge', '--data', dir)).code, 0);
  const acked = JSON.parse((await cli('show', brute.id, '--format', 'jsonl', '--data', dir)).out);
  assert.deepEqual([acked.status, acked.acknowledged_by, acked.note], ['acknowledged', 'dana', 'blocked at the edge']);
  assert.equal((await cli('resolve', brute.id, '--data', dir)).code, 0);
  const open = (await cli('list', '--format', 'jsonl', '--data', dir)).out.trim().split('\n').map((l) => JSON.parse(l).id);
  assert.ok(!open.includes(brute.id));
  const all = (await cli('list', '--status', 'all', '--detector', 'brute_force', '--format', 'jsonl', '--data', dir)).out.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(all.map((a) => [a.id, a.status]), [[brute.id, 'resolved']]);
  const table = await cli('list', '--status', 'all', '--data', dir);
  assert.match(table.out, /^id +severity +status +detector +last_seen +windows +flows +title$/m);
  assert.match(table.err, new RegExp(`^${lines.length} alerts\\n$`));

  assert.match((await cli('show', 'al_missing', '--data', dir)).err, /no alert with id 'al_missing'/);
  assert.match((await cli('list', '--severity', 'urgent', '--data', dir)).err, /--severity: 'urgent' must be one of low, medium, high, critical/);
  assert.match((await cli('frobnicate', '--data', dir)).err, /unknown action 'frobnicate'/);
  const rules = await cli('rules', '--format', 'jsonl', '--data', dir);
  assert.ok(rules.out.split('\n').some((l) => l.includes('"id":"vertical_scan_slow"')));
  fs.rmSync(live.dir, { recursive: true });
  fs.rmSync(dir, { recursive: true });
});
