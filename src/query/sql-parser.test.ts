import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Expr, SelectNode } from './ast.js';
import { QuerySyntaxError } from './errors.js';
import { MAX_DEPTH } from './limits.js';
import { parseQuery } from './parse.js';

function sel(sql: string): SelectNode {
  const s = parseQuery(`| ${sql}`).select;
  assert.ok(s, 'no SELECT parsed');
  return s;
}

/** The tree with positions removed, for comparing structure. */
function shape(x: unknown): unknown {
  return JSON.parse(JSON.stringify(x, (k, v) => (k === 'pos' ? undefined : v)));
}

function where(sql: string): unknown {
  return shape(sel(`SELECT count(*) WHERE ${sql}`).where);
}

function item(sql: string, i = 0): unknown {
  return shape(sel(`SELECT ${sql}`).items[i].expr);
}

const f = (name: string) => ({ kind: 'field', name });
const n = (value: number) => ({ kind: 'num', value });
const s = (value: string) => ({ kind: 'str', value });
const call = (fn: string, args: unknown[], extra: Partial<{ distinct: boolean; star: boolean }> = {}) => ({ kind: 'call', fn, args, distinct: false, star: false, ...extra });
const v4 = (a: number, b: number, c: number, d: number) => [0, 0, 0xffff, ((a << 24) | (b << 16) | (c << 8) | d) >>> 0];

function rejects(sql: string, column: number, message: RegExp): void {
  const text = `| ${sql}`;
  assert.throws(
    () => parseQuery(text),
    (e: unknown) => {
      assert.ok(e instanceof QuerySyntaxError, `not a QuerySyntaxError: ${String(e)}`);
      assert.equal(e.column, column + 3, `column of ${JSON.stringify(sql.slice(0, 60))}: ${e.message}`);
      assert.match(e.message, message);
      return true;
    },
  );
}

test('the top-N example from the design', () => {
  const q = parseQuery('action:REJECT | SELECT src_addr, count(*) AS flows GROUP BY src_addr ORDER BY flows DESC LIMIT 10');
  assert.deepEqual(shape(q.select), {
    distinct: false,
    items: [
      { expr: f('src_addr'), name: 'src_addr', type: 'ip' },
      { expr: call('count', [], { star: true }), alias: 'flows', name: 'flows', type: 'num' },
    ],
    groupBy: [f('src_addr')],
    orderBy: [{ expr: { kind: 'alias', name: 'flows' }, desc: true }],
    limit: 10,
    aggregate: true,
  });
});

test('select items: *, aliases with and without AS, quoted aliases, default names as typed', () => {
  const q = sel('SELECT *, bytes b, packets AS "Packets seen", bytes / packets, abs(bytes)  FROM flows');
  assert.deepEqual(
    q.items.map((i) => [i.name, i.alias]),
    [
      ['*', undefined],
      ['b', 'b'],
      ['Packets seen', 'Packets seen'],
      ['bytes / packets', undefined],
      ['abs(bytes)', undefined],
    ],
  );
  assert.equal(sel('select DISTINCT src_addr from FLOWS').distinct, true);
  assert.equal(sel('SELECT ALL src_addr').distinct, false);
  assert.equal(sel('SELECT src_addr FROM "flows"').items.length, 1);
});

test('item types follow the schema and the functions', () => {
  const q = sel("SELECT src_addr, interface_id, bytes, action, bytes > 1, to_timestamp(start), CAST(bytes AS TEXT), CASE WHEN bytes > 1 THEN 'big' END");
  assert.deepEqual(
    q.items.map((i) => i.type),
    ['ip', 'text', 'num', 'text', 'bool', 'text', 'text', 'text'],
  );
  assert.deepEqual(
    sel('SELECT min(dst_addr), count(*), coalesce(max(exporter), \'::\')').items.map((i) => i.type),
    ['ip', 'num', 'ip'],
  );
});

test('clauses: WHERE, GROUP BY by name, alias and position, HAVING, ORDER BY with NULLS, LIMIT, OFFSET', () => {
  const q = sel('SELECT bucket(start, 60) AS t, dst_port, sum(bytes) AS b WHERE protocol = 6 GROUP BY t, 2 HAVING b > 100 ORDER BY 3 DESC NULLS LAST, t ASC LIMIT 5 OFFSET 10');
  assert.deepEqual(shape(q.where), { kind: 'compare', op: '=', left: f('protocol'), right: n(6) });
  assert.deepEqual(shape(q.groupBy), [{ kind: 'alias', name: 't' }, { kind: 'ordinal', index: 2 }]);
  assert.deepEqual(shape(q.having), { kind: 'compare', op: '>', left: { kind: 'alias', name: 'b' }, right: n(100) });
  assert.deepEqual(shape(q.orderBy), [
    { expr: { kind: 'ordinal', index: 3 }, desc: true, nulls: 'last' },
    { expr: { kind: 'alias', name: 't' }, desc: false },
  ]);
  assert.equal(q.limit, 5);
  assert.equal(q.offset, 10);
  assert.equal(q.aggregate, true);
  assert.equal(sel('SELECT src_addr').aggregate, false);
  assert.equal(sel('SELECT count(*)').aggregate, true);
});

test('arithmetic precedence and associativity; unary minus folds into numbers', () => {
  assert.deepEqual(item('1 + 2 * 3'), { kind: 'arith', op: '+', left: n(1), right: { kind: 'arith', op: '*', left: n(2), right: n(3) } });
  assert.deepEqual(item('10 - 2 - 3'), { kind: 'arith', op: '-', left: { kind: 'arith', op: '-', left: n(10), right: n(2) }, right: n(3) });
  assert.deepEqual(item('(1 + 2) % 3'), { kind: 'arith', op: '%', left: { kind: 'arith', op: '+', left: n(1), right: n(2) }, right: n(3) });
  assert.deepEqual(item('-5'), n(-5));
  assert.deepEqual(item('- -5'), n(5));
  assert.deepEqual(item('-bytes'), { kind: 'neg', arg: f('bytes') });
  assert.deepEqual(item('+bytes'), f('bytes'));
  assert.deepEqual(item('1.5e3 + .5'), { kind: 'arith', op: '+', left: n(1500), right: n(0.5) });
  assert.deepEqual(item("'a' || 1 + 2"), { kind: 'concat', left: s('a'), right: { kind: 'arith', op: '+', left: n(1), right: n(2) } });
});

test('boolean logic: NOT binds tighter than AND, AND tighter than OR', () => {
  assert.deepEqual(where('NOT bytes > 1 AND packets = 2 OR protocol = 6'), {
    kind: 'logic',
    op: 'or',
    args: [
      { kind: 'logic', op: 'and', args: [{ kind: 'not', arg: { kind: 'compare', op: '>', left: f('bytes'), right: n(1) } }, { kind: 'compare', op: '=', left: f('packets'), right: n(2) }] },
      { kind: 'compare', op: '=', left: f('protocol'), right: n(6) },
    ],
  });
  assert.deepEqual(where('bytes <> 1'), { kind: 'compare', op: '!=', left: f('bytes'), right: n(1) });
  assert.deepEqual(where('TRUE'), { kind: 'bool', value: true });
});

test('predicates: IN, BETWEEN, LIKE, ILIKE, IS NULL and their negations', () => {
  assert.deepEqual(where('dst_port IN (22, 3389)'), { kind: 'in', arg: f('dst_port'), list: [n(22), n(3389)], negated: false });
  assert.deepEqual(where('dst_port NOT IN (22)'), { kind: 'in', arg: f('dst_port'), list: [n(22)], negated: true });
  assert.deepEqual(where('bytes BETWEEN 1 AND 10 AND packets = 1'), {
    kind: 'logic',
    op: 'and',
    args: [
      { kind: 'between', arg: f('bytes'), low: n(1), high: n(10), negated: false },
      { kind: 'compare', op: '=', left: f('packets'), right: n(1) },
    ],
  });
  assert.deepEqual(where('bytes NOT BETWEEN 1 AND 10'), { kind: 'between', arg: f('bytes'), low: n(1), high: n(10), negated: true });
  assert.deepEqual(where("interface_id LIKE 'eni-%'"), { kind: 'like', arg: f('interface_id'), pattern: s('eni-%'), negated: false, caseInsensitive: false });
  assert.deepEqual(where("vpc_id NOT ILIKE '%PROD%'"), { kind: 'like', arg: f('vpc_id'), pattern: s('%PROD%'), negated: true, caseInsensitive: true });
  assert.deepEqual(where('rule_id IS NULL'), { kind: 'isnull', arg: f('rule_id'), negated: false });
  assert.deepEqual(where('rule_id IS NOT NULL'), { kind: 'isnull', arg: f('rule_id'), negated: true });
});

test('CASE in both forms, and CAST to the supported types', () => {
  assert.deepEqual(item("CASE WHEN dst_port < 1024 THEN 'system' ELSE 'other' END"), {
    kind: 'case',
    whens: [{ when: { kind: 'compare', op: '<', left: f('dst_port'), right: n(1024) }, then: s('system') }],
    else: s('other'),
  });
  // The simple form compares the operand with each WHEN; literals take the operand's type.
  assert.deepEqual(item("CASE protocol WHEN 'tcp' THEN 1 WHEN 17 THEN 2 END"), {
    kind: 'case',
    operand: f('protocol'),
    whens: [
      { when: n(6), then: n(1) },
      { when: n(17), then: n(2) },
    ],
  });
  assert.deepEqual(item('CAST(bytes AS double)'), { kind: 'cast', arg: f('bytes'), to: 'double' });
  assert.deepEqual(item('CAST(bytes AS BIGINT)'), { kind: 'cast', arg: f('bytes'), to: 'integer' });
  assert.deepEqual(item('CAST(bytes AS varchar)'), { kind: 'cast', arg: f('bytes'), to: 'text' });
  assert.deepEqual(item('CAST(1 AS BOOLEAN)'), { kind: 'cast', arg: n(1), to: 'boolean' });
});

test('aggregates: count forms, percentile and median become quantile', () => {
  assert.deepEqual(item('count(*)'), call('count', [], { star: true }));
  assert.deepEqual(item('COUNT(DISTINCT src_addr)'), call('count', [f('src_addr')], { distinct: true }));
  assert.deepEqual(item('sum(DISTINCT bytes)'), call('sum', [f('bytes')], { distinct: true }));
  assert.deepEqual(item('quantile(bytes, 0.99)'), call('quantile', [f('bytes'), n(0.99)]));
  assert.deepEqual(item('percentile(bytes, 95)'), call('quantile', [f('bytes'), n(0.95)]));
  assert.deepEqual(item('median(bytes)'), call('quantile', [f('bytes'), n(0.5)]));
  for (const fn of ['avg', 'min', 'max', 'stddev', 'any_value', 'approx_count_distinct']) assert.deepEqual(item(`${fn}(bytes)`), call(fn, [f('bytes')]));
});

test('scalar functions from the allowlist', () => {
  assert.deepEqual(item('round(bytes / 1e6, 2)'), call('round', [{ kind: 'arith', op: '/', left: f('bytes'), right: n(1e6) }, n(2)]));
  assert.deepEqual(item("concat(interface_id, '/', dst_port)"), call('concat', [f('interface_id'), s('/'), f('dst_port')]));
  assert.deepEqual(item("starts_with(lower(vpc_id), 'vpc-')"), call('starts_with', [call('lower', [f('vpc_id')]), s('vpc-')]));
  assert.deepEqual(item('coalesce(NULL, bytes)'), call('coalesce', [{ kind: 'null' }, f('bytes')]));
  for (const fn of ['abs', 'floor', 'ceil']) assert.deepEqual(item(`${fn}(bytes)`), call(fn, [f('bytes')]));
  assert.deepEqual(item('greatest(src_port, dst_port)'), call('greatest', [f('src_port'), f('dst_port')]));
  assert.deepEqual(item('length(upper(rule_id))'), call('length', [call('upper', [f('rule_id')])]));
});

test("bucket() takes seconds or a duration, in milliseconds for *_ms fields", () => {
  assert.deepEqual(item('bucket(start, 300)'), call('bucket', [f('start'), n(300)]));
  assert.deepEqual(item("bucket(start, '5m')"), call('bucket', [f('start'), n(300)]));
  assert.deepEqual(item("bucket(end, '1h')"), call('bucket', [f('end'), n(3600)]));
  assert.deepEqual(item("bucket(first_ms, '1m')"), call('bucket', [f('first_ms'), n(60000)]));
  assert.deepEqual(item('bucket(last_ms, 60)'), call('bucket', [f('last_ms'), n(60000)]));
  assert.deepEqual(item("to_timestamp_ms(first_ms)"), call('to_timestamp_ms', [f('first_ms')]));
});

test('text compared with an address is an address; ip_in takes CIDR blocks', () => {
  assert.deepEqual(where("src_addr = '10.0.0.1'"), { kind: 'compare', op: '=', left: f('src_addr'), right: { kind: 'ip', words: v4(10, 0, 0, 1) } });
  assert.deepEqual(where("'2001:db8::1' = dst_addr"), { kind: 'compare', op: '=', left: { kind: 'ip', words: [0x20010db8, 0, 0, 1] }, right: f('dst_addr') });
  assert.deepEqual(where("exporter IN ('10.0.0.1', '10.0.0.2')"), { kind: 'in', arg: f('exporter'), list: [{ kind: 'ip', words: v4(10, 0, 0, 1) }, { kind: 'ip', words: v4(10, 0, 0, 2) }], negated: false });
  assert.deepEqual(where("src_addr BETWEEN '10.0.0.1' AND '10.0.0.9'"), {
    kind: 'between',
    arg: f('src_addr'),
    low: { kind: 'ip', words: v4(10, 0, 0, 1) },
    high: { kind: 'ip', words: v4(10, 0, 0, 9) },
    negated: false,
  });
  assert.deepEqual(where("ip_in(src_addr, '10.0.0.0/8', '::1')"), call('ip_in', [
    f('src_addr'),
    { kind: 'cidr', lo: v4(10, 0, 0, 0), hi: v4(10, 255, 255, 255), bits: 104 },
    { kind: 'cidr', lo: [0, 0, 0, 1], hi: [0, 0, 0, 1], bits: 128 },
  ]));
  // Through an alias too.
  const q = sel("SELECT min(src_addr) AS first HAVING first > '10.0.0.0'");
  assert.deepEqual(shape(q.having), { kind: 'compare', op: '>', left: { kind: 'alias', name: 'first' }, right: { kind: 'ip', words: v4(10, 0, 0, 0) } });
});

test('text compared with enum, time and protocol columns takes their type', () => {
  assert.deepEqual(where("action = 'reject'"), { kind: 'compare', op: '=', left: f('action'), right: s('REJECT') });
  assert.deepEqual(where("direction IN ('INGRESS')"), { kind: 'in', arg: f('direction'), list: [s('ingress')], negated: false });
  assert.deepEqual(where("protocol = 'udp'"), { kind: 'compare', op: '=', left: f('protocol'), right: n(17) });
  assert.deepEqual(where("start >= '2026-01-01T00:00:00Z'"), { kind: 'compare', op: '>=', left: f('start'), right: n(1767225600) });
  assert.deepEqual(where("interface_id = 'eni-1'"), { kind: 'compare', op: '=', left: f('interface_id'), right: s('eni-1') });
});

test('aliases can be used in WHERE, GROUP BY, HAVING, ORDER BY and later select items', () => {
  const q = sel('SELECT bytes * 8 AS bits, bits / 1000 AS kbits WHERE bits > 0 ORDER BY kbits');
  assert.deepEqual(shape(q.items[1].expr), { kind: 'arith', op: '/', left: { kind: 'alias', name: 'bits' }, right: n(1000) });
  assert.deepEqual(shape(q.where), { kind: 'compare', op: '>', left: { kind: 'alias', name: 'bits' }, right: n(0) });
  // Alias references are case-insensitive and resolve to the alias as declared.
  assert.deepEqual(shape(sel('SELECT bytes AS Big ORDER BY BIG').orderBy[0].expr), { kind: 'alias', name: 'Big' });
  // An alias may repeat its own field's name.
  assert.equal(sel('SELECT src_addr AS src_addr').items[0].alias, 'src_addr');
});

test('grouped queries accept group keys, their aliases and aggregates', () => {
  sel('SELECT src_addr, dst_port, count(*) GROUP BY src_addr, dst_port');
  sel("SELECT bucket(start, '5m') AS t, sum(bytes) GROUP BY t ORDER BY t");
  sel("SELECT bucket(start, '5m'), sum(bytes) GROUP BY bucket(start, 300) ORDER BY 1");
  sel('SELECT dst_port + 1, count(*) GROUP BY dst_port');
  sel('SELECT any_value(interface_id), count(*) HAVING count(*) > 1');
  sel('SELECT src_addr, count(*) AS c GROUP BY 1 ORDER BY c DESC, src_addr');
});

test('unknown names are located, with suggestions from fields and aliases', () => {
  rejects('SELECT scr_addr', 7, /unknown field 'scr_addr', did you mean 'src_addr'\?/);
  rejects('SELECT count(*) AS flows ORDER BY flow', 34, /unknown field 'flow', did you mean 'flows'\?/);
  rejects('SELECT bytes WHERE zzzzzz > 1', 19, /^col 22: unknown field 'zzzzzz'$/);
  rejects('SELECT b2 + 1, bytes * 2 AS b2', 7, /alias 'b2' is defined later in the select list/);
  rejects('SELECT cont(*)', 7, /unknown function 'cont', did you mean 'count'\?/);
  rejects("SELECT read_csv('/etc/passwd')", 7, /unknown function 'read_csv'/);
  rejects('SELECT version()', 7, /unknown function 'version'/);
  rejects('SELECT count', 7, /unknown field 'count'/);
});

test('anything but one read-only SELECT over flows is refused where it starts', () => {
  rejects('SELECT * FROM flows; DROP TABLE x', 19, /';' is not allowed/);
  rejects('SELECT 1 UNION SELECT 2', 9, /'UNION' is not allowed/);
  rejects('DROP TABLE flows', 0, /'DROP' is not allowed/);
  rejects("PRAGMA enable_external_access", 0, /'PRAGMA' is not allowed/);
  rejects("COPY flows TO '/tmp/x'", 0, /'COPY' is not allowed/);
  rejects("ATTACH '/tmp/x.db'", 0, /'ATTACH' is not allowed/);
  rejects('WITH x AS (SELECT 1) SELECT 1', 0, /'WITH' is not allowed/);
  rejects('SELECT * FROM flows JOIN flows', 20, /'JOIN' is not allowed/);
  rejects('SELECT * FROM other', 14, /only 'flows' can be read/);
  rejects("SELECT * FROM read_parquet('x')", 14, /only 'flows' can be read/);
  rejects('SELECT * FROM (SELECT 1)', 14, /subqueries are not allowed/);
  rejects('SELECT (SELECT 1)', 8, /subqueries are not allowed/);
  rejects('SELECT 1 WHERE bytes IN (SELECT bytes)', 25, /subqueries are not allowed/);
  rejects('SELECT * FROM flows f', 20, /table aliases are not supported/);
  rejects('SELECT flows.bytes', 12, /unexpected '\.' after 'flows'/);
  rejects('SELECT 1 -- comment', 9, /comments are not allowed/);
  rejects('SELECT /* x */ 1', 7, /comments are not allowed/);
  rejects('SELECT bytes::DOUBLE', 12, /'::' casts are not supported/);
  rejects('SELECT $1', 7, /unexpected character '\$'/);
  rejects('SELECT ?', 7, /unexpected character '\?'/);
  rejects('SELECT `bytes`', 7, /unexpected character '`'/);
  rejects('SELECT count(*) OVER ()', 16, /'OVER' is not allowed/);
  rejects('', 0, /expected SELECT after '\|'/);
  rejects('WHERE bytes > 1', 0, /expected SELECT after '\|' but found 'WHERE'/);
});

test('aggregates are checked against WHERE, nesting and GROUP BY', () => {
  rejects('SELECT count(*) WHERE sum(bytes) > 1', 22, /aggregate sum\(\) is not allowed in WHERE; use HAVING/);
  rejects('SELECT sum(bytes) AS b WHERE b > 1', 29, /'b' is an aggregate, which WHERE cannot use \(use HAVING\)/);
  rejects('SELECT sum(count(*))', 11, /aggregates cannot be nested/);
  rejects('SELECT src_port, count(*)', 7, /'src_port' must be in GROUP BY or inside an aggregate such as any_value\(src_port\)/);
  rejects('SELECT src_port, count(*) GROUP BY dst_port', 7, /'src_port' must be in GROUP BY/);
  rejects('SELECT count(*) GROUP BY dst_port ORDER BY bytes', 43, /'bytes' must be in GROUP BY/);
  rejects('SELECT count(*) GROUP BY count(*)', 25, /aggregate count\(\) is not allowed in GROUP BY/);
  rejects('SELECT count(*) AS c GROUP BY 1', 30, /GROUP BY 1 refers to an aggregate/);
  rejects('SELECT *, count(*)', 7, /SELECT \* cannot be combined with GROUP BY or aggregates/);
  rejects('SELECT bytes GROUP BY 2', 22, /GROUP BY 2: the select list has 1 item/);
  rejects('SELECT * ORDER BY 1', 18, /cannot use a position with SELECT \*/);
});

test('functions check their arguments', () => {
  rejects('SELECT sum(interface_id)', 11, /sum\(\) needs a number; 'interface_id' is text/);
  rejects('SELECT sum(bytes, packets)', 7, /sum\(\) takes 1 argument, got 2/);
  rejects('SELECT count()', 7, /count\(\) needs \* or an argument/);
  rejects('SELECT sum(*)', 11, /sum\(\*\) is not allowed; only count\(\*\)/);
  rejects('SELECT lower(DISTINCT vpc_id)', 13, /lower\(\) does not take DISTINCT/);
  rejects('SELECT quantile(bytes, 2)', 23, /quantile\(\) takes q as a number from 0 to 1/);
  rejects('SELECT percentile(bytes, bytes)', 25, /percentile\(\) takes p as a number from 0 to 100/);
  rejects("SELECT bucket(start, 'soon')", 21, /bucket\(\) width 'soon' is not a duration/);
  rejects('SELECT bucket(start, 0)', 21, /bucket\(\) width must be a whole number of seconds above 0/);
  rejects('SELECT bucket(start, dst_port)', 21, /bucket\(\) takes its width as a number of seconds/);
  rejects('SELECT round(bytes, 1.5)', 20, /round\(\) takes a whole number of digits/);
  rejects("SELECT ip_in(src_addr, '10.0.0.0/40')", 23, /'10.0.0.0\/40' is not a CIDR block or address/);
  rejects('SELECT ip_in(src_addr, interface_id)', 23, /ip_in\(\) takes CIDR blocks as text/);
  rejects("SELECT ip_in(interface_id, '10.0.0.0/8')", 13, /ip_in\(\) needs an address as argument 1; 'interface_id' is text/);
  rejects('SELECT upper(src_addr)', 13, /upper\(\) needs text; 'src_addr' is an address/);
  rejects('SELECT concat(src_addr)', 14, /concat\(\) needs a value that is not an address/);
});

test('typed comparisons and operators refuse what cannot work', () => {
  rejects("SELECT 1 WHERE src_addr = '10.0.0.0/8'", 26, /'10.0.0.0\/8' is a CIDR block: write ip_in\(src_addr, '10.0.0.0\/8'\)/);
  rejects("SELECT 1 WHERE src_addr = 'localhost'", 26, /src_addr: 'localhost' is not an IP address/);
  rejects("SELECT 1 WHERE action = 'rejected'", 24, /action: 'rejected' is not one of ACCEPT, REJECT, did you mean 'REJECT'\?/);
  rejects("SELECT 1 WHERE dst_port = 'ssh'", 26, /dst_port: 'ssh' is not a whole number/);
  rejects('SELECT interface_id + 1', 7, /'\+' needs a number; 'interface_id' is text/);
  rejects('SELECT -src_addr', 8, /unary '-' needs a number; 'src_addr' is an address/);
  rejects('SELECT 1 WHERE bytes LIKE 1', 15, /LIKE needs text; 'bytes' is a number/);
  rejects('SELECT CAST(src_addr AS TEXT)', 12, /addresses cannot be cast/);
  rejects('SELECT CAST(bytes AS BLOB)', 21, /cannot cast to 'BLOB': use INTEGER, DOUBLE, TEXT or BOOLEAN/);
  rejects('SELECT 1 WHERE bytes', 15, /WHERE needs a condition, not a number/);
  rejects('SELECT 1 WHERE NOT bytes', 19, /NOT needs a condition, not a number/);
  rejects('SELECT bytes AS bytes2, packets AS BYTES2', 35, /alias 'BYTES2' is used twice/);
  rejects('SELECT packets AS bytes', 18, /alias 'bytes' is the name of a field; choose another name/);
});

test('malformed SQL is located', () => {
  rejects('SELECT', 6, /expected a column or expression to select but found the end of the query/);
  rejects('SELECT bytes LIMIT x', 19, /LIMIT needs a whole number/);
  rejects('SELECT bytes LIMIT 1.5', 19, /LIMIT needs a whole number/);
  rejects('SELECT bytes LIMIT 99999999999999999999', 19, /LIMIT 99999999999999999999 is too large/);
  rejects('SELECT 99999999999999999999', 7, /whole number 99999999999999999999 is too large/);
  rejects('SELECT 1e999', 7, /number 1e999 is too large/);
  rejects('SELECT 12abc', 7, /'12a' is not a number/);
  rejects("SELECT 'abc", 7, /unterminated string/);
  rejects('SELECT "abc', 7, /unterminated quoted name/);
  rejects('SELECT bytes GROUP BY bytes WHERE bytes > 1', 28, /unexpected 'WHERE' \(clauses go in the order WHERE, GROUP, HAVING, ORDER, LIMIT, OFFSET\)/);
  rejects('SELECT bytes WHERE bytes > 1 FROM flows', 29, /FROM flows comes right after the select list/);
  rejects('SELECT bytes bytes2 bytes3', 20, /unexpected 'bytes3'/);
  rejects('SELECT (bytes', 13, /expected '\)' but found the end of the query/);
  rejects('SELECT CASE bytes END', 18, /expected WHEN but found 'END'/);
  rejects('SELECT bytes WHERE bytes IN ()', 29, /IN needs at least one value/);
  rejects('SELECT bytes WHERE bytes BETWEEN 1', 34, /expected AND but found the end of the query/);
  rejects('SELECT 1 = 1 = 1', 13, /unexpected '='/);
  rejects('SELECT bytes FROM', 17, /only 'flows' can be read/);
  rejects("SELECT 1 WHERE vpc_id LIKE 'a' ESCAPE '!'", 31, /ESCAPE is not supported/);
  rejects('SELECT bytes ORDER BY bytes NULLS', 33, /expected FIRST or LAST/);
});

test('deep nesting and huge expressions are refused at the limit', () => {
  rejects(`SELECT ${'('.repeat(10_000)}1${')'.repeat(10_000)}`, 7 + MAX_DEPTH, /nesting deeper than/);
  rejects(`SELECT ${'- '.repeat(10_000)}bytes`, 7 + 2 * MAX_DEPTH, /nesting deeper than/);
  rejects(`SELECT 1 WHERE ${'NOT '.repeat(10_000)}TRUE`, 15 + 4 * MAX_DEPTH, /nesting deeper than/);
  rejects(`SELECT ${'abs('.repeat(10_000)}1${')'.repeat(10_000)}`, 7 + 4 * MAX_DEPTH, /nesting deeper than/);
  rejects(`SELECT ${Array.from({ length: 10_000 }, () => 'bytes').join(' + ')}`, 7 + 8 * MAX_DEPTH + 6, /expression nested deeper than/);
  // Each alias doubles the expression it stands for: refused before it grows.
  const bomb = ['bytes AS a0', ...Array.from({ length: 30 }, (_, i) => `a${i} + a${i} AS a${i + 1}`)].join(', ');
  assert.throws(() => parseQuery(`| SELECT ${bomb}`), /too large once its aliases are expanded/);
  // Long flat lists are fine.
  assert.equal((sel(`SELECT 1 WHERE dst_port IN (${Array.from({ length: 5000 }, (_, i) => i).join(', ')})`).where as Expr & { kind: 'in' }).list.length, 5000);
});
