// The query, rollup, analysis and store-behaviour tests, written once and run on every store
// kind (test/stores/*.test.ts). Expected values come from the records themselves: the table
// below for the query language, the simulator's records (summed here in JS) for analyses.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { bandwidth, mix, rejected, sankey, series, top, type AnalysisInput } from '../../src/analyze/analyses.js';
import { exactFilter, parseQuery } from '../../src/query/index.js';
import { FlowBatch, type FlowRecord } from '../../src/schema/batch.js';
import { BatchList } from '../../src/sources/source.js';
import { loadExampleInventory, Simulator } from '../../src/sources/simulator/index.js';
import type { CompileOptions } from '../../src/store/duckdb/compile.js';
import { compilerFor } from '../../src/store/compile.js';
import { prepareQuery } from '../../src/store/prepare.js';
import type { FlowStore, QueryResult } from '../../src/store/store.js';
import type { OpenedStore, StoreKind } from './stores.js';

const T0 = 1_795_300_000 - (1_795_300_000 % 3600);
const ALL = { from: 0, to: 2 ** 32 };

// Every row has a different byte count, which identifies it in the answers.
// prettier-ignore
export const ROWS = [
  //  acct  iface     src             dst              sport  dport proto bytes     pkts  t     action
  ['a', 'eni-a1', '10.0.0.1',      '10.0.1.1',      40000, 22,   6,  100,      1,  0,    'ACCEPT'],
  ['a', 'eni-a1', '10.0.0.2',      '10.0.1.1',      40001, 22,   6,  200,      2,  60,   'REJECT'],
  ['a', 'eni-a2', '10.0.0.3',      '10.0.1.2',      40002, 443,  6,  5000000,  50, 120,  'ACCEPT'],
  ['a', 'eni-a2', '10.0.5.9',      '10.0.1.2',      40003, 3389, 6,  300,      3,  300,  'REJECT'],
  ['a', 'eni_a3', '192.168.1.10',  '10.0.1.3',      53,    53,   17, 80,       1,  310,  'ACCEPT'],
  ['b', 'eni-b1', '2001:db8::1',   '2001:db8:1::1', 50000, 443,  6,  7000,     7,  600,  'ACCEPT'],
  ['b', 'eni-b1', '2001:db8::2',   '2001:db8:1::1', 50001, 8080, 6,  9000,     9,  620,  'REJECT'],
  ['b', 'eni-b2', '2001:db9::1',   '10.0.1.1',      0,     2048, 1,  64,       1,  900,  'ACCEPT'],
  ['b', 'eni-b2', '203.0.113.5',   '10.0.1.1',      12345, 22,   6,  120,      2,  910,  'REJECT'],
  ['b', 'eni-b2', '203.0.113.5',   '10.0.1.1',      12346, 23,   6,  130,      2,  920,  'REJECT'],
  ['b', 'eni-b2', '203.0.113.5',   '10.0.1.1',      12347, 3389, 6,  140,      2,  930,  'REJECT'],
  ['c', 'eni-c1', '10.0.0.1',      '8.8.8.8',       33000, 53,   17, 90,       1,  1200, 'ACCEPT'],
] as const;

const BYTES: number[] = ROWS.map((r) => r[7]);

export function rowsBatch(): FlowBatch {
  const b = new FlowBatch(ROWS.length);
  for (const [account_id, interface_id, src_addr, dst_addr, src_port, dst_port, protocol, bytes, packets, t, action] of ROWS) {
    b.push({ account_id, interface_id, src_addr, dst_addr, src_port, dst_port, protocol, bytes, packets, start: T0 + t, end: T0 + t + 60, first_ms: (T0 + t) * 1000 + 250, action });
  }
  return b;
}

/** Simulated traffic: 150 one-minute windows from an hour boundary, with a scan and a blocked service. */
export function simulated(windows = 150): { batches: FlowBatch[]; records: FlowRecord[]; start: number } {
  const start = 1_795_000_000 - (1_795_000_000 % 3600);
  const sim = new Simulator(loadExampleInventory(), {
    seed: 7,
    windowSeconds: 60,
    startTime: start,
    flowsPerWindow: 300,
    scenarios: [
      { name: 'horizontal_scan', atWindow: 30 },
      { name: 'sg_blocked_service', atWindow: 20, windows: 5 },
    ],
  });
  const list = new BatchList(8192);
  for (let w = 0; w < windows; w++) sim.nextWindow(list);
  return { batches: list.batches, records: list.records(), start };
}

function sumBy(recs: readonly FlowRecord[], key: (r: FlowRecord) => string, val: (r: FlowRecord) => number): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of recs) m.set(key(r), (m.get(key(r)) ?? 0) + val(r));
  return m;
}

export function querySuite(kind: StoreKind): void {
  describe(`queries on ${kind.name}`, () => {
    let table: OpenedStore;
    let sim: OpenedStore;
    let data: ReturnType<typeof simulated>;

    before(async () => {
      await kind.setup();
      table = await kind.open();
      await table.store.append(rowsBatch());
      await table.settle();
      sim = await kind.open();
      data = simulated();
      // Most records are settled (compacted hours with rollups on DuckDB); the last half hour is fresh.
      const cut = data.start + 2 * 3600;
      const early = data.batches.filter((b) => b.cols.start[0] < cut);
      for (const b of early) await sim.store.append(b);
      await sim.settle();
      for (const b of data.batches.filter((b) => b.cols.start[0] >= cut)) await sim.store.append(b);
      await sim.store.flush();
    });

    after(async () => {
      await table?.close();
      await sim?.close();
      await kind.teardown();
    });

    const run = (query: string, opts: CompileOptions = {}, range = ALL): Promise<QueryResult> => {
      const s = table.store;
      return s.sql(compilerFor(s.dialect)(parseQuery(query), opts).sql, range);
    };
    const matching = async (filter: string, opts: CompileOptions = {}): Promise<number[]> => {
      const res = await run(filter, opts);
      const col = res.columns.findIndex((c) => c.name === 'bytes');
      return res.rows.map((r) => BYTES.indexOf(r[col] as number)).sort((a, b) => a - b);
    };
    const one = async (q: string) => (await run(q)).rows;

    test('filters over addresses: v4 and v6 CIDRs, bare addresses on either end', async () => {
      assert.deepEqual(await matching('src_addr:10.0.0.0/24'), [0, 1, 2, 11]);
      assert.deepEqual(await matching('src_addr:10.0.0.0/16'), [0, 1, 2, 3, 11]);
      assert.deepEqual(await matching('src_addr:2001:db8::/48'), [5, 6]);
      assert.deepEqual(await matching('dst_addr:2001:db8:1::/48'), [5, 6]);
      assert.deepEqual(await matching('2001:db8::/32'), [5, 6]);
      assert.deepEqual(await matching('2001:db8::/31'), [5, 6, 7]);
      assert.deepEqual(await matching('10.0.1.1'), [0, 1, 7, 8, 9, 10]);
      assert.deepEqual(await matching('src_addr:203.0.113.5'), [8, 9, 10]);
      assert.deepEqual(await matching('-10.0.0.0/8'), [5, 6]);
      assert.deepEqual(await matching('src_addr:[10.0.0.2 TO 10.0.5.9]'), [1, 2, 3]);
    });

    test('filters over numbers and times: comparisons and ranges', async () => {
      assert.deepEqual(await matching('bytes:>1000'), [2, 5, 6]);
      assert.deepEqual(await matching('bytes:<=80'), [4, 7]);
      assert.deepEqual(await matching('dst_port:[1024 TO 65535]'), [3, 6, 7, 10]);
      assert.deepEqual(await matching('dst_port:{22 TO 443}'), [4, 9, 11]);
      assert.deepEqual(await matching(`start:[${T0 + 300} TO ${T0 + 900}}`), [3, 4, 5, 6]);
      assert.deepEqual(await matching('protocol:udp'), [4, 11]);
      assert.deepEqual(await matching('dst_port:(22 OR 3389)'), [0, 1, 3, 8, 10]);
    });

    test('filters over text: wildcards escape LIKE characters in literal text', async () => {
      assert.deepEqual(await matching('interface_id:eni-a*'), [0, 1, 2, 3]);
      // '_' is literal here: unescaped it would match the '-' of every other interface.
      assert.deepEqual(await matching('interface_id:eni_*'), [4]);
      assert.deepEqual(await matching('interface_id:eni?a3'), [4]);
      assert.deepEqual(await matching('interface_id:*2'), [2, 3, 7, 8, 9, 10]);
      assert.deepEqual(await matching('interface_id:"eni-b*"'), []);
    });

    test('filters with NOT, OR, AND and case-insensitive enums', async () => {
      assert.deepEqual(await matching('NOT action:accept'), [1, 3, 6, 8, 9, 10]);
      assert.deepEqual(await matching('-action:ACCEPT'), [1, 3, 6, 8, 9, 10]);
      assert.deepEqual(await matching('action:reject AND NOT dst_port:(22 OR 23)'), [3, 6, 10]);
      assert.deepEqual(await matching('action:reject dst_port:22 OR protocol:17'), [1, 4, 8, 11]);
      assert.deepEqual(await matching('action:reject (dst_port:22 OR protocol:17)'), [1, 8]);
      assert.deepEqual(await matching(''), [...ROWS.keys()]);
    });

    test('the tenant scope limits every query, filter or SQL', async () => {
      const scope = exactFilter([{ field: 'account_id', values: ['a'] }]);
      assert.deepEqual(await matching('', { scope }), [0, 1, 2, 3, 4]);
      assert.deepEqual(await matching('src_addr:10.0.0.1', { scope }), [0]);
      assert.deepEqual((await run('| SELECT count(*), sum(bytes)', { scope })).rows, [[5, 5000680]]);
      assert.deepEqual((await run("| SELECT count(*) WHERE account_id = 'b' OR TRUE", { scope })).rows, [[5]]);
      const nobody = exactFilter([{ field: 'account_id', values: ['\u0001no-account'] }]);
      assert.deepEqual((await run('| SELECT count(*)', { scope: nobody })).rows, [[0]]);
      // Aggregates over nothing are NULL on every store.
      assert.deepEqual((await run('| SELECT count(*), sum(bytes), min(src_addr), avg(bytes)', { scope: nobody })).rows, [[0, null, null, null]]);
    });

    test('group-by top-N with a filter', async () => {
      const res = await run('action:REJECT | SELECT src_addr, count(*) AS flows, sum(bytes) AS b GROUP BY src_addr ORDER BY flows DESC, src_addr LIMIT 2');
      assert.deepEqual(
        res.columns.map((c) => c.name),
        ['src_addr', 'flows', 'b'],
      );
      assert.deepEqual(res.rows, [
        ['203.0.113.5', 3, 390],
        ['10.0.0.2', 1, 200],
      ]);
      assert.deepEqual((await run('| SELECT dst_addr, count(*) AS n GROUP BY dst_addr HAVING n >= 3 ORDER BY n DESC')).rows, [['10.0.1.1', 6]]);
      assert.deepEqual((await run("| SELECT CASE WHEN dst_port < 1024 THEN 'system' ELSE 'high' END AS k, count(*) GROUP BY k ORDER BY k")).rows, [
        ['high', 4],
        ['system', 8],
      ]);
      // Aliases never shadow fields: the WHERE filters on the field, not on the sum.
      assert.deepEqual((await run('| SELECT interface_id, sum(bytes) * 2 AS twice WHERE bytes > 5000 GROUP BY 1 ORDER BY 1')).rows, [
        ['eni-a2', 10000000],
        ['eni-b1', 32000],
      ]);
      assert.deepEqual((await run('| SELECT action, count(*) AS n GROUP BY action ORDER BY n DESC, action LIMIT 1 OFFSET 1')).rows, [['REJECT', 6]]);
    });

    test('time buckets and timestamps', async () => {
      assert.deepEqual((await run("| SELECT bucket(start, '5m') AS t, count(*) AS n, sum(bytes) AS b GROUP BY t ORDER BY t")).rows, [
        [T0, 3, 5000300],
        [T0 + 300, 2, 380],
        [T0 + 600, 2, 16000],
        [T0 + 900, 4, 454],
        [T0 + 1200, 1, 90],
      ]);
      assert.deepEqual((await run("| SELECT bucket(first_ms, '10m') AS t, count(*) GROUP BY t ORDER BY t")).rows, [
        [T0 * 1000, 5],
        [(T0 + 600) * 1000, 6],
        [(T0 + 1200) * 1000, 1],
      ]);
      const ts = await run('| SELECT to_timestamp(min(start)) AS a, to_timestamp_ms(min(first_ms)) AS b');
      assert.deepEqual(ts.rows, [[new Date(T0 * 1000).toISOString().replace('.000Z', 'Z'), new Date(T0 * 1000 + 250).toISOString()]]);
    });

    test('SQL over addresses, enums, patterns and arithmetic', async () => {
      assert.deepEqual(await one("| SELECT count(*) WHERE ip_in(src_addr, '10.0.0.0/8', '2001:db8::/32')"), [[7]]);
      assert.deepEqual(await one("| SELECT interface_id WHERE src_addr = '192.168.1.10'"), [['eni_a3']]);
      assert.deepEqual(await one("| SELECT count(*) WHERE action = 'reject'"), [[6]]);
      assert.deepEqual(await one("| SELECT count(*) WHERE interface_id LIKE 'eni\\_%'"), [[1]]);
      assert.deepEqual(await one("| SELECT count(*) WHERE interface_id ILIKE 'ENI-B%'"), [[6]]);
      assert.deepEqual(await one("| SELECT count(*) WHERE action LIKE 'REJ%'"), [[6]]);
      assert.deepEqual(await one('| SELECT count(DISTINCT src_addr)'), [[9]]);
      assert.deepEqual(await one('| SELECT quantile(bytes, 0.5), median(bytes), min(dst_addr), max(src_addr)'), [[135, 135, '8.8.8.8', '2001:db9::1']]);
      assert.deepEqual(await one('| SELECT percentile(bytes, 25), quantile(bytes, 0.75)'), [[97.5, 1975]]);
      // Unsigned columns are widened: the difference goes below zero instead of failing.
      assert.deepEqual(await one('| SELECT min(dst_port - src_port)'), [[-49557]]);
      assert.deepEqual(await one("| SELECT round(sum(bytes) / 1e6, 2), concat('n=', count(*))"), [[5.02, 'n=12']]);
      assert.deepEqual(await one("| SELECT DISTINCT protocol WHERE protocol IN ('tcp', 'udp') ORDER BY 1"), [[6], [17]]);
      assert.deepEqual(await one('| SELECT * WHERE bytes = 64').then((r) => r.length), 1);
      assert.deepEqual(await one('| SELECT greatest(src_port, dst_port, 45000), least(src_port, dst_port, 10) WHERE bytes = 7000'), [[50000, 10]]);
      assert.deepEqual(await one('| SELECT bytes / 0, bytes % 0 WHERE bytes = 64'), [[Infinity, null]]);
      assert.deepEqual(await one('| SELECT stddev(bytes) WHERE bytes = 64'), [[null]]);
      assert.deepEqual(await one('| SELECT bytes > 100 AS big, count(*) GROUP BY 1 ORDER BY 1'), [
        [false, 4],
        [true, 8],
      ]);
      assert.deepEqual(await one('| SELECT CAST(bytes / 3 AS integer), CAST(bytes AS text), length(interface_id) WHERE bytes = 64'), [[21, '64', 6]]);
      assert.deepEqual(await one("| SELECT upper(interface_id) || '/' || lower(action) WHERE bytes = 64"), [['ENI-B2/accept']]);
    });

    test('queries read only the time range asked for', async () => {
      assert.deepEqual((await run('| SELECT count(*), min(bytes)', {}, { from: T0 + 600, to: T0 + 901 })).rows, [[3, 64]]);
    });

    test('records come back whole, filtered by exact values, newest first', async () => {
      const s = table.store;
      const byIp = await s.flows({ range: ALL, filters: [{ field: 'src_addr', values: ['10.0.0.1', '2001:db8::2'] }], limit: 100 });
      assert.deepEqual([...byIp.rows()].map((r) => r.bytes).sort((a, b) => a - b), [90, 100, 9000]);
      const rec = (await s.flows({ range: ALL, filters: [{ field: 'bytes', values: ['9000'] }], limit: 1 })).get(0);
      assert.equal(rec.src_addr, '2001:db8::2');
      assert.equal(rec.dst_addr, '2001:db8:1::1');
      assert.equal(rec.interface_id, 'eni-b1');
      assert.equal(rec.action, 'REJECT');
      assert.equal(rec.dst_port, 8080);
      assert.equal(rec.first_ms, (T0 + 620) * 1000 + 250);
      const rejectedSsh = await s.flows({ range: ALL, filters: [{ field: 'action', values: ['reject'] }, { field: 'dst_port', values: ['22'] }], limit: 10 });
      assert.deepEqual([...rejectedSsh.rows()].map((r) => r.bytes), [120, 200]);
      const oldest = await s.flows({ range: ALL, limit: 2, order: 'oldest' });
      assert.deepEqual([...oldest.rows()].map((r) => r.bytes), [100, 200]);
      await assert.rejects(s.flows({ range: ALL, filters: [{ field: 'dst_port', values: ['http'] }], limit: 1 }), /dst_port: 'http' is not a whole number/);
      await assert.rejects(s.flows({ range: ALL, filters: [{ field: 'src_addr', values: ["1' OR 1=1 --"] }], limit: 1 }), /is not an IP address/);
      const injected = await s.flows({ range: ALL, filters: [{ field: 'interface_id', values: ["eni-a1' OR '1'='1", "eni-a1\\' OR 1=1 --"] }], limit: 10 });
      assert.equal(injected.length, 0);
    });

    test('answers from rollups equal answers from raw records, over whole and partial hours', async () => {
      const s = sim.store;
      const start = data.start;
      const queries = [
        '| SELECT src_addr, sum(bytes) AS b, count(*) AS n FROM flows GROUP BY src_addr ORDER BY b DESC, src_addr LIMIT 10',
        'action:REJECT | SELECT dst_addr, sum(packets) AS p, count(*) AS n GROUP BY 1 ORDER BY n DESC, dst_addr LIMIT 20',
        'direction:egress | SELECT protocol, interface_id, count(*) AS n GROUP BY 1, 2 ORDER BY n DESC, 2 LIMIT 15',
        '| SELECT bucket(start, 3600) AS h, interface_id, sum(bytes) AS b GROUP BY 1, 2 ORDER BY 1, 2',
        "| SELECT bucket(start, '5m') AS t, sum(bytes) AS b, count(*) AS n GROUP BY 1 ORDER BY 1",
      ];
      const ranges = [ALL, { from: start + 1800, to: start + 3 * 3600 - 900 }, { from: start + 3600, to: start + 7200 }];
      for (const text of queries) {
        const q = parseQuery(text);
        for (const range of ranges) {
          const viaTier = prepareQuery(s, q);
          const raw = prepareQuery(s, q, { rollups: false });
          assert.ok(viaTier.sqlOptions.tier, `a tier answers ${text}`);
          const a = await s.sql(viaTier.sql, range, viaTier.sqlOptions);
          const b = await s.sql(raw.sql, range);
          assert.ok(b.rows.length > 0);
          assert.deepEqual(a.rows, b.rows, `${text} over ${JSON.stringify(range)}`);
        }
      }
      // And the raw answer is the records' own: bytes per hour and interface.
      const want = [...sumBy(data.records, (r) => `${Math.floor(r.start / 3600) * 3600}\t${r.interface_id}`, (r) => r.bytes)].sort((x, y) => (x[0] < y[0] ? -1 : 1));
      const got = await s.sql(prepareQuery(s, parseQuery(queries[3])).sql, ALL, prepareQuery(s, parseQuery(queries[3])).sqlOptions);
      assert.deepEqual(got.rows.map((r) => [`${r[0]}\t${r[1]}`, r[2]]), want);
    });

    test('analyses answer what the records say', async () => {
      const input: AnalysisInput = { store: sim.store, range: { from: data.start, to: data.start + 7200 } };
      const recs = data.records.filter((r) => r.start >= input.range.from && r.start < input.range.to);
      const byBytes = [...sumBy(recs, (r) => r.src_addr, (r) => r.bytes)].sort((a, b) => b[1] - a[1]).slice(0, 5);
      const t = await top(input, { by: 'src', metric: 'bytes', limit: 5 });
      assert.deepEqual(t.rows.map((r) => r.total_bytes), byBytes.map((x) => x[1]));
      const flows = [...sumBy(recs, (r) => r.interface_id, () => 1)].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 3);
      assert.deepEqual((await top(input, { by: 'eni', metric: 'flows', limit: 3 })).rows.map((r) => [r.interface_id, r.flows]), flows);
      const s = await series(input, { bucket: 600 });
      const per10 = [...sumBy(recs, (r) => String(Math.floor(r.start / 600) * 600), (r) => r.bytes)].sort((a, b) => Number(a[0]) - Number(b[0]));
      assert.deepEqual(s.points.map((p) => [String(p.t), p.total_bytes]), per10);
      const rej = await rejected(input, { limit: 3 });
      const rejRecs = recs.filter((r) => r.action === 'REJECT');
      assert.deepEqual(rej.total, { flows: rejRecs.length, packets: rejRecs.reduce((n, r) => n + r.packets, 0), bytes: rejRecs.reduce((n, r) => n + r.bytes, 0) });
      const m = await mix(input, {});
      assert.deepEqual(
        m.protocols.map((p) => [p.protocol, p.total_bytes]),
        [...sumBy(recs, (r) => String(r.protocol), (r) => r.bytes)].sort((a, b) => b[1] - a[1] || Number(a[0]) - Number(b[0])).map(([p, b]) => [Number(p), b]),
      );
      const k = await sankey(input, { from: 'vpc', to: 'subnet', limit: 5 });
      assert.ok(k.links.length > 0);
      const bw = await bandwidth(input, { limit: 3 });
      assert.ok(bw.rows.length > 0 && bw.rows[0].max_bps >= bw.rows[0].p95_bps);
    });
  });
}

/** Every query the same-answers test asks both stores, with a total order so rows compare. */
export const SAME_ANSWER_QUERIES: readonly string[] = [
  '',
  'action:REJECT',
  'src_addr:10.0.0.0/8 AND NOT dst_port:(22 OR 443)',
  '| SELECT count(*), sum(bytes), sum(packets), min(start), max(end), count(DISTINCT src_addr), count(DISTINCT interface_id)',
  '| SELECT src_addr, dst_addr, sum(bytes) AS b, count(*) AS n GROUP BY 1, 2 ORDER BY b DESC, 1, 2 LIMIT 25',
  '| SELECT interface_id, direction, action, sum(bytes) AS b, sum(packets) AS p, count(*) AS n GROUP BY 1, 2, 3 ORDER BY 1, 2, 3',
  "| SELECT bucket(start, '1m') AS t, sum(bytes) AS b, count(*) AS n GROUP BY 1 ORDER BY 1",
  '| SELECT protocol, dst_port, count(*) AS n, avg(bytes) AS a GROUP BY 1, 2 ORDER BY n DESC, 1, 2 LIMIT 20',
  '| SELECT src_addr, count(DISTINCT dst_port) AS ports GROUP BY 1 HAVING ports > 10 ORDER BY ports DESC, 1',
  '| SELECT vpc_id, subnet_id, quantile(bytes, 0.95) AS p95, median(packets) AS m, max(bytes) AS mx GROUP BY 1, 2 ORDER BY 1, 2',
  "tcp_flags:>0 | SELECT to_timestamp(bucket(start, '10m')) AS t, count(*) AS n GROUP BY 1 ORDER BY 1",
  '| SELECT dst_country, src_asn, count(*) AS n GROUP BY 1, 2 ORDER BY n DESC, 1, 2 LIMIT 10',
  'interface_id:eni-* | SELECT instance_id, round(sum(bytes) / 1e6, 3) AS mb GROUP BY 1 ORDER BY mb DESC, 1 LIMIT 10',
];

/** Query results as comparable values (rows only; types are each engine's own). */
export async function answer(store: FlowStore, text: string, range = ALL): Promise<unknown> {
  const p = prepareQuery(store, parseQuery(text));
  const r = await store.sql(p.sql, range, p.sqlOptions);
  return r.rows;
}
