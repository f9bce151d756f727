// The full path, as the service and `flowlogs import` run it: simulated flows enriched with
// the threat list, stored in a data directory, judged by the detectors; then each alert's
// evidence query, run on the store over its time range, returns exactly the scenario's flows
// the alert is about (all of them, and, where the query is that precise, nothing else).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { alertsConfig } from '../../src/alerts/config.js';
import { ThreatDetection } from '../../src/alerts/threat-detection.js';
import type { Alert } from '../../src/alerts/alert.js';
import { intelConfig } from '../../src/intel/config.js';
import { MetricsRegistry } from '../../src/metrics/registry.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import { parseFilter } from '../../src/query/index.js';
import type { FlowBatch } from '../../src/schema/batch.js';
import { DuckDbStore } from '../../src/store/duckdb/store.js';
import { SCENARIOS, Simulator, exampleThreatListPath, loadExampleInventory, type ExpectedRecords, type ScenarioTruth } from '../../src/sources/simulator/index.js';
import { BatchCollector } from '../../src/sources/source.js';
import { matchesTruth } from './quality.js';

const W = 60;
const AT = 40; // after the baselines have 30 windows

/** Truth entries the alert is about, by detector (its subject, as its key names it). */
function subject(a: Alert, t: ScenarioTruth): ExpectedRecords[] {
  const [x, y, z] = a.key.split('|');
  switch (a.detector) {
    case 'horizontal_scan':
      return t.expected.filter((e) => e.src_addr === x && e.dst_port === Number(z));
    case 'vertical_scan':
    case 'brute_force':
      return t.expected.filter((e) => e.src_addr === x && e.dst_addr === y);
    case 'threat_intel':
      return t.expected.filter((e) => e.src_addr === x || e.dst_addr === x);
    case 'beaconing':
      return t.expected.filter((e) => e.src_addr === x && e.dst_addr === y);
    case 'broadcast_storm':
      return t.expected.filter((e) => e.interface_id === x);
    case 'uncommon_protocol':
      return t.expected.filter((e) => e.interface_id === x && e.protocol === Number(y));
    case 'uncommon_port':
      return t.expected.filter((e) => e.interface_id === x && e.direction === y && e.protocol === Number(z));
    case 'bandwidth':
    case 'exfiltration':
      return t.expected.filter((e) => e.interface_id === x && e.direction === 'egress');
    default:
      return [];
  }
}

/** Evidence that names the actors exactly; the others (an interface's sent bytes) hold everyday flows too. */
const EXACT = new Set(['horizontal_scan', 'vertical_scan', 'brute_force', 'threat_intel', 'beaconing', 'broadcast_storm', 'uncommon_protocol']);

const tupleOf = (b: FlowBatch, r: number) => `${b.getString('interface_id', r)}|${b.value({ name: 'direction', type: 'enum', unit: '', description: '', values: ['ingress', 'egress'] }, r)}|${b.getIp('src_addr', r)}|${b.getIp('dst_addr', r)}|${b.cols.protocol[r]}`;
const tupleOfEntry = (e: ExpectedRecords) => `${e.interface_id}|${e.direction}|${e.src_addr}|${e.dst_addr}|${e.protocol}`;

test('each alert\'s evidence query returns the flows that raised it', { timeout: 120_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-evidence-'));
  const store = new DuckDbStore({ dataDir: dir, compactEveryMs: 0, segments: { flushMs: 20, encoders: 0 } });
  await store.start();
  const metrics = new MetricsRegistry();
  const pipeline = new Pipeline(store, metrics);
  const inventory = loadExampleInventory();
  const detection = new ThreatDetection({
    alerts: alertsConfig.parse({ rules: [{ id: 'uncommon_port', params: { learn_s: 1800 } }, { id: 'uncommon_protocol', params: { learn_s: 1800 } }] }),
    intel: intelConfig.parse({ lists: [{ name: 'example', file: exampleThreatListPath() }] }),
    dataDir: dir,
    metrics,
    store,
    inventory,
  });
  detection.attach(pipeline);
  await detection.start();
  const sim = new Simulator(inventory, { seed: 21, flowsPerWindow: 2000, windowSeconds: W, scenarios: SCENARIOS.map((name, i) => ({ name, atWindow: AT + i * 4, windows: 2 })) });
  const pushes: Promise<void>[] = [];
  const collector = new BatchCollector((b) => pushes.push(pipeline.push(b, 'simulator')), 16384);
  for (let w = 0; w < AT + SCENARIOS.length * 4 + 2; w++) sim.nextWindow(collector);
  collector.flush();
  await Promise.all(pushes);
  await pipeline.drain();
  await detection.stop();
  const truths = sim.groundTruth();
  const alerts = detection.center.list({}, 10_000);
  assert.ok(alerts.length >= 9, `${alerts.length} alerts`);
  let checked = 0;
  for (const a of alerts) {
    const t = truths.find((x) => matchesTruth(a, x, W));
    assert.ok(t, `alert '${a.title}' matches no scenario`);
    const evidence = await store.flows({ range: { from: a.evidence.from, to: a.evidence.to }, filter: parseFilter(a.evidence.query), limit: 1_000_000 });
    const want = subject(a, t);
    assert.ok(want.length > 0, `${a.detector}: no truth entries for key ${a.key}`);
    const truthTuples = new Map(t.expected.map((e) => [tupleOfEntry(e), e]));
    // Every scenario flow the alert is about is in its evidence…
    const counts = new Map<string, number>();
    for (let r = 0; r < evidence.length; r++) counts.set(tupleOf(evidence, r), (counts.get(tupleOf(evidence, r)) ?? 0) + 1);
    // (A port is new only in the window it is first used: that alert covers that window.)
    for (const e of want) {
      const need = a.detector === 'uncommon_port' ? 1 : e.records;
      assert.ok((counts.get(tupleOfEntry(e)) ?? 0) >= need, `${a.detector} ${a.key}: evidence lacks ${tupleOfEntry(e)} (${counts.get(tupleOfEntry(e)) ?? 0} of ${need})`);
    }
    // …and, for queries that name the actors, nothing but the scenario's flows, as many as it made.
    if (EXACT.has(a.detector)) {
      for (const k of counts.keys()) assert.ok(truthTuples.has(k), `${a.detector} ${a.key}: evidence holds ${k}, not a scenario flow`);
      assert.equal(evidence.length, want.reduce((n, e) => n + e.records, 0), `${a.detector} ${a.key}`);
    }
    checked++;
  }
  assert.equal(checked, alerts.length);
  await store.stop();
  fs.rmSync(dir, { recursive: true });
});
