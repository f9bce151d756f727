// The query language end to end: records stored in a real DuckDbStore, queries parsed and
// compiled, answers checked against what the table below says they must be.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { FlowBatch } from '../../schema/batch.js';
import { exactFilter, parseQuery } from '../../query/index.js';
import type { QueryResult } from '../store.js';
import { compileQuery, type CompileOptions } from './compile.js';
import { DuckDbStore } from './store.js';

const T0 = 1_795_300_000 - (1_795_300_000 % 3600);
const ALL = { from: 0, to: 2 ** 32 };

// Every row has a different byte count, which identifies it in the answers.
// prettier-ignore
const ROWS = [
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

const BYTES = ROWS.map((r) => r[7]);

let dir: string;
let store: DuckDbStore;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-query-'));
  store = new DuckDbStore({ dataDir: dir, compactEveryMs: 0, segments: { flushMs: 10, encoders: 0 } });
  await store.start();
  const b = new FlowBatch(ROWS.length);
  for (const [account_id, interface_id, src_addr, dst_addr, src_port, dst_port, protocol, bytes, packets, t, action] of ROWS) {
    b.push({ account_id, interface_id, src_addr, dst_addr, src_port, dst_port, protocol, bytes, packets, start: T0 + t, end: T0 + t + 60, first_ms: (T0 + t) * 1000 + 250, action });
  }
  await store.append(b);
});

after(async () => {
  await store.stop();
  fs.rmSync(dir, { recursive: true });
});

async function run(query: string, opts: CompileOptions = {}, range = ALL): Promise<QueryResult> {
  return store.sql(compileQuery(parseQuery(query), opts).sql, range);
}

/** The rows a filter selects, as indexes into ROWS. */
async function matching(filter: string, opts: CompileOptions = {}): Promise<number[]> {
  const res = await run(filter, opts);
  const col = res.columns.findIndex((c) => c.name === 'bytes');
  return res.rows.map((r) => BYTES.indexOf(r[col] as never)).sort((a, b) => a - b);
}

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
  assert.deepEqual((await run('| SELECT count(*) WHERE account_id = \'b\' OR TRUE', { scope })).rows, [[5]]);
  const nobody = exactFilter([{ field: 'account_id', values: ['\u0001no-account'] }]);
  assert.deepEqual((await run('| SELECT count(*)', { scope: nobody })).rows, [[0]]);
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
  const dst = await run('| SELECT dst_addr, count(*) AS n GROUP BY dst_addr HAVING n >= 3 ORDER BY n DESC');
  assert.deepEqual(dst.rows, [['10.0.1.1', 6]]);
  const byKind = await run("| SELECT CASE WHEN dst_port < 1024 THEN 'system' ELSE 'high' END AS k, count(*) GROUP BY k ORDER BY k");
  assert.deepEqual(byKind.rows, [
    ['high', 4],
    ['system', 8],
  ]);
});

test('time buckets and timestamps', async () => {
  const res = await run("| SELECT bucket(start, '5m') AS t, count(*) AS n, sum(bytes) AS b GROUP BY t ORDER BY t");
  assert.deepEqual(res.rows, [
    [T0, 3, 5000300],
    [T0 + 300, 2, 380],
    [T0 + 600, 2, 16000],
    [T0 + 900, 4, 454],
    [T0 + 1200, 1, 90],
  ]);
  const ms = await run("| SELECT bucket(first_ms, '10m') AS t, count(*) GROUP BY t ORDER BY t");
  assert.deepEqual(ms.rows, [
    [T0 * 1000, 5],
    [(T0 + 600) * 1000, 6],
    [(T0 + 1200) * 1000, 1],
  ]);
  const ts = await run('| SELECT to_timestamp(min(start)) AS a, to_timestamp_ms(min(first_ms)) AS b');
  assert.deepEqual(ts.rows, [[new Date(T0 * 1000).toISOString().replace('.000Z', 'Z'), new Date(T0 * 1000 + 250).toISOString()]]);
});

test('SQL over addresses, enums, patterns and arithmetic', async () => {
  const one = async (q: string) => (await run(q)).rows;
  assert.deepEqual(await one("| SELECT count(*) WHERE ip_in(src_addr, '10.0.0.0/8', '2001:db8::/32')"), [[7]]);
  assert.deepEqual(await one("| SELECT interface_id WHERE src_addr = '192.168.1.10'"), [['eni_a3']]);
  assert.deepEqual(await one("| SELECT count(*) WHERE action = 'reject'"), [[6]]);
  assert.deepEqual(await one("| SELECT count(*) WHERE interface_id LIKE 'eni\\_%'"), [[1]]);
  assert.deepEqual(await one('| SELECT count(DISTINCT src_addr)'), [[9]]);
  assert.deepEqual(await one('| SELECT quantile(bytes, 0.5), median(bytes), min(dst_addr), max(src_addr)'), [[135, 135, '8.8.8.8', '2001:db9::1']]);
  // Unsigned columns are widened: the difference goes below zero instead of failing.
  assert.deepEqual(await one('| SELECT min(dst_port - src_port)'), [[-49557]]);
  assert.deepEqual(await one("| SELECT round(sum(bytes) / 1e6, 2), concat('n=', count(*))"), [[5.02, 'n=12']]);
  assert.deepEqual(await one("| SELECT DISTINCT protocol WHERE protocol IN ('tcp', 'udp') ORDER BY 1"), [[6], [17]]);
  assert.deepEqual(await one('| SELECT * WHERE bytes = 64').then((r) => r.length), 1);
});

test('queries read only the time range asked for', async () => {
  const res = await run('| SELECT count(*), min(bytes)', {}, { from: T0 + 600, to: T0 + 901 });
  assert.deepEqual(res.rows, [[3, 64]]);
});
