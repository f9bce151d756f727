// The questions people ask of stored flows, at the size they ask them: top-10 talkers over
// 100M flows, the first page of a search, a 30-day chart; and the same questions put to nfdump
// over the same flows in the same run (nfcapd receives them as IPFIX over loopback).
//   BENCH_QUESTIONS_FLOWS  flows spread over 30 days (default 100,000,000)
//   BENCH_NFDUMP_DAYS      days of them also given to nfcapd (default 3, about 10M flows)

import { spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseQuery } from '../src/query/index.js';
import { IpfixEncoder } from '../src/schema/ipfix/encoder.js';
import { loadExampleInventory, Simulator } from '../src/sources/simulator/index.js';
import { BatchList } from '../src/sources/source.js';
import { DuckDbStore } from '../src/store/duckdb/store.js';
import { prepareQuery } from '../src/store/prepare.js';
import type { TimeRange } from '../src/store/store.js';
import type { Figure } from './run.js';
import { freeUdpPort, stop } from './support/processes.js';

const TOTAL = Number(process.env.BENCH_QUESTIONS_FLOWS ?? 100_000_000);
const DAYS = 30;
const NFDUMP_DAYS = Number(process.env.BENCH_NFDUMP_DAYS ?? 3);
const WINDOW = 300;
const SEED = 6;
const log = (s: string) => process.stderr.write(`# questions: ${s}\n`);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function timed(fn: () => Promise<unknown> | unknown, rounds = 5): Promise<number> {
  await fn();
  const ms: number[] = [];
  for (let k = 0; k < rounds; k++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  return Math.round(median(ms) * 10) / 10;
}

/**
 * Peak flows per window that makes the simulator write TOTAL flows over DAYS: the flows written
 * are close to linear in the peak (a + b × peak), so two small runs of the same days fit it.
 */
function calibrate(start: number): number {
  const flowsAt = (peak: number) => {
    const probe = new Simulator(loadExampleInventory(), { seed: SEED, windowSeconds: WINDOW, startTime: start, flowsPerWindow: peak });
    let flows = 0;
    for (let w = 0; w < (DAYS * 86400) / WINDOW; w++) flows += probe.nextWindow(new BatchList(65536)).flows;
    return flows;
  };
  const [p1, p2] = [100, 800];
  const [f1, f2] = [flowsAt(p1), flowsAt(p2)];
  const b = (f2 - f1) / (p2 - p1);
  const a = f1 - b * p1;
  return Math.max(1, Math.round((TOTAL - a) / b));
}

/** IPFIX messages, length-prefixed, for nfcapd to receive later at a pace it keeps up with. */
class MessageFile {
  private fd: number;
  messages = 0;
  flows = 0;
  constructor(readonly file: string) {
    this.fd = fs.openSync(file, 'w');
  }
  add(msgs: Uint8Array[], flows: number): void {
    let n = 0;
    for (const m of msgs) n += 2 + m.length;
    const buf = Buffer.allocUnsafe(n);
    let o = 0;
    for (const m of msgs) {
      buf.writeUInt16BE(m.length, o);
      buf.set(m, o + 2);
      o += 2 + m.length;
    }
    fs.writeSync(this.fd, buf);
    this.messages += msgs.length;
    this.flows += flows;
  }
  close(): void {
    fs.closeSync(this.fd);
  }
}

async function sendToNfcapd(file: string, port: number, perSecond: number): Promise<void> {
  const data = fs.readFileSync(file);
  const sock = dgram.createSocket({ type: 'udp4', sendBufferSize: 8 << 20 });
  const send = (d: Uint8Array) => new Promise<void>((r) => sock.send(d, port, '127.0.0.1', () => r()));
  let o = 0;
  let sent = 0;
  const t0 = performance.now();
  while (o < data.length) {
    const due = Math.floor(((performance.now() - t0) / 1000) * perSecond);
    const batch: Promise<void>[] = [];
    while (sent < due && o < data.length) {
      const len = data.readUInt16BE(o);
      batch.push(send(data.subarray(o + 2, o + 2 + len)));
      o += 2 + len;
      sent++;
    }
    await Promise.all(batch);
    await new Promise((r) => setTimeout(r, 2));
  }
  sock.close();
}

function nfdump(dir: string, args: string[]): { ms: number; out: string } {
  const t = performance.now();
  const r = spawnSync('nfdump', ['-R', dir, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`nfdump ${args.join(' ')}: ${r.stderr || r.stdout}`);
  return { ms, out: r.stdout };
}

function nfdumpTimed(dir: string, args: string[], rounds = 3): number {
  nfdump(dir, args);
  const ms: number[] = [];
  for (let k = 0; k < rounds; k++) ms.push(nfdump(dir, args).ms);
  return Math.round(median(ms) * 10) / 10;
}

export async function run(): Promise<Figure[]> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-bench-questions-'));
  const out: Figure[] = [];
  const hour = 3600;
  const start = Math.floor(Date.now() / 1000 / hour) * hour - (DAYS + 1) * 86400;
  const nfEnd = start + NFDUMP_DAYS * 86400;
  const haveNfdump = spawnSync('which', ['nfcapd']).status === 0 && spawnSync('which', ['nfdump']).status === 0;
  if (!haveNfdump) log('nfcapd/nfdump are not installed (apt-get install nfdump): no comparison');
  try {
    // 1. TOTAL simulator flows over 30 days into the store, compacted as a running server would.
    const perWindow = calibrate(start);
    const sim = new Simulator(loadExampleInventory(), { seed: SEED, windowSeconds: WINDOW, startTime: start, flowsPerWindow: perWindow });
    const store = new DuckDbStore({ dataDir: path.join(tmp, 'data'), compactEveryMs: 0 });
    await store.start();
    const ipfix = haveNfdump ? new MessageFile(path.join(tmp, 'ipfix.bin')) : undefined;
    const encoder = new IpfixEncoder({ templateEvery: 50 });
    let stored = 0;
    let subset = 0;
    const pending: Promise<void>[] = [];
    const t0 = performance.now();
    // Windows of a few thousand flows go into the store as full batches, as a collector's would.
    const list = new BatchList(65536);
    const drain = async (all: boolean, inSubset: boolean) => {
      while (list.batches.length > (all ? 0 : 1)) {
        const b = list.batches.shift()!;
        if (inSubset) {
          subset += b.length;
          ipfix?.add(encoder.encode(b), b.length);
        }
        pending.push(store.append(b));
        stored += b.length;
        if (pending.length > 8) await Promise.all(pending.splice(0));
      }
    };
    for (let w = 0; w < (DAYS * 86400) / WINDOW; w++) {
      const win = sim.nextWindow(list);
      await drain(win.end === nfEnd, win.start < nfEnd);
      if (w % 1440 === 0) log(`day ${(w * WINDOW) / 86400}: ${(stored / 1e6).toFixed(1)}M flows stored`);
    }
    await drain(true, false);
    await Promise.all(pending);
    await store.flush();
    ipfix?.close();
    log(`${stored} flows stored in ${((performance.now() - t0) / 1000).toFixed(0)} s; compacting`);
    const tc = performance.now();
    await store.compact();
    log(`compacted in ${((performance.now() - tc) / 1000).toFixed(0)} s`);
    out.push({ name: `flows stored over ${DAYS} days for the query figures`, value: stored, unit: 'flows' });
    out.push({ name: 'stored flows on disk (compacted, with rollups)', value: Math.round((store.stats().bytesOnDisk / stored) * 100) / 100, unit: 'bytes/flow' });

    const all: TimeRange = { from: start, to: start + (DAYS + 1) * 86400 };
    const ask = async (text: string, range: TimeRange, opts: { maxRows?: number; rollups?: boolean } = {}) => {
      const p = prepareQuery(store, parseQuery(text), opts);
      return { p, ms: await timed(() => store.sql(p.sql, range, p.sqlOptions)), rows: (await store.sql(p.sql, range, p.sqlOptions)).rows };
    };
    const M = `${Math.round(stored / 1e6)}M`;

    // 2. The questions over everything.
    const top = '| SELECT src_addr, sum(bytes) AS b GROUP BY src_addr ORDER BY b DESC LIMIT 10';
    const planned = await ask(top, all);
    out.push({ name: `top-10 talkers by bytes over ${M} flows, ${DAYS} days (planned: ${planned.p.sqlOptions.tier ?? 'raw'})`, value: planned.ms, unit: 'ms' });
    const raw = await ask(top, all, { rollups: false });
    out.push({ name: `top-10 talkers by bytes over ${M} flows, ${DAYS} days (raw records)`, value: raw.ms, unit: 'ms' });
    const search = '10.1.0.0/16 AND (src_port:22 OR dst_port:22)';
    for (const [label, text] of [
      [`CIDR + port: ${search}`, search],
      ['common: dst_port:443 protocol:tcp', 'dst_port:443 protocol:tcp'],
      ['rare: action:REJECT dst_port:22', 'action:REJECT dst_port:22'],
    ] as const) {
      const s = await ask(text, all, { maxRows: 100 });
      out.push({ name: `first 100 search rows, newest first, over ${M} flows (${label}; ${s.rows.length} rows)`, value: s.ms, unit: 'ms' });
    }
    const lastDay: TimeRange = { from: start + (DAYS - 1) * 86400, to: start + DAYS * 86400 };
    const series = await ask("| SELECT bucket(start, '1m') AS t, sum(bytes) AS b, sum(packets) AS p GROUP BY t ORDER BY t", lastDay);
    out.push({ name: `1-day time series in 1-min buckets (${series.rows.length} points, planned: ${series.p.sqlOptions.tier ?? 'raw'})`, value: series.ms, unit: 'ms' });
    const distinct = await ask('| SELECT src_addr, count(DISTINCT dst_addr) AS peers GROUP BY src_addr ORDER BY peers DESC LIMIT 10', all);
    out.push({ name: `distinct destinations per source, top 10, over ${M} flows (planned: ${distinct.p.sqlOptions.tier ?? 'raw'})`, value: distinct.ms, unit: 'ms' });
    const chart = await ask("| SELECT bucket(start, '1h') AS t, sum(bytes) AS b, sum(packets) AS p GROUP BY t ORDER BY t", all);
    out.push({ name: `${DAYS}-day chart, bytes and packets per hour (${chart.rows.length} points, planned: ${chart.p.sqlOptions.tier ?? 'raw'})`, value: chart.ms, unit: 'ms' });
    const ifChart = await ask("interface_id:eni-* | SELECT bucket(start, '1h') AS t, interface_id, sum(bytes) AS b GROUP BY t, interface_id ORDER BY t", all);
    out.push({ name: `${DAYS}-day chart per interface (${ifChart.rows.length} points, planned: ${ifChart.p.sqlOptions.tier ?? 'raw'})`, value: ifChart.ms, unit: 'ms' });

    // 3. The same questions, ours and nfdump's, over the first NFDUMP_DAYS days.
    if (ipfix && haveNfdump) {
      const dir = path.join(tmp, 'nfcapd');
      fs.mkdirSync(dir);
      const port = await freeUdpPort();
      const p = spawn('nfcapd', ['-b', '127.0.0.1', '-p', String(port), '-w', dir, '-B', String(32 << 20), '-t', '3600'], { stdio: ['ignore', 'pipe', 'pipe'] });
      await new Promise((r) => setTimeout(r, 800));
      log(`sending ${subset} flows (${ipfix.messages} IPFIX messages) to nfcapd`);
      await sendToNfcapd(ipfix.file, port, 25_000);
      await new Promise((r) => setTimeout(r, 2000));
      await stop(p);
      const got = Number(/^Flows:\s+(\d+)/m.exec(nfdump(dir, ['-I']).out)?.[1] ?? 0);
      out.push({ name: `nfcapd flows stored of ${subset} sent (${NFDUMP_DAYS} days)`, value: Math.round((got / subset) * 10000) / 100, unit: '%' });
      const range: TimeRange = { from: start, to: nfEnd };
      const S = `${(subset / 1e6).toFixed(1)}M flows`;
      const pairs: Array<[string, string, string[], { maxRows?: number }]> = [
        ['top-10 talkers by bytes', top, ['-q', '-n', '10', '-s', 'srcip/bytes'], {}],
        ['top-10 destination ports by bytes', '| SELECT dst_port, sum(bytes) AS b GROUP BY dst_port ORDER BY b DESC LIMIT 10', ['-q', '-n', '10', '-s', 'dstport/bytes'], {}],
        ['first 100 rows of 10.1.0.0/16 and port 22', '10.1.0.0/16 AND (src_port:22 OR dst_port:22)', ['-q', '-c', '100', 'net 10.1.0.0/16 and port 22'], { maxRows: 100 }],
        ['every row of 10.1.0.0/16 and port 22', '10.1.0.0/16 AND (src_port:22 OR dst_port:22)', ['-q', 'net 10.1.0.0/16 and port 22'], { maxRows: 10_000_000 }],
      ];
      for (const [label, text, args, opts] of pairs) {
        const ours = await ask(text, range, opts);
        const theirs = nfdumpTimed(dir, args);
        out.push({ name: `${label} over ${S}: flowlogs`, value: ours.ms, unit: 'ms' });
        out.push({ name: `${label} over ${S}: nfdump`, value: theirs, unit: 'ms' });
        out.push({ name: `${label}: nfdump / flowlogs`, value: Math.round((theirs / Math.max(0.1, ours.ms)) * 10) / 10, unit: 'x' });
      }
      // Both must give the same answer for the comparison to mean anything.
      const ourTop = (await ask(top, range)).rows.map((r) => String(r[0]));
      const theirTop = nfdump(dir, ['-q', '-n', '10', '-s', 'srcip/bytes']).out;
      const agree = ourTop.filter((a) => new RegExp(`(^|\\s)${a.replace(/[.]/g, '\\.')}(\\s|$)`, 'm').test(theirTop)).length;
      out.push({ name: 'top-10 talkers that nfdump names too', value: agree, unit: 'of 10' });
    }
    await store.stop();
    out.push({ name: 'machine cores', value: os.cpus().length, unit: '' });
    out.push({ name: 'load average (1 min) at the end', value: Math.round(os.loadavg()[0] * 100) / 100, unit: '' });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return out;
}
