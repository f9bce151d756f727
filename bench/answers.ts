// Answers: reachability latency on a 10,000-ENI, 50,000-rule inventory (compiling its policy,
// then diagnoses of random connections, p50/p99/max); security-policy analysis (per-rule hit
// counts, and a least-privilege proposal) over 10M stored simulator flows; and the baseline
// build (hour-of-week profiles of every ENI) and capacity answer over 30 days of simulated
// history.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { capacity } from '../src/analyze/capacity.js';
import { policyHits, proposeLeastPrivilege } from '../src/analyze/policy/policy-answers.js';
import { baselineProfiles } from '../src/analyze/profiles.js';
import { diagnose, diagnoseConfiguration } from '../src/analyze/reachability/diagnose.js';
import { hogs } from '../src/analyze/hogs.js';
import { storms } from '../src/analyze/storms.js';
import { BatchList } from '../src/sources/source.js';
import { loadExampleInventory, Simulator } from '../src/sources/simulator/index.js';
import { DuckDbStore } from '../src/store/duckdb/store.js';
import { largeInventoryDoc } from '../test/answers/large-inventory.js';
import { indexOf } from '../test/answers/support.js';
import type { Figure } from './run.js';

const POLICY_FLOWS = Number(process.env.BENCH_ANSWERS_FLOWS ?? 10_000_000);
const HISTORY_DAYS = 30;
const DIAGNOSES = 5000;

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * q))];
}

async function fill(store: DuckDbStore, sim: Simulator, until: (stored: number, windows: number) => boolean): Promise<{ flows: number; from: number; to: number }> {
  let stored = 0;
  let windows = 0;
  const pending: Promise<void>[] = [];
  const from = sim.startTime;
  while (!until(stored, windows)) {
    const list = new BatchList(32768);
    sim.nextWindow(list);
    windows++;
    for (const b of list.batches) {
      pending.push(store.append(b));
      stored += b.length;
    }
    if (pending.length > 16) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
  await store.flush();
  await store.compact();
  return { flows: stored, from, to: from + windows * sim.windowSeconds };
}

function reachability(out: Figure[]): void {
  let t = performance.now();
  const inv = indexOf(largeInventoryDoc(), 'large.yaml');
  out.push({ name: 'reachability: 10,000-ENI / 50,000-rule inventory indexed', value: performance.now() - t, unit: 'ms' });
  const enis = inv.enis;
  let seed = 1;
  const rnd = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const ports = [22, 80, 443, 5432, 6379, 8080];
  t = performance.now();
  diagnoseConfiguration(inv, { src: enis[0].id, dst: enis[1].id, port: 443 });
  out.push({ name: 'reachability: first diagnosis (compiles the policy)', value: performance.now() - t, unit: 'ms' });
  const times: number[] = [];
  for (let k = 0; k < DIAGNOSES; k++) {
    const s = enis[rnd(enis.length)];
    const d = rnd(3) === 0 ? enis[rnd(enis.length)] : s.vpc.enis[rnd(s.vpc.enis.length)];
    if (d === s) continue;
    const t0 = performance.now();
    diagnoseConfiguration(inv, { src: s.id, dst: rnd(2) ? d.id : d.ips[0], port: ports[rnd(ports.length)], deny: rnd(4) === 0 });
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  out.push({ name: `reachability: diagnosis p50 (${times.length} random connections, hops + deciding rules + fix)`, value: quantile(times, 0.5), unit: 'ms' });
  out.push({ name: 'reachability: diagnosis p99', value: quantile(times, 0.99), unit: 'ms' });
  out.push({ name: 'reachability: diagnosis max', value: times[times.length - 1], unit: 'ms' });
}

async function policy(out: Figure[], tmp: string): Promise<void> {
  const inv = loadExampleInventory();
  const store = new DuckDbStore({ dataDir: path.join(tmp, 'policy'), compactEveryMs: 0 });
  await store.start();
  try {
    const sim = new Simulator(inv, { seed: 5, windowSeconds: 60, startTime: 1_795_000_000 - (1_795_000_000 % 3600), flowsPerWindow: 20_000 });
    const { flows, from, to } = await fill(store, sim, (n) => n >= POLICY_FLOWS);
    const input = { store, range: { from, to }, inventory: inv };
    let t = performance.now();
    const hits = await policyHits(input);
    const s = (performance.now() - t) / 1000;
    out.push({ name: `policy: rule hit counts over ${(flows / 1e6).toFixed(1)}M flows (replayed through every group and ACL)`, value: s, unit: 's' });
    out.push({ name: 'policy: replay rate', value: Math.round(flows / s), unit: 'flows/s' });
    out.push({ name: 'policy: disagreeing verdicts in the replay', value: hits.disagreeing_flows, unit: 'flows' });
    t = performance.now();
    const lp = await proposeLeastPrivilege(input, 'sg-prod-app');
    out.push({ name: `policy: least-privilege set for sg-prod-app over ${(flows / 1e6).toFixed(1)}M flows`, value: (performance.now() - t) / 1000, unit: 's' });
    out.push({ name: 'policy: proposed rules for sg-prod-app', value: lp.rules.length, unit: 'rules' });
    // A diagnosis with its evidence: the configuration walk plus the records between the two ends.
    const times: number[] = [];
    for (let k = 0; k < 20; k++) {
      const s = inv.enis[(k * 7) % inv.enis.length];
      const d = inv.enis[(k * 13 + 5) % inv.enis.length];
      if (s === d) continue;
      const t0 = performance.now();
      await diagnose(inv, { src: s.id, dst: d.id, port: [22, 443, 5432, 6379][k % 4] }, input);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    out.push({ name: `reachability: diagnosis with observed records over ${(flows / 1e6).toFixed(1)}M flows, p50 (${times.length} connections)`, value: quantile(times, 0.5), unit: 'ms' });
    out.push({ name: 'reachability: diagnosis with observed records, max', value: times[times.length - 1], unit: 'ms' });
    t = performance.now();
    await storms(input);
    out.push({ name: `storms over ${(flows / 1e6).toFixed(1)}M flows`, value: (performance.now() - t) / 1000, unit: 's' });
    t = performance.now();
    await hogs(input);
    out.push({ name: `hogs over ${(flows / 1e6).toFixed(1)}M flows`, value: (performance.now() - t) / 1000, unit: 's' });
  } finally {
    await store.stop();
  }
}

async function baselines(out: Figure[], tmp: string): Promise<void> {
  const inv = loadExampleInventory();
  const store = new DuckDbStore({ dataDir: path.join(tmp, 'history'), compactEveryMs: 0 });
  await store.start();
  try {
    const sim = new Simulator(inv, { seed: 6, windowSeconds: 300, startTime: 1_795_000_000 - (1_795_000_000 % 86400), flowsPerWindow: 300 });
    const windows = (HISTORY_DAYS * 86400) / 300;
    const { flows, from, to } = await fill(store, sim, (_n, w) => w >= windows);
    out.push({ name: `baselines: ${HISTORY_DAYS} days of simulated history stored`, value: flows, unit: 'flows' });
    const input = { store, range: { from, to }, inventory: inv };
    let t = performance.now();
    const p = await baselineProfiles(input, { level: 'eni', limit: inv.enis.length, window: 300 });
    out.push({ name: `baselines: hour-of-week profiles of ${p.profiles.length} ENIs over ${HISTORY_DAYS} days (4 metrics, 5-min windows)`, value: (performance.now() - t) / 1000, unit: 's' });
    t = performance.now();
    await baselineProfiles(input, { level: 'subnet', limit: inv.subnets.length, window: 300 });
    out.push({ name: `baselines: hour-of-week profiles of every subnet over ${HISTORY_DAYS} days`, value: (performance.now() - t) / 1000, unit: 's' });
    t = performance.now();
    await capacity(input, { level: 'eni', limit: inv.enis.length });
    out.push({ name: `capacity: utilisation, trend and growth of every ENI over ${HISTORY_DAYS} days (hourly)`, value: (performance.now() - t) / 1000, unit: 's' });
  } finally {
    await store.stop();
  }
}

export async function run(): Promise<Figure[]> {
  const out: Figure[] = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-bench-answers-'));
  try {
    reachability(out);
    await baselines(out, tmp);
    await policy(out, tmp);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const f of await run()) process.stdout.write(`${f.name}: ${f.value} ${f.unit}\n`);
}
