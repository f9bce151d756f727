import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FIELDS } from '../../schema/fields.js';
import { exactFilter, parseFilter, parseQuery } from '../../query/index.js';
import { compileFilter, compileQuery, likePattern } from './compile.js';

const ALL = FIELDS.map((f) => `"${f.name}"`).join(', ');
const NEWEST = 'ORDER BY "start" DESC, "first_ms" DESC, "interface_id", "src_addr", "dst_addr", "src_port", "dst_port"';
const U = (hex: string) => `'${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}'::UUID`;
const V4 = (hex8: string) => U(`00000000000000000000ffff${hex8}`);

function sql(q: string, opts = {}): string {
  return compileQuery(parseQuery(q), opts).sql;
}

function where(filter: string): string {
  return compileFilter(parseFilter(filter));
}

test('filter terms compile to one predicate each, with typed literals', () => {
  assert.equal(where(''), 'TRUE');
  assert.equal(where('dst_port:22'), '"dst_port" = 22');
  assert.equal(where('action:reject'), `"action" = 'REJECT'`);
  assert.equal(where('protocol:tcp'), '"protocol" = 6');
  assert.equal(where('src_addr:10.0.0.1'), `"src_addr" = ${V4('0a000001')}`);
  assert.equal(where('dst_addr:2001:db8::1'), `"dst_addr" = ${U('20010db8000000000000000000000001')}`);
  assert.equal(where('src_mac:00:00:00:00:01:00'), '"src_mac" = 256');
  assert.equal(where("interface_id:\"it's\""), `"interface_id" = 'it''s'`);
  assert.equal(where('start:>=2026-01-01T00:00:00Z'), '"start" >= 1767225600');
});

test('CIDR blocks are BETWEEN ranges of UUIDs, v4 and v6', () => {
  assert.equal(where('src_addr:10.0.0.0/8'), `"src_addr" BETWEEN ${V4('0a000000')} AND ${V4('0affffff')}`);
  assert.equal(where('dst_addr:192.168.1.0/24'), `"dst_addr" BETWEEN ${V4('c0a80100')} AND ${V4('c0a801ff')}`);
  assert.equal(where('src_addr:2001:db8::/32'), `"src_addr" BETWEEN ${U('20010db8000000000000000000000000')} AND ${U('20010db8ffffffffffffffffffffffff')}`);
  assert.equal(where('10.1.0.0/16'), `"src_addr" BETWEEN ${V4('0a010000')} AND ${V4('0a01ffff')} OR "dst_addr" BETWEEN ${V4('0a010000')} AND ${V4('0a01ffff')}`);
});

test('ranges and comparisons', () => {
  assert.equal(where('bytes:>1000000'), '"bytes" > 1000000');
  assert.equal(where('dst_port:[1024 TO 65535]'), '"dst_port" BETWEEN 1024 AND 65535');
  assert.equal(where('dst_port:{1024 TO 2048]'), '"dst_port" > 1024 AND "dst_port" <= 2048');
  assert.equal(where('bytes:[100 TO *]'), '"bytes" >= 100');
  assert.equal(where('bytes:{* TO 100}'), '"bytes" < 100');
});

test('wildcards become LIKE with %, _ and \\ in the literal text escaped', () => {
  assert.equal(where('interface_id:eni-*'), `"interface_id" LIKE 'eni-%' ESCAPE '\\'`);
  assert.equal(where('rule_id:100%_?'), `"rule_id" LIKE '100\\%\\__' ESCAPE '\\'`);
  assert.equal(where("vpc_id:*'x\\\\*"), `"vpc_id" LIKE '%''x\\\\%' ESCAPE '\\'`);
  assert.equal(likePattern([{ literal: 'a_b%c\\' }, { any: true }, { one: true }]), 'a\\_b\\%c\\\\%_');
});

test('AND, OR and NOT keep their grouping with the fewest parentheses', () => {
  assert.equal(
    where('src_addr:10.0.0.0/16 AND dst_port:(22 OR 3389) AND action:REJECT NOT protocol:1'),
    `"src_addr" BETWEEN ${V4('0a000000')} AND ${V4('0a00ffff')} AND ("dst_port" = 22 OR "dst_port" = 3389) AND "action" = 'REJECT' AND NOT ("protocol" = 1)`,
  );
  assert.equal(where('dst_port:22 OR dst_port:23 protocol:6'), '"dst_port" = 22 OR "dst_port" = 23 AND "protocol" = 6');
  assert.equal(where('-(dst_port:22 OR dst_port:23)'), 'NOT ("dst_port" = 22 OR "dst_port" = 23)');
  assert.equal(where('dst_port:(>1024 AND <2048)'), '"dst_port" > 1024 AND "dst_port" < 2048');
  assert.equal(where('bytes:{1 TO 5} OR bytes:0'), '"bytes" > 1 AND "bytes" < 5 OR "bytes" = 0');
  assert.equal(where('NOT bytes:{1 TO 5}'), 'NOT ("bytes" > 1 AND "bytes" < 5)');
});

test('a filter alone selects whole records, newest first, with the row ceiling', () => {
  assert.equal(sql(''), `SELECT ${ALL} FROM flows ${NEWEST}`);
  assert.equal(sql('action:REJECT', { maxRows: 100 }), `SELECT ${ALL} FROM flows WHERE "action" = 'REJECT' ${NEWEST} LIMIT 100`);
  const c = compileQuery(parseQuery('dst_port:22'));
  assert.deepEqual(
    c.columns.map((x) => x.name),
    FIELDS.map((f) => f.name),
  );
  assert.deepEqual(c.columns.find((x) => x.name === 'src_addr'), { name: 'src_addr', type: 'ip', field: 'src_addr' });
});

test('the tenant scope is ANDed in front of the filter and the query WHERE', () => {
  const scope = exactFilter([{ field: 'account_id', values: ['acct-a', 'acct-b'] }]);
  assert.equal(sql('', { scope }), `SELECT ${ALL} FROM flows WHERE "account_id" = 'acct-a' OR "account_id" = 'acct-b' ${NEWEST}`);
  assert.equal(
    sql('dst_port:22 OR dst_port:23 | SELECT count(*) WHERE bytes > 1 OR packets > 1', { scope }),
    `SELECT count(*) AS "count(*)" FROM flows WHERE ("account_id" = 'acct-a' OR "account_id" = 'acct-b') AND ("dst_port" = 22 OR "dst_port" = 23) AND ("bytes" > 1 OR "packets" > 1)`,
  );
  // A scope that cannot be satisfied stays in the query: it must never widen to everything.
  const none = exactFilter([{ field: 'account_id', values: ['\u0001no-account'] }]);
  assert.equal(sql('| SELECT count(*)', { scope: none }), `SELECT count(*) AS "count(*)" FROM flows WHERE "account_id" = '\u0001no-account'`);
});

test('the top-N example: aliases name columns, ORDER BY uses them, LIMIT is capped', () => {
  const q = 'action:REJECT | SELECT src_addr, count(*) AS flows GROUP BY src_addr ORDER BY flows DESC LIMIT 10';
  const expected = `SELECT "src_addr" AS "src_addr", count(*) AS "flows" FROM flows WHERE "action" = 'REJECT' GROUP BY "src_addr" ORDER BY "flows" DESC LIMIT`;
  assert.equal(sql(q), `${expected} 10`);
  assert.equal(sql(q, { maxRows: 5 }), `${expected} 5`);
  assert.equal(sql(q, { maxRows: 50 }), `${expected} 10`);
  assert.deepEqual(compileQuery(parseQuery(q)).columns, [
    { name: 'src_addr', type: 'ip', field: 'src_addr' },
    { name: 'flows', type: 'num' },
  ]);
});

test('time buckets, quantiles, timestamps and renamed aggregates', () => {
  assert.equal(
    sql("| SELECT bucket(start, '5m') AS t, sum(bytes) AS b, percentile(bytes, 95), stddev(bytes), median(packets) GROUP BY t ORDER BY t"),
    'SELECT ("start" // 300) * 300 AS "t", sum("bytes") AS "b", quantile_cont("bytes", 0.95) AS "percentile(bytes, 95)", stddev_samp("bytes") AS "stddev(bytes)", quantile_cont("packets", 0.5) AS "median(packets)" FROM flows GROUP BY ("start" // 300) * 300 ORDER BY "t"',
  );
  assert.equal(
    sql('| SELECT to_timestamp(start), to_timestamp_ms(first_ms) LIMIT 1'),
    `SELECT strftime(make_timestamp(CAST("start" AS BIGINT) * 1000000), '%Y-%m-%dT%H:%M:%SZ') AS "to_timestamp(start)", strftime(make_timestamp(CAST("first_ms" AS BIGINT) * 1000), '%Y-%m-%dT%H:%M:%S.%gZ') AS "to_timestamp_ms(first_ms)" FROM flows LIMIT 1`,
  );
  assert.equal(sql('| SELECT count(DISTINCT src_addr) AS n, approx_count_distinct(dst_addr) AS m'), 'SELECT count(DISTINCT "src_addr") AS "n", approx_count_distinct("dst_addr") AS "m" FROM flows');
});

test('addresses: string literals become UUIDs, ip_in becomes BETWEEN', () => {
  assert.equal(
    sql("| SELECT count(*) WHERE src_addr = '10.0.0.1' AND ip_in(dst_addr, '10.0.0.0/8', '2001:db8::/32') AND exporter IN ('::1')"),
    `SELECT count(*) AS "count(*)" FROM flows WHERE "src_addr" = ${V4('0a000001')} AND ("dst_addr" BETWEEN ${V4('0a000000')} AND ${V4('0affffff')} OR "dst_addr" BETWEEN ${U('20010db8000000000000000000000000')} AND ${U('20010db8ffffffffffffffffffffffff')}) AND "exporter" IN (${U('00000000000000000000000000000001')})`,
  );
  assert.equal(sql("| SELECT ip_in(src_addr, '10.0.0.1') AS inside"), `SELECT "src_addr" BETWEEN ${V4('0a000001')} AND ${V4('0a000001')} AS "inside" FROM flows`);
});

test('aliases are inlined where DuckDB cannot see them, named where it can', () => {
  assert.equal(
    sql('| SELECT bytes * 8 AS bits, sum(bits) AS total WHERE bits > 0 GROUP BY bits HAVING total > 10 ORDER BY total DESC'),
    'SELECT CAST("bytes" AS BIGINT) * 8 AS "bits", sum(CAST("bytes" AS BIGINT) * 8) AS "total" FROM flows WHERE CAST("bytes" AS BIGINT) * 8 > 0 GROUP BY CAST("bytes" AS BIGINT) * 8 HAVING sum(CAST("bytes" AS BIGINT) * 8) > 10 ORDER BY "total" DESC',
  );
  assert.equal(sql('| SELECT dst_port, count(*) GROUP BY 1 ORDER BY 2 DESC NULLS LAST'), 'SELECT "dst_port" AS "dst_port", count(*) AS "count(*)" FROM flows GROUP BY 1 ORDER BY 2 DESC NULLS LAST');
});

test('operators: precedence kept, unsigned columns widened for + - * and unary minus', () => {
  assert.equal(sql('| SELECT (1 + 2) * 3 AS a, 1 + 2 * 3 AS b, 10 - (2 - 3) AS c, 10 - 2 - 3 AS d'), 'SELECT (1 + 2) * 3 AS "a", 1 + 2 * 3 AS "b", 10 - (2 - 3) AS "c", 10 - 2 - 3 AS "d" FROM flows');
  assert.equal(sql('| SELECT end - start AS dur, -bytes AS neg, bytes / packets AS avg_size, 3 - -2 AS e'), 'SELECT CAST("end" AS BIGINT) - CAST("start" AS BIGINT) AS "dur", -CAST("bytes" AS BIGINT) AS "neg", "bytes" / "packets" AS "avg_size", 3 - -2 AS "e" FROM flows');
  assert.equal(sql("| SELECT 'a' || (1 + 2) AS x, ('a' || 'b') || 'c' AS y"), `SELECT 'a' || 1 + 2 AS "x", 'a' || 'b' || 'c' AS "y" FROM flows`);
  assert.equal(sql('| SELECT -(-bytes) AS x'), 'SELECT -(-CAST("bytes" AS BIGINT)) AS "x" FROM flows');
  assert.equal(sql('| SELECT NOT (bytes > 1 OR packets > 1) AS x, NOT bytes > 1 AS y'), 'SELECT NOT ("bytes" > 1 OR "packets" > 1) AS "x", NOT "bytes" > 1 AS "y" FROM flows');
  assert.equal(sql('| SELECT (bytes > 1) = (packets > 1) AS x'), 'SELECT ("bytes" > 1) = ("packets" > 1) AS "x" FROM flows');
});

test('predicates, CASE, CAST and the rest of the expression forms', () => {
  assert.equal(
    sql("| SELECT DISTINCT interface_id WHERE vpc_id NOT ILIKE '%prod%' AND rule_id IS NOT NULL AND dst_port NOT BETWEEN 1 AND 1023 AND protocol NOT IN ('tcp', 17) AND action != 'accept'"),
    `SELECT DISTINCT "interface_id" AS "interface_id" FROM flows WHERE "vpc_id" NOT ILIKE '%prod%' ESCAPE '\\' AND "rule_id" IS NOT NULL AND "dst_port" NOT BETWEEN 1 AND 1023 AND "protocol" NOT IN (6, 17) AND "action" <> 'ACCEPT'`,
  );
  assert.equal(
    sql("| SELECT CASE WHEN dst_port < 1024 THEN 'system' ELSE 'other' END AS k, CASE protocol WHEN 6 THEN 'tcp' END AS p, CAST(bytes AS DOUBLE) AS d, CAST(start AS TEXT) AS s, CAST(1 AS INT) AS i, CAST(0 AS BOOL) AS b"),
    `SELECT CASE WHEN "dst_port" < 1024 THEN 'system' ELSE 'other' END AS "k", CASE "protocol" WHEN 6 THEN 'tcp' END AS "p", CAST("bytes" AS DOUBLE) AS "d", CAST("start" AS VARCHAR) AS "s", CAST(1 AS BIGINT) AS "i", CAST(0 AS BOOLEAN) AS "b" FROM flows`,
  );
  assert.equal(
    sql("| SELECT round(bytes / 1e6, 2) AS mb, coalesce(NULL, TRUE) AS t, greatest(src_port, dst_port) AS g, concat(lower(vpc_id), '-', upper(subnet_id)) AS c, length(rule_id) AS l, starts_with(instance_id, 'i-') AS i, abs(1.5) AS a, floor(2.5) AS f, ceil(2.5) AS e OFFSET 3"),
    `SELECT round("bytes" / 1000000, 2) AS "mb", coalesce(NULL, TRUE) AS "t", greatest("src_port", "dst_port") AS "g", concat(lower("vpc_id"), '-', upper("subnet_id")) AS "c", length("rule_id") AS "l", starts_with("instance_id", 'i-') AS "i", abs(1.5) AS "a", floor(2.5) AS "f", ceil(2.5) AS "e" FROM flows OFFSET 3`,
  );
  assert.equal(sql('| SELECT * WHERE bytes > 0 LIMIT 2'), 'SELECT * FROM flows WHERE "bytes" > 0 LIMIT 2');
});

test('names are always quoted: odd aliases and the keyword-named field stay identifiers', () => {
  assert.equal(sql('| SELECT end AS "the ""end"""'), 'SELECT "end" AS "the ""end""" FROM flows');
  assert.equal(sql('| SELECT bytes AS select_'), 'SELECT "bytes" AS "select_" FROM flows');
});
