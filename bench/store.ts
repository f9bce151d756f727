// The embedded store: append rate end to end from FlowBatch (durable), bytes per flow on disk
// for simulator traffic, compaction rate, and top-10 talkers over 10M stored flows.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FlowBatch } from '../src/schema/batch.js';
import { BatchList } from '../src/sources/source.js';
import { loadExampleInventory, Simulator } from '../src/sources/simulator/index.js';
import { parseQuery } from '../src/query/index.js';
import { DuckDbStore } from '../src/store/duckdb/store.js';
import { prepareQuery } from '../src/store/prepare.js';
import type { Figure } from './run.js';

const TOTAL = Number(process.env.BENCH_STORE_FLOWS ?? 10_000_000);
const RATE_FLOWS = 2_000_000;

function simulator(seed: number): Simulator {
  return new Simulator(loadExampleInventory(), { seed, windowSeconds: 60, startTime: 1_795_000_000, flowsPerWindow: 20_000 });
}

function generate(n: number, seed: number): FlowBatch[] {
  const sim = simulator(seed);
  const list = new BatchList(65536);
  while (list.length < n) sim.nextWindow(list);
  return list.batches;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function appendRate(batches: FlowBatch[], dir: string): Promise<number> {
  const store = new DuckDbStore({ dataDir: dir, compactEveryMs: 0 });
  await store.start();
  const rows = batches.reduce((n, b) => n + b.length, 0);
  const t0 = performance.now();
  await Promise.all(batches.map((b) => store.append(b)));
  const s = (performance.now() - t0) / 1000;
  await store.stop();
  return rows / s;
}

export async function run(): Promise<Figure[]> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-bench-store-'));
  const out: Figure[] = [];
  try {
    // (a) append rate: the same 2M flows into fresh stores, three times.
    const batches = generate(RATE_FLOWS, 1);
    const rates: number[] = [];
    for (let k = 0; k < 3; k++) rates.push(await appendRate(batches, path.join(tmp, `rate-${k}`)));
    out.push({ name: 'store append (durable, from FlowBatch)', value: Math.round(median(rates)), unit: 'flows/s' });
    batches.length = 0;

    // (b) 10M fresh simulator flows, then compaction; bytes per flow before and after.
    const dir = path.join(tmp, 'big');
    const store = new DuckDbStore({ dataDir: dir, compactEveryMs: 0 });
    await store.start();
    const sim = simulator(2);
    let stored = 0;
    const pending: Promise<void>[] = [];
    while (stored < TOTAL) {
      const list = new BatchList(32768);
      sim.nextWindow(list);
      for (const b of list.batches) {
        pending.push(store.append(b));
        stored += b.length;
      }
      if (pending.length > 16) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
    await store.flush();
    out.push({ name: 'staged segments on disk', value: store.stats().bytesOnDisk / stored, unit: 'bytes/flow' });
    const t0 = performance.now();
    await store.compact();
    const cs = (performance.now() - t0) / 1000;
    out.push({ name: 'compaction', value: Math.round(stored / cs), unit: 'flows/s' });
    out.push({ name: 'stored flows on disk (compacted, zstd, with rollups; simulator traffic)', value: store.stats().bytesOnDisk / stored, unit: 'bytes/flow' });
    out.push({ name: 'flows stored for the query figures', value: stored, unit: 'flows' });

    // (c) top-10 talkers by bytes over everything stored, as the query path plans it (from the
    // src_1h rollup) and forced onto the raw records.
    const all = { from: 0, to: 2 ** 32 };
    const q = parseQuery('| SELECT src_addr, sum(bytes) AS b GROUP BY src_addr ORDER BY b DESC LIMIT 10');
    for (const [label, prepared] of [
      ['planned: rollup', prepareQuery(store, q)],
      ['raw records', prepareQuery(store, q, { rollups: false })],
    ] as const) {
      await store.sql(prepared.sql, all, prepared.sqlOptions);
      const times: number[] = [];
      for (let k = 0; k < 7; k++) {
        const t = performance.now();
        await store.sql(prepared.sql, all, prepared.sqlOptions);
        times.push(performance.now() - t);
      }
      out.push({ name: `top-10 talkers by bytes over ${(stored / 1e6).toFixed(0)}M flows (${label}${prepared.sqlOptions.tier ? ` ${prepared.sqlOptions.tier}` : ''})`, value: median(times), unit: 'ms' });
    }
    await store.stop();
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return out;
}
