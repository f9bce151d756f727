// End to end over loopback: a replayer sends a NetFlow v9 stream (softflowd-like records, 34
// per 1400-byte datagram) at rising rates to `flowlogs serve` and, in the same run, to nfcapd
// (Debian's nfdump). For each, the highest rate at which every sent flow was stored, confirmed
// by a longer run; and, for flowlogs, the time from receipt to queryable under load.
//   BENCH_COLLECT_PROBE_S    seconds per rate step (default 10)
//   BENCH_COLLECT_CONFIRM_S  seconds of the confirming run (default 60)

import { spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { concat, dataSet, record, templateSet, v9Datagram, type FieldDef } from '../src/sources/netflow/datagram-builder.js';
import { IE } from '../src/sources/netflow/elements.js';
import { DuckDbStore } from '../src/store/duckdb/store.js';
import { repoRoot } from '../test/support/paths.js';
import type { Figure } from './run.js';
import { freeUdpPort, stop, waitForLine } from './support/processes.js';

const PROBE_S = Number(process.env.BENCH_COLLECT_PROBE_S ?? 10);
const CONFIRM_S = Number(process.env.BENCH_COLLECT_CONFIRM_S ?? 60);
const RATES = [10_000, 20_000, 30_000, 40_000, 50_000, 60_000, 80_000, 100_000, 125_000, 150_000];

const TEMPLATE: FieldDef[] = [
  { id: IE.sourceIPv4Address, length: 4 },
  { id: IE.destinationIPv4Address, length: 4 },
  { id: IE.sourceTransportPort, length: 2 },
  { id: IE.destinationTransportPort, length: 2 },
  { id: IE.protocolIdentifier, length: 1 },
  { id: IE.tcpControlBits, length: 1 },
  { id: IE.packetDeltaCount, length: 4 },
  { id: IE.octetDeltaCount, length: 4 },
  { id: IE.flowStartSysUpTime, length: 4 },
  { id: IE.flowEndSysUpTime, length: 4 },
  { id: IE.ingressInterface, length: 2 },
  { id: IE.egressInterface, length: 2 },
];
const PER_DATAGRAM = 34;
/** Both collectors get the same socket receive buffer (the kernel caps it at net.core.rmem_max). */
const RECEIVE_BUFFER = 32 * 1024 * 1024;
const TEMPLATE_ID = 1024;

/** The stream: one template datagram and 256 data datagrams with distinct flows. */
export function buildStream(): { template: Uint8Array; data: Uint8Array[] } {
  const now = Math.floor(Date.now() / 1000);
  const template = v9Datagram({ uptimeMs: 1_000_000, unixSecs: now, sequence: 0, sourceId: 1 }, [templateSet(9, [{ id: TEMPLATE_ID, fields: TEMPLATE }])]);
  const data: Uint8Array[] = [];
  let n = 0;
  for (let d = 0; d < 256; d++) {
    const recs = [];
    for (let i = 0; i < PER_DATAGRAM; i++, n++) {
      recs.push(
        record(TEMPLATE, [`10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`, `192.0.2.${n % 200}`, 1024 + (n % 60000), [443, 80, 53, 22][n % 4], n % 4 === 2 ? 17 : 6, 24, 1 + (n % 40), 64 + (n % 1400) * 7, 999_000, 999_900, 1 + (n % 8), 2]),
      );
    }
    data.push(v9Datagram({ uptimeMs: 1_000_000, unixSecs: now, sequence: d + 1, sourceId: 1, count: 1 }, [dataSet(TEMPLATE_ID, recs)]));
  }
  return { template, data };
}

/** Sends `rate` datagrams/s for `seconds` (plus a template every second); resolves with flows sent. */
function replay(port: number, rate: number, seconds: number): Promise<number> {
  const here = fileURLToPath(import.meta.url);
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [here, '--replay', String(port), String(rate), String(seconds)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('exit', (code) => (code === 0 ? resolve(Number(out.trim())) : reject(new Error(`replayer exited ${code}`))));
  });
}

async function replayerMain(port: number, rate: number, seconds: number): Promise<void> {
  const { template, data } = buildStream();
  const sock = dgram.createSocket({ type: 'udp4', sendBufferSize: 8 << 20 });
  const send = (d: Uint8Array) => new Promise<void>((r) => sock.send(d, port, '127.0.0.1', () => r()));
  await send(template);
  await new Promise((r) => setTimeout(r, 200));
  let sent = 0;
  const t0 = performance.now();
  let lastTemplate = t0;
  // Send in 2 ms slices, each catching up to where the schedule says we should be.
  while (performance.now() - t0 < seconds * 1000) {
    const due = Math.floor(((performance.now() - t0) / 1000) * rate);
    const batch: Promise<void>[] = [];
    while (sent < due) batch.push(send(data[sent++ % data.length]));
    await Promise.all(batch);
    if (performance.now() - lastTemplate > 1000) {
      await send(template);
      lastTemplate = performance.now();
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  sock.close();
  process.stdout.write(`${sent * PER_DATAGRAM}\n`);
}

/** flowlogs serve in its own process; returns flows stored for one run at `rate`. */
async function runOurs(tmp: string, rate: number, seconds: number): Promise<number> {
  const dir = fs.mkdtempSync(path.join(tmp, 'ours-'));
  const port = await freeUdpPort();
  const cfg = path.join(dir, 'config.yaml');
  fs.writeFileSync(cfg, `collectors:\n  listen: ["127.0.0.1:${port}"]\n  decoders: 1\n  receive_buffer_bytes: ${RECEIVE_BUFFER}\nstore:\n  data: ${dir}/data\n  retention_days: 0\n  compact_every_s: 3600\n`);
  const p = spawn(process.execPath, [path.join(repoRoot, 'bin', 'flowlogs.js'), 'serve', '--config', cfg, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  await waitForLine(p, /"url":"http/);
  const sent = await replay(port, rate, seconds);
  await new Promise((r) => setTimeout(r, 1500));
  await stop(p);
  const store = new DuckDbStore({ dataDir: `${dir}/data`, mode: 'reader' });
  await store.start();
  const stored = Number((await store.sql('SELECT count(*) FROM flows', { from: 0, to: 2 ** 32 })).rows[0][0]);
  await store.stop();
  fs.rmSync(dir, { recursive: true, force: true });
  return stored === sent ? sent : -Math.max(0, sent - stored);
}

/** nfcapd with a fair receive buffer; returns flows written for one run at `rate`. */
async function runNfcapd(tmp: string, rate: number, seconds: number): Promise<number> {
  const dir = fs.mkdtempSync(path.join(tmp, 'nfcapd-'));
  const port = await freeUdpPort();
  const p = spawn('nfcapd', ['-b', '127.0.0.1', '-p', String(port), '-w', dir, '-B', String(RECEIVE_BUFFER), '-t', '3600'], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise((r) => setTimeout(r, 800));
  const sent = await replay(port, rate, seconds);
  await new Promise((r) => setTimeout(r, 1500));
  await stop(p);
  const r = spawnSync('nfdump', ['-R', dir, '-I'], { encoding: 'utf8' });
  const m = /^Flows:\s+(\d+)/m.exec(r.stdout);
  fs.rmSync(dir, { recursive: true, force: true });
  const stored = m ? Number(m[1]) : 0;
  return stored === sent ? sent : -Math.max(0, sent - stored);
}

interface Step {
  /** Flows the replayer managed to send per second (it may fall short of the asked rate). */
  achieved: number;
  lost: number;
}

/** Highest zero-loss rate: probes rising rates, then confirms the best with a longer run. */
async function zeroLoss(run: (rate: number, seconds: number) => Promise<number>, log: (s: string) => void): Promise<number> {
  const step = async (rate: number, seconds: number): Promise<Step> => {
    const r = await run(rate, seconds);
    const s: Step = r >= 0 ? { achieved: r / seconds, lost: 0 } : { achieved: 0, lost: -r };
    log(`  asked ${rate} datagrams/s for ${seconds} s: ${s.lost ? `${s.lost} flows lost` : `no loss at ${Math.round(s.achieved)} flows/s`}`);
    return s;
  };
  let best = -1;
  let bestAchieved = 0;
  for (let i = 0; i < RATES.length; i++) {
    const s = await step(RATES[i], PROBE_S);
    if (s.lost) break;
    // The sender is saturated when asking for more stops giving more.
    if (s.achieved < bestAchieved * 1.03) break;
    best = i;
    bestAchieved = s.achieved;
  }
  for (let i = best; i >= 0; i--) {
    const s = await step(RATES[i], CONFIRM_S);
    if (!s.lost) return s.achieved;
  }
  return 0;
}

/** Receipt to queryable: a marker datagram, then polling the API until its flow is visible. */
async function latency(tmp: string): Promise<number> {
  const dir = fs.mkdtempSync(path.join(tmp, 'lat-'));
  const port = await freeUdpPort();
  const cfg = path.join(dir, 'config.yaml');
  fs.writeFileSync(cfg, `collectors:\n  listen: ["127.0.0.1:${port}"]\nstore:\n  data: ${dir}/data\n  retention_days: 0\n`);
  const p = spawn(process.execPath, [path.join(repoRoot, 'bin', 'flowlogs.js'), 'serve', '--config', cfg, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  // The service logs its URL once everything, collectors included, has started.
  const line = await waitForLine(p, /"url":"(http:[^"]+)"/);
  const url = /"url":"(http:[^"]+)"/.exec(line)![1];
  const load = replay(port, 10_000, 12);
  const { template } = buildStream();
  const sock = dgram.createSocket('udp4');
  const samples: number[] = [];
  await new Promise((r) => setTimeout(r, 1000));
  for (let k = 0; k < 5; k++) {
    const marker = `198.51.100.${10 + k}`;
    const d = v9Datagram({ uptimeMs: 1_000_000, unixSecs: Math.floor(Date.now() / 1000), sequence: 0, sourceId: 2 }, [
      templateSet(9, [{ id: TEMPLATE_ID, fields: TEMPLATE }]),
      dataSet(TEMPLATE_ID, [record(TEMPLATE, [marker, '192.0.2.1', 1, 2, 6, 0, 1, 100, 999_000, 999_900, 1, 2])]),
    ]);
    const t0 = performance.now();
    sock.send(concat([d]), port, '127.0.0.1');
    for (;;) {
      const r = (await (await fetch(`${url}/api/flows?src_addr=${marker}&from=-1d&limit=1`)).json()) as { count: number };
      if (r.count > 0) break;
      await new Promise((res) => setTimeout(res, 20));
    }
    samples.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 300));
  }
  void template;
  sock.close();
  await load;
  await stop(p);
  fs.rmSync(dir, { recursive: true, force: true });
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

export async function run(): Promise<Figure[]> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-bench-collect-'));
  const log = (s: string) => process.stderr.write(s + '\n');
  const out: Figure[] = [];
  try {
    if (spawnSync('which', ['nfcapd']).status !== 0 && process.getuid?.() === 0) spawnSync('apt-get', ['install', '-y', '-qq', 'nfdump'], { stdio: 'ignore' });
    const rmemMax = Number(fs.readFileSync('/proc/sys/net/core/rmem_max', 'utf8'));
    if (rmemMax < RECEIVE_BUFFER && process.getuid?.() === 0) spawnSync('sysctl', ['-w', `net.core.rmem_max=${RECEIVE_BUFFER}`], { stdio: 'ignore' });
    log(`net.core.rmem_max: ${fs.readFileSync('/proc/sys/net/core/rmem_max', 'utf8').trim()} (both collectors ask for ${RECEIVE_BUFFER})`);
    log('flowlogs serve:');
    const ours = await zeroLoss((rate, s) => runOurs(tmp, rate, s), log);
    out.push({ name: 'collector zero-loss rate, NetFlow v9 into the embedded store (flowlogs)', value: ours, unit: 'flows/s' });
    out.push({ name: 'receipt to queryable under 340k flows/s of load (median of 5)', value: await latency(tmp), unit: 'ms' });
    if (spawnSync('which', ['nfcapd']).status === 0) {
      log('nfcapd:');
      const theirs = await zeroLoss((rate, s) => runNfcapd(tmp, rate, s), log);
      out.push({ name: 'collector zero-loss rate, same stream (nfcapd)', value: theirs, unit: 'flows/s' });
      out.push({ name: 'zero-loss rate ratio flowlogs / nfcapd', value: theirs > 0 ? ours / theirs : 0, unit: 'x' });
    } else log('nfcapd is not installed (apt-get install nfdump): no comparison');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return out;
}

if (process.argv[2] === '--replay') await replayerMain(Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5]));
