// The ClickHouse store at size: a day of simulated flows appended through the store, copied
// inside ClickHouse to 30 days (roughly FLOWLOGS_BENCH_CH_FLOWS, default 20M; about 26M here),
// then the questions of the query benchmark timed: top-10 talkers by bytes over everything,
// a one-day series in one-minute buckets, a CIDR + port search's first 100 rows, distinct
// destinations per source, and a 30-day chart from the rollups, each with and without the
// rollup planner where a tier applies. The embedded DuckDB store then gets the same 30 days
// (the day's batches, shifted a day at a time), is compacted, and answers the same questions,
// so the two engines are compared on the same flows in the same run. Debian's
// clickhouse-server (18.16) on 127.0.0.1.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseQuery } from '../src/query/index.js';
import { FIELDS } from '../src/schema/fields.js';
import { BatchList } from '../src/sources/source.js';
import { loadExampleInventory, Simulator } from '../src/sources/simulator/index.js';
import type { FlowBatch } from '../src/schema/batch.js';
import { ClickHouseStore } from '../src/store/clickhouse/store.js';
import { DuckDbStore } from '../src/store/duckdb/store.js';
import type { FlowStore } from '../src/store/store.js';
import { prepareQuery } from '../src/store/prepare.js';
import { startClickHouse } from '../test/clickhouse/server.js';

type Figure = { name: string; value: number; unit: string };

const DAY = 86400;

/** Moves a batch's times by `seconds` in place (0 stays "unknown" for the packet times). */
function shift(b: FlowBatch, seconds: number): void {
  const c = b.cols;
  for (let i = 0; i < b.length; i++) {
    c.start[i] += seconds;
    c.end[i] += seconds;
    if (c.first_ms[i]) c.first_ms[i] += seconds * 1000;
    if (c.last_ms[i]) c.last_ms[i] += seconds * 1000;
  }
}

interface Question {
  name: string;
  text: string;
  range: 'all' | 'day';
  rollups?: boolean;
  maxRows?: number;
}

/** Best of three, after one run that warms caches; the figure names say which tier answered. */
async function timeAll(engine: string, store: FlowStore, questions: Question[], ranges: Record<'all' | 'day', { from: number; to: number }>): Promise<Figure[]> {
  const out: Figure[] = [];
  for (const q of questions) {
    const p = prepareQuery(store, parseQuery(q.text), { rollups: q.rollups, maxRows: q.maxRows });
    let best = Infinity;
    let rows = 0;
    for (let i = 0; i < 4; i++) {
      const t = performance.now();
      rows = (await store.sql(p.sql, ranges[q.range], p.sqlOptions)).rows.length;
      if (i > 0) best = Math.min(best, performance.now() - t);
    }
    if (rows === 0) throw new Error(`${engine} ${q.name}: no rows`);
    out.push({ name: `${engine} ${q.name}${p.sqlOptions.tier ? ` (rollup ${p.sqlOptions.tier})` : ''}`, value: Math.round(best), unit: 'ms' });
  }
  return out;
}

export async function run(): Promise<Figure[]> {
  const target = Number(process.env.FLOWLOGS_BENCH_CH_FLOWS ?? 20_000_000);
  const ch = await startClickHouse(1);
  const out: Figure[] = [];
  try {
    const store = new ClickHouseStore({ url: ch.storeUrl('bench') });
    await store.start();
    const day0 = Math.floor(1_795_000_000 / DAY) * DAY;
    // One day through the store's own append path.
    // A rough factor: the simulator's diurnal curve and scenario traffic make its day only roughly
    // proportional to flowsPerWindow; the `flows stored` figure gives the exact count.
    const perWindow = Math.max(50, Math.round(target / 30 / 1440 / 2.5));
    const sim = new Simulator(loadExampleInventory(), { seed: 5, windowSeconds: 60, startTime: day0, flowsPerWindow: perWindow });
    let appended = 0;
    let appendMs = 0;
    const dayBatches: FlowBatch[] = [];
    for (let w = 0; w < 1440; w += 60) {
      const list = new BatchList(65_536);
      for (let k = 0; k < 60; k++) sim.nextWindow(list);
      const t = performance.now();
      await Promise.all(list.batches.map((b) => store.append(b)));
      appendMs += performance.now() - t;
      appended += list.batches.reduce((n, b) => n + b.length, 0);
      dayBatches.push(...list.batches);
    }
    out.push({ name: 'clickhouse append (store.append, 64k-row batches)', value: Math.round(appended / (appendMs / 1000)), unit: 'flows/s' });
    // Copies of that day make the rest of the month, inside ClickHouse (the rollups follow).
    const days = 30;
    const cols = FIELDS.map((f) => `\`${f.name}\``);
    const shifted = (k: number) =>
      FIELDS.map((f) => {
        if (f.name === 'start' || f.name === 'end') return `\`${f.name}\` + ${k * DAY}`;
        if (f.name === 'first_ms' || f.name === 'last_ms') return `if(\`${f.name}\` = 0, 0, \`${f.name}\` + ${k * DAY * 1000})`;
        return `\`${f.name}\``;
      });
    const t0 = performance.now();
    for (let k = 1; k < days; k++) {
      await store.command(`INSERT INTO bench.flows (${cols.join(', ')}, batch_id) SELECT ${shifted(k).join(', ')}, concat(batch_id, '-${k}') FROM bench.flows WHERE start < ${day0 + DAY}`);
    }
    const copied = appended * (days - 1);
    if (days > 1) out.push({ name: 'clickhouse INSERT … SELECT with rollups', value: Math.round(copied / ((performance.now() - t0) / 1000)), unit: 'flows/s' });
    await store.command('OPTIMIZE TABLE bench.flows PARTITION ' + new Date(day0 * 1000).toISOString().slice(0, 10).replace(/-/g, ''));
    const total = appended * days;
    out.push({ name: 'clickhouse flows stored', value: total, unit: 'flows' });
    const disk = await store.storage();
    out.push({ name: 'clickhouse bytes on disk per flow (records)', value: Math.round((disk.bytes / total) * 10) / 10, unit: 'bytes' });
    out.push({ name: 'clickhouse bytes on disk per flow (rollup tiers)', value: Math.round((disk.rollupBytes / total) * 10) / 10, unit: 'bytes' });

    const n = `${Math.round(total / 1e6)}M`;
    const top = '| SELECT src_addr, sum(bytes) AS b GROUP BY src_addr ORDER BY b DESC LIMIT 10';
    const series = '| SELECT bucket(start, 60) AS t, sum(bytes) AS b, count(*) AS n GROUP BY 1 ORDER BY 1';
    const chart = '| SELECT bucket(start, 3600) AS t, sum(bytes) AS b, sum(packets) AS p GROUP BY 1 ORDER BY 1';
    const questions: Question[] = [
      { name: `top-10 talkers by bytes over ${n} flows`, text: top, range: 'all' },
      { name: `top-10 talkers by bytes over ${n} flows, raw records`, text: top, range: 'all', rollups: false },
      { name: '1-day series, 1-minute buckets', text: series, range: 'day' },
      { name: '1-day series, 1-minute buckets, raw records', text: series, range: 'day', rollups: false },
      { name: `CIDR + port search, first 100 rows of ${n}`, text: 'src_addr:10.0.0.0/8 AND dst_port:443', range: 'all', maxRows: 100 },
      { name: `distinct destinations per source, top 10 over ${n}`, text: '| SELECT src_addr, count(DISTINCT dst_addr) AS n GROUP BY 1 ORDER BY n DESC, 1 LIMIT 10', range: 'all' },
      { name: `${days}-day chart, hourly`, text: chart, range: 'all' },
      { name: `${days}-day chart, hourly, raw records`, text: chart, range: 'all', rollups: false },
    ];
    const ranges = { all: { from: day0, to: day0 + days * DAY }, day: { from: day0 + (days - 1) * DAY, to: day0 + days * DAY } };
    out.push(...(await timeAll('clickhouse', store, questions, ranges)));
    await store.stop();

    // The same flows in the embedded store, for the same questions.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-bench-chduck-'));
    try {
      const duck = new DuckDbStore({ dataDir: dir, compactEveryMs: 0 });
      await duck.start();
      for (let k = 0; k < days; k++) {
        for (let i = 0; i < dayBatches.length; i += 16) await Promise.all(dayBatches.slice(i, i + 16).map((b) => duck.append(b)));
        for (const b of dayBatches) shift(b, DAY);
      }
      await duck.flush();
      const tc = performance.now();
      await duck.compact();
      out.push({ name: 'duckdb compaction of the same flows', value: Math.round(total / ((performance.now() - tc) / 1000)), unit: 'flows/s' });
      out.push(...(await timeAll('duckdb', duck, questions, ranges)));
      await duck.stop();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    out.push({ name: 'machine cores', value: os.cpus().length, unit: '' });
    out.push({ name: 'load average (1 min) at the end', value: Math.round(os.loadavg()[0] * 100) / 100, unit: '' });
  } finally {
    await ch.stop();
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of await run()) console.log(JSON.stringify(r));
}
