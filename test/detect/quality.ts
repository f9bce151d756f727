// Measuring the detectors: runs the VPC simulator (with injected scenarios and their ground
// truth) through threat-list enrichment and the detectors into an alert center, then scores
// the alerts per scenario (recall, detection delay) and overall (precision, false alerts per
// million benign flows). Also scores labelled Zeek traffic (the Stratosphere captures). Shared
// by the tests and bench/detect.ts.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Alert } from '../../src/alerts/alert.js';
import { AlertLog } from '../../src/alerts/alert-log.js';
import { AlertCenter } from '../../src/alerts/center.js';
import { builtInRules } from '../../src/alerts/rules.js';
import { DetectionEngine, type DetectorRule } from '../../src/detect/engine.js';
import { compileRowFilter } from '../../src/detect/row-filter.js';
import type { IntelIndex } from '../../src/intel/intel-index.js';
import { IntelStage } from '../../src/intel/stage.js';
import type { InventoryIndex } from '../../src/inventory/inventory-index.js';
import { parseFilter } from '../../src/query/index.js';
import { FlowBatch } from '../../src/schema/batch.js';
import { Simulator, loadExampleInventory, type ScenarioRequest, type ScenarioTruth } from '../../src/sources/simulator/index.js';
import { BatchCollector } from '../../src/sources/source.js';

/** Which detectors each scenario should raise (troubleshooting scenarios: none). */
export const EXPECTED: Readonly<Record<string, readonly string[]>> = {
  horizontal_scan: ['horizontal_scan'],
  vertical_scan: ['vertical_scan'],
  broadcast_storm: ['broadcast_storm'],
  bandwidth_hog: ['bandwidth', 'exfiltration'],
  known_bad_ip: ['threat_intel', 'beaconing'],
  uncommon_protocol: ['uncommon_protocol'],
  ssh_brute_force: ['brute_force'],
  sg_blocked_service: [],
  acl_blocked_return: [],
};

/** The built-in rules at a window length, with parameter changes by rule id. */
export function rulesFor(windowSeconds: number, params: Record<string, Record<string, unknown>> = {}): DetectorRule[] {
  return builtInRules(windowSeconds).map((r) => ({ ...r, params: { ...r.params, ...(params[r.id] ?? {}) } }));
}

export interface SimulationOptions {
  seed: number;
  flowsPerWindow: number;
  windows: number;
  windowSeconds?: number;
  scenarios?: ScenarioRequest[];
  intel?: IntelIndex;
  rules: DetectorRule[];
  inventory?: InventoryIndex;
  /** Also given every batch after detection (a store, say). */
  onBatch?: (b: FlowBatch) => Promise<void>;
  /** Alert center directory (a fresh temp dir by default, removed after). */
  dataDir?: string;
}

export interface SimulationRun {
  alerts: Alert[];
  truths: ScenarioTruth[];
  flows: number;
  /** Flows of the scenarios (from the ground truth). */
  scenarioFlows: number;
  windowSeconds: number;
  /** CPU seconds spent in the detectors (enrichment excluded). */
  detectSeconds: number;
  engine: DetectionEngine;
}

export async function simulate(o: SimulationOptions): Promise<SimulationRun> {
  const inventory = o.inventory ?? loadExampleInventory();
  const W = o.windowSeconds ?? 60;
  const sim = new Simulator(inventory, { seed: o.seed, flowsPerWindow: o.flowsPerWindow, windowSeconds: W, scenarios: o.scenarios ?? [] });
  const dir = o.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-quality-'));
  const center = new AlertCenter(new AlertLog(dir));
  const engine = new DetectionEngine(o.rules, center, { inventory, intel: () => o.intel });
  const stage = new IntelStage(() => o.intel);
  const pending: FlowBatch[] = [];
  const collector = new BatchCollector((b) => pending.push(b), 8192);
  let flows = 0;
  let busy = 0;
  const feed = async () => {
    for (const b of pending.splice(0)) {
      stage.process(b);
      const t0 = process.cpuUsage();
      await engine.consume(b);
      const d = process.cpuUsage(t0);
      busy += (d.user + d.system) / 1e6;
      if (o.onBatch) await o.onBatch(b);
    }
  };
  for (let w = 0; w < o.windows; w++) {
    flows += sim.nextWindow(collector).flows;
    await feed();
  }
  collector.flush();
  await feed();
  await engine.flush();
  const alerts = center.list({}, Number.MAX_SAFE_INTEGER);
  if (!o.dataDir) fs.rmSync(dir, { recursive: true });
  const truths = sim.groundTruth();
  const scenarioFlows = truths.reduce((n, t) => n + t.expected.reduce((m, e) => m + e.records, 0), 0);
  return { alerts, truths, flows, scenarioFlows, windowSeconds: W, detectSeconds: busy, engine };
}

/** Whether an alert is about a scenario: overlapping in time, sharing an address (or an interface when it names no address). */
export function matchesTruth(a: Alert, t: ScenarioTruth, windowSeconds: number): boolean {
  if (a.first_seen >= t.end + windowSeconds || a.last_seen <= t.start) return false;
  if (a.entities.addresses.length > 0) return a.entities.addresses.some((x) => t.addresses.includes(x));
  return a.entities.interfaces.some((x) => t.enis.includes(x));
}

export interface ScenarioScore {
  scenario: string;
  expected: readonly string[];
  detected: string[];
  /** Expected detectors that raised an alert about it, as a fraction. */
  recall: number;
  /** From the scenario's start to the end of the first window that raised an expected alert, in simulator windows. */
  delayWindows: number | null;
  alerts: number;
}

export interface Score {
  scenarios: ScenarioScore[];
  alerts: number;
  truePositives: number;
  falseAlerts: Alert[];
  precision: number;
}

export function score(run: SimulationRun): Score {
  const W = run.windowSeconds;
  const scenarios: ScenarioScore[] = [];
  const tp = new Set<string>();
  for (const t of run.truths) {
    const expected = EXPECTED[t.scenario] ?? [];
    const about = run.alerts.filter((a) => matchesTruth(a, t, W));
    const relevant = about.filter((a) => expected.includes(a.detector));
    for (const a of relevant) tp.add(a.id);
    // Other detectors on the same attack (an uncommon port during a hog) are right too, but
    // only on security scenarios.
    if (expected.length > 0) for (const a of about) tp.add(a.id);
    const detected = [...new Set(relevant.map((a) => a.detector))].sort();
    const firstEnd = relevant.length ? Math.min(...relevant.map((a) => a.first_seen + a.window_s)) : null;
    scenarios.push({
      scenario: t.scenario,
      expected,
      detected,
      recall: expected.length ? detected.length / expected.length : 1,
      delayWindows: firstEnd === null ? null : (firstEnd - t.start) / W,
      alerts: relevant.length,
    });
  }
  const falseAlerts = run.alerts.filter((a) => !tp.has(a.id));
  return { scenarios, alerts: run.alerts.length, truePositives: tp.size, falseAlerts, precision: run.alerts.length ? tp.size / run.alerts.length : 1 };
}

export interface LabelledScore {
  alerts: number;
  /** Alerts whose evidence holds at least one malicious flow. */
  truePositives: number;
  precision: number;
  maliciousFlows: number;
  /** Malicious flows inside some alert's evidence. */
  coveredMalicious: number;
  recall: number;
  benignFlows: number;
  falseAlerts: number;
  falseAlertsPerMillionBenign: number;
}

/** Runs the detectors over labelled flows and scores the alerts against the labels. */
export async function scoreLabelled(batch: FlowBatch, malicious: (row: number) => boolean, rules: DetectorRule[], intel?: IntelIndex): Promise<LabelledScore & { list: Alert[] }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-labelled-'));
  const center = new AlertCenter(new AlertLog(dir));
  const engine = new DetectionEngine(rules, center, { intel: () => intel });
  new IntelStage(() => intel).process(batch);
  // Time order, as a capture would deliver it, in batches of 1024.
  const order = Array.from({ length: batch.length }, (_, i) => i).sort((a, b) => batch.cols.first_ms[a] - batch.cols.first_ms[b]);
  for (let i = 0; i < order.length; i += 1024) {
    const b = new FlowBatch(Math.min(1024, order.length - i), { shared: false });
    for (const r of order.slice(i, i + 1024)) b.appendRows(batch, r, r + 1);
    await engine.consume(b);
  }
  await engine.flush();
  const list = center.list({}, Number.MAX_SAFE_INTEGER);
  fs.rmSync(dir, { recursive: true });
  const covered = new Uint8Array(batch.length);
  let tp = 0;
  for (const a of list) {
    const test = compileRowFilter(parseFilter(a.evidence.query))(batch);
    let bad = false;
    for (let r = 0; r < batch.length; r++) {
      const s = batch.cols.start[r];
      if (s < a.evidence.from || s >= a.evidence.to || !test(r)) continue;
      if (malicious(r)) {
        bad = true;
        covered[r] = 1;
      }
    }
    if (bad) tp++;
  }
  let maliciousFlows = 0;
  let coveredMalicious = 0;
  for (let r = 0; r < batch.length; r++) {
    if (!malicious(r)) continue;
    maliciousFlows++;
    coveredMalicious += covered[r];
  }
  const benignFlows = batch.length - maliciousFlows;
  const falseAlerts = list.length - tp;
  return {
    list,
    alerts: list.length,
    truePositives: tp,
    precision: list.length ? tp / list.length : 1,
    maliciousFlows,
    coveredMalicious,
    recall: maliciousFlows ? coveredMalicious / maliciousFlows : 1,
    benignFlows,
    falseAlerts,
    falseAlertsPerMillionBenign: benignFlows ? (falseAlerts / benignFlows) * 1e6 : 0,
  };
}
