// Detection quality and speed.
//
// Quality: every simulator scenario injected into everyday traffic (the simulator's known-bad
// list as threat intelligence), scored against its ground truth: recall per scenario (its
// expected detectors that alerted), detection delay (windows from the attack's start to the
// end of the first alerting window) and precision over all alerts; then ≥ 10M flows of
// everyday traffic alone for false alerts per million benign flows. The Stratosphere
// captures (Zeek conn logs, labelled) with the IPsum snapshot as intelligence: precision,
// share of malicious flows inside some alert's evidence, false alerts per million benign flows.
//
// Speed: every built-in rule on one core over simulator traffic, and over traffic from 1M
// distinct sources (a quarter of it failed probes, so the scan tables fill), with the
// detectors' state size and the process's memory growth.

import { pathToFileURL } from 'node:url';
import { DetectionEngine } from '../src/detect/engine.js';
import { FlowBatch } from '../src/schema/batch.js';
import { SCENARIOS } from '../src/sources/simulator/index.js';
import { exampleIntel, ipsumIntel } from '../test/detect/intel-lists.js';
import { rulesFor, score, scoreLabelled, simulate } from '../test/detect/quality.js';
import { readZeekConn } from '../test/detect/zeek-conn.js';
import { testdata } from '../test/support/paths.js';

type Figure = { name: string; value: number; unit: string };

// The never-seen checks learn for three hours instead of a week, so the runs exercise them.
const LEARN = { uncommon_port: { learn_s: 10800 }, uncommon_protocol: { learn_s: 10800 } };
const WARMUP = 200;
const SPACING = 10;

const pct = (x: number) => Math.round(x * 1000) / 10;

async function simulatorQuality(out: Figure[], table: string[][]): Promise<void> {
  const run = await simulate({
    seed: 3,
    flowsPerWindow: 10_000,
    windows: WARMUP + SCENARIOS.length * SPACING,
    rules: rulesFor(60, LEARN),
    intel: exampleIntel(),
    scenarios: SCENARIOS.map((name, i) => ({ name, atWindow: WARMUP + i * SPACING, windows: 2 })),
  });
  const s = score(run);
  for (const x of s.scenarios) {
    const name = `detect.sim.${x.scenario}`;
    if (x.expected.length === 0) {
      out.push({ name: `${name}.alerts`, value: x.alerts, unit: 'alerts' });
      table.push([x.scenario, '(none expected)', '-', '-', String(x.alerts)]);
      continue;
    }
    out.push({ name: `${name}.recall`, value: pct(x.recall), unit: '%' });
    out.push({ name: `${name}.delay`, value: x.delayWindows ?? -1, unit: 'windows' });
    table.push([x.scenario, x.expected.join('+'), `${pct(x.recall)} %`, x.delayWindows === null ? 'missed' : `${x.delayWindows}`, String(x.alerts)]);
  }
  out.push({ name: 'detect.sim.precision', value: pct(s.precision), unit: '%' });
  out.push({ name: 'detect.sim.alerts', value: s.alerts, unit: 'alerts' });
  table.push(['(all scenarios)', `precision ${pct(s.precision)} %`, '', '', `${s.alerts} (${s.falseAlerts.length} false)`]);
  for (const a of s.falseAlerts) process.stderr.write(`  false alert: ${a.detector}: ${a.title}\n`);
}

async function benignRun(out: Figure[], table: string[][]): Promise<void> {
  const run = await simulate({ seed: 5, flowsPerWindow: 15_000, windows: 1200, rules: rulesFor(60, LEARN), intel: exampleIntel() });
  const perMillion = (run.alerts.length / run.flows) * 1e6;
  out.push({ name: 'detect.sim.benign_flows', value: run.flows, unit: 'flows' });
  out.push({ name: 'detect.sim.false_alerts_per_million_benign', value: perMillion, unit: 'alerts/M flows' });
  out.push({ name: 'detect.sim.throughput', value: Math.round(run.flows / run.detectSeconds), unit: 'flows/s (one core)' });
  table.push(['(everyday traffic only)', `${(run.flows / 1e6).toFixed(1)}M flows`, '', '', `${run.alerts.length} false`]);
  for (const a of run.alerts) process.stderr.write(`  false alert: ${a.detector}: ${a.title}\n`);
}

async function stratosphere(out: Figure[], table: string[][]): Promise<void> {
  const intel = ipsumIntel();
  const sets: [string, string[], (z: ReturnType<typeof readZeekConn>) => (r: number) => boolean][] = [
    ['001_njrat', ['001-zeek-scenario-malicious', 'labeled-conn.log'], (z) => (r) => z.labels[r] === 'Malicious'],
    // No per-line labels: the README names the RAT's connections (to 147.32.83.234:1337).
    ['003_android_rat', ['003-zeek-scenario-malicious', 'conn.log'], (z) => (r) => z.batch.getIp('dst_addr', r) === '147.32.83.234' || z.batch.getIp('src_addr', r) === '147.32.83.234'],
    ['008_mixed', ['008-zeek-mixed', 'data', 'conn.log.labeled'], (z) => (r) => z.labels[r] === 'Malicious'],
  ];
  for (const [name, file, label] of sets) {
    const z = readZeekConn(testdata('stratosphere-security-datasets', ...file));
    const r = await scoreLabelled(z.batch, label(z), rulesFor(60), intel);
    out.push({ name: `detect.stratosphere.${name}.alerts`, value: r.alerts, unit: 'alerts' });
    out.push({ name: `detect.stratosphere.${name}.precision`, value: pct(r.precision), unit: '%' });
    out.push({ name: `detect.stratosphere.${name}.malicious_flows_in_evidence`, value: pct(r.recall), unit: '%' });
    out.push({ name: `detect.stratosphere.${name}.false_alerts_per_million_benign`, value: r.falseAlertsPerMillionBenign, unit: 'alerts/M flows' });
    const by: Record<string, number> = {};
    for (const a of r.list) by[a.detector] = (by[a.detector] ?? 0) + 1;
    table.push([`stratosphere ${name}`, Object.entries(by).map(([k, v]) => `${k} ${v}`).join(', ') || '-', `${pct(r.recall)} % of malicious flows`, `precision ${pct(r.precision)} %`, `${r.alerts} (${r.falseAlerts} false)`]);
  }
}

/** Flows from 1M distinct sources: everyday connections, failed probes, SSH, outbound calls. */
function* manySources(total: number, sources: number, batchRows: number): Generator<FlowBatch> {
  const b = new FlowBatch(batchRows, { shared: false });
  let x = 0x9e3779b9;
  const rand = () => ((x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 4294967296);
  const start = 1_767_225_600;
  const flowsPerWindow = Math.max(1, Math.floor(total / 10));
  const names = Array.from({ length: 1000 }, (_, i) => `eni-${i}`);
  const codes = new Int32Array(1000);
  for (let n = 0; n < total; n += batchRows) {
    b.reset();
    codes.fill(-1);
    const c = b.cols;
    for (let i = 0; i < batchRows; i++) {
      const r = b.addRow();
      const k = n + i;
      const src = k % sources;
      const o = r * 4;
      c.src_addr[o + 2] = 0xffff;
      c.src_addr[o + 3] = (0x0b000000 + src * 7) >>> 0;
      c.dst_addr[o + 2] = 0xffff;
      const kind = rand();
      c.start[r] = start + Math.floor(k / flowsPerWindow) * 60;
      c.end[r] = c.start[r] + 60;
      c.first_ms[r] = c.start[r] * 1000 + Math.floor(rand() * 60000);
      c.protocol[r] = 6;
      c.src_port[r] = 32768 + Math.floor(rand() * 28000);
      c.packets[r] = 10;
      c.bytes[r] = 4000;
      c.direction[r] = kind < 0.5 ? 0 : 1;
      if (kind < 0.25) {
        // A probe that got nowhere.
        c.dst_addr[o + 3] = (0x0a000000 + Math.floor(rand() * 65536)) >>> 0;
        c.dst_port[r] = [22, 23, 445, 3389, 8080][Math.floor(rand() * 5)];
        c.tcp_flags[r] = 2;
        c.packets[r] = 1;
        c.bytes[r] = 60;
        c.action[r] = 1;
      } else if (kind < 0.3) {
        c.dst_addr[o + 3] = (0x0a000000 + (src % 4096)) >>> 0;
        c.dst_port[r] = 22;
        c.tcp_flags[r] = 0x1b;
      } else {
        c.dst_addr[o + 3] = kind < 0.6 ? (0x0a000000 + Math.floor(rand() * 65536)) >>> 0 : (0x34000000 + Math.floor(rand() * 1e6)) >>> 0;
        c.dst_port[r] = kind < 0.8 ? 443 : 5432;
        c.tcp_flags[r] = 0x1b;
        c.bytes[r] = 1000 + Math.floor(rand() * 1e5);
      }
      const e = src % 1000;
      if (codes[e] < 0) codes[e] = c.interface_id.dict.intern(names[e]);
      c.interface_id.codes[r] = codes[e];
    }
    yield b;
  }
}

const cpuSeconds = (t0: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / 1e6;
};

async function throughput(out: Figure[]): Promise<void> {
  const sources = 1_000_000;
  const total = 10_000_000;
  // Making the flows costs too: time that alone first, and count only the rest.
  let t0 = process.cpuUsage();
  for (const b of manySources(total, sources, 8192)) void b;
  const generation = cpuSeconds(t0);
  const engine = new DetectionEngine(rulesFor(60), { accept() {}, flush: async () => {} });
  (globalThis as { gc?: () => void }).gc?.();
  const rss0 = process.memoryUsage().rss;
  t0 = process.cpuUsage();
  for (const b of manySources(total, sources, 8192)) await engine.consume(b);
  await engine.flush();
  const seconds = cpuSeconds(t0) - generation;
  const state = Object.values(engine.stateBytes()).reduce((a, b) => a + b, 0);
  out.push({ name: 'detect.many_sources.throughput', value: Math.round(total / seconds), unit: 'flows/s (one core)' });
  out.push({ name: 'detect.many_sources.distinct_sources', value: sources, unit: 'sources' });
  out.push({ name: 'detect.many_sources.state', value: Math.round(state / 1e6), unit: 'MB' });
  out.push({ name: 'detect.many_sources.rss_growth', value: Math.round((process.memoryUsage().rss - rss0) / 1e6), unit: 'MB' });
}

export async function run(): Promise<Figure[]> {
  const out: Figure[] = [];
  const table: string[][] = [['scenario', 'expected detectors', 'recall', 'delay (windows)', 'alerts']];
  await simulatorQuality(out, table);
  await benignRun(out, table);
  await stratosphere(out, table);
  await throughput(out);
  const w = table[0].map((_, i) => Math.max(...table.map((r) => r[i].length)));
  process.stderr.write(table.map((r) => r.map((c, i) => c.padEnd(w[i])).join('  ').trimEnd()).join('\n') + '\n');
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of await run()) console.log(`${r.name}\t${r.value}\t${r.unit}`);
}
