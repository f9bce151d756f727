// Hostile input against the parser and the DuckDB compiler, from a fixed seed. Every case must
// end as a located QuerySyntaxError, or as SQL that provably reads nothing but `flows`: its
// tokens are checked one by one, and a sample runs on a DuckDB that may not touch files.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { FIELDS, FIELD_NAMES } from '../../schema/fields.js';
import { exactFilter, FUNCTION_NAMES, MAX_DEPTH, parseQuery, QuerySyntaxError, type FilterNode } from '../../query/index.js';
import { compileQuery } from './compile.js';
import { duckdbType } from './schema.js';

const CASES = 60_000;
const EXECUTE_EVERY = 12;

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rand = rng(0x5eed_f10f);
const int = (n: number) => Math.floor(rand() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
const chance = (p: number) => rand() < p;

const HOSTILE = [
  "'; DROP TABLE x; --",
  "') UNION SELECT * FROM read_csv('/etc/passwd') --",
  '") UNION SELECT 1 --',
  "1' OR '1'='1",
  "read_csv('/etc/passwd')",
  "read_parquet('/tmp/*.parquet')",
  "glob('/*')",
  'x; ATTACH \'/tmp/evil.db\'',
  "'||(SELECT current_setting('enable_external_access'))||'",
  'COPY flows TO \'/tmp/out.csv\'',
  'PRAGMA database_list',
  '/* comment */',
  '-- comment',
  '\\',
  "\\'",
  '\'\'',
  '""',
  '%',
  '_',
  '\0',
  'a\0b',
  '\u202e',
  '\ud800',
  '\udfff',
  '\ufeff',
  '\u2028',
  '\uff07',
  '😀',
  'é',
  'ǅ',
  '$1',
  '?',
  '::UUID',
  '`x`',
  '\r\n',
  '\t',
  '${x}',
  'E\'\\x27\'',
  "U&'\\0027'",
  'x'.repeat(5000),
  '9'.repeat(400),
  '1e999',
  '-0',
  '0x10',
];

const VALUES = ['22', '443', '0', '65535', '65536', '10.0.0.1', '10.0.0.0/8', '2001:db8::/32', '::1', 'fe80::1%eth0', 'REJECT', 'accept', 'tcp', 'eni-*', 'eni?', '*', '2026-01-01T00:00:00Z', '-15m', '00:11:22:33:44:55', 'true', 'null'];

function value(): string {
  const v = chance(0.3) ? pick(HOSTILE) : pick(VALUES);
  if (chance(0.4)) return `"${v.replace(/["\\]/g, (c) => (chance(0.8) ? '\\' + c : c))}"`;
  return v.replace(/\s/g, chance(0.5) ? '' : ' ');
}

function fieldName(): string {
  if (chance(0.05)) return pick(['scr_addr', 'flows', 'select', 'x', 'END', 'Bytes', '"bytes"', 'read_csv']);
  return pick(FIELD_NAMES);
}

function term(d: number): string {
  switch (int(8)) {
    case 0:
      return `${fieldName()}:(${value()} ${pick(['OR', 'AND', 'or', ''])} ${value()})`;
    case 1:
      return `${fieldName()}:${pick(['>', '>=', '<', '<='])}${value()}`;
    case 2:
      return `${fieldName()}:${pick(['[', '{'])}${value()} TO ${value()}${pick([']', '}'])}`;
    case 3:
      return pick(['10.0.0.1', '10.0.0.0/8', '2001:db8::/32', 'fe80::1', '1.2.3.4/33']);
    case 4:
      return d > 0 ? `(${filter(d - 1)})` : `${fieldName()}:${value()}`;
    case 5:
      return `${pick(['NOT ', '-', '!', 'not '])}${term(Math.max(0, d - 1))}`;
    default:
      return `${fieldName()}:${value()}`;
  }
}

function filter(d = 3): string {
  const n = 1 + int(4);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(term(d));
  return out.join(` ${pick(['AND', 'OR', '', 'and'])} `);
}

const NUM_FIELDS = FIELDS.filter((f) => !['ip', 'string', 'enum'].includes(f.type)).map((f) => f.name);
const TEXT_FIELDS = FIELDS.filter((f) => f.type === 'string' || f.type === 'enum').map((f) => f.name);
const IP_FIELDS = FIELDS.filter((f) => f.type === 'ip').map((f) => f.name);

function str(): string {
  const v = chance(0.5) ? pick(HOSTILE) : pick(VALUES);
  return `'${v.replace(/'/g, "''")}'`;
}

function num(d: number): string {
  if (d <= 0) return chance(0.7) ? pick(NUM_FIELDS) : pick(['1', '0', '2.5', '1e3', '300', '-7', '9007199254740991']);
  switch (int(9)) {
    case 0:
      return `${num(d - 1)} ${pick(['+', '-', '*', '/', '%'])} ${num(d - 1)}`;
    case 1:
      return `(${num(d - 1)})`;
    case 2:
      return `${pick(['abs', 'floor', 'ceil', 'round'])}(${num(d - 1)})`;
    case 3:
      return `${pick(['greatest', 'least', 'coalesce'])}(${num(d - 1)}, ${num(d - 1)})`;
    case 4:
      return `bucket(${pick(['start', 'end', 'first_ms'])}, ${pick(["'5m'", '60', "'1h'", '0', "'x'"])})`;
    case 5:
      return `CASE WHEN ${bool(d - 1)} THEN ${num(d - 1)} ELSE ${num(d - 1)} END`;
    case 6:
      return `CAST(${num(d - 1)} AS ${pick(['INTEGER', 'DOUBLE', 'BIGINT'])})`;
    case 7:
      return `length(${text(d - 1)})`;
    default:
      return `-${num(d - 1)}`;
  }
}

function text(d: number): string {
  if (d <= 0) return chance(0.6) ? pick(TEXT_FIELDS) : str();
  switch (int(5)) {
    case 0:
      return `${pick(['lower', 'upper'])}(${text(d - 1)})`;
    case 1:
      return `concat(${text(d - 1)}, ${chance(0.5) ? num(d - 1) : text(d - 1)})`;
    case 2:
      return `${text(d - 1)} || ${text(d - 1)}`;
    case 3:
      return `to_timestamp(${pick(['start', 'end'])})`;
    default:
      return `CAST(${num(d - 1)} AS TEXT)`;
  }
}

function bool(d: number): string {
  switch (int(d <= 0 ? 4 : 9)) {
    case 0:
      return `${num(d - 1)} ${pick(['=', '<>', '!=', '<', '<=', '>', '>='])} ${num(d - 1)}`;
    case 1:
      return `${pick(IP_FIELDS)} ${pick(['=', '<', '>='])} '${pick(['10.0.0.1', '::1', '10.0.0.0/8', 'x'])}'`;
    case 2:
      return `${pick(TEXT_FIELDS)} ${pick(['LIKE', 'ILIKE', 'NOT LIKE'])} ${str()}`;
    case 3:
      return `ip_in(${pick(IP_FIELDS)}, '${pick(['10.0.0.0/8', '2001:db8::/32', '1.2.3.4', '300.1.1.1/8'])}')`;
    case 4:
      return `${bool(d - 1)} ${pick(['AND', 'OR'])} ${bool(d - 1)}`;
    case 5:
      return `NOT (${bool(d - 1)})`;
    case 6:
      return `${num(d - 1)} ${pick(['IN', 'NOT IN'])} (${num(d - 1)}, ${num(d - 1)})`;
    case 7:
      return `${num(d - 1)} BETWEEN ${num(d - 1)} AND ${num(d - 1)}`;
    default:
      return `${pick(TEXT_FIELDS)} IS ${pick(['', 'NOT '])}NULL`;
  }
}

function alias(): string {
  if (chance(0.5)) return '';
  const a = chance(0.3) ? `"${pick(HOSTILE).replace(/"/g, '""')}"` : pick(['a', 'b', 'total', 'n', 't', 'flows', 'bytes', 'end']);
  return ` ${chance(0.7) ? 'AS ' : ''}${a}`;
}

function aggregate(d: number): string {
  switch (int(7)) {
    case 0:
      return 'count(*)';
    case 1:
      return `count(DISTINCT ${pick(FIELD_NAMES)})`;
    case 2:
      return `${pick(['sum', 'avg', 'min', 'max', 'stddev', 'median'])}(${num(d)})`;
    case 3:
      return `${pick(['quantile', 'percentile'])}(${num(d)}, ${pick(['0.5', '0.99', '95', '2'])})`;
    case 4:
      return `approx_count_distinct(${pick(FIELD_NAMES)})`;
    case 5:
      return `any_value(${text(d)})`;
    default:
      return `${pick(['min', 'max'])}(${pick(IP_FIELDS)})`;
  }
}

function select(): string {
  const d = int(3);
  let s = `SELECT ${chance(0.1) ? 'DISTINCT ' : ''}`;
  const grouped = chance(0.5);
  const keys: string[] = [];
  if (grouped) {
    const k = int(3);
    for (let i = 0; i < k; i++) keys.push(chance(0.5) ? pick(FIELD_NAMES) : `bucket(start, '${pick(['1m', '5m', '1h'])}')`);
    const items = [...keys, ...Array.from({ length: 1 + int(3) }, () => aggregate(d))];
    s += items.map((x) => x + alias()).join(', ');
  } else {
    const items = Array.from({ length: 1 + int(4) }, () => (chance(0.1) ? '*' : pick([num, text, bool])(d)));
    s += items.map((x) => (x === '*' ? x : x + alias())).join(', ');
  }
  if (chance(0.3)) s += ' FROM flows';
  if (chance(0.5)) s += ` WHERE ${bool(d)}`;
  if (keys.length) s += ` GROUP BY ${chance(0.3) ? keys.map((_, i) => i + 1).join(', ') : keys.join(', ')}`;
  if (grouped && chance(0.3)) s += ` HAVING ${aggregate(0)} > ${int(100)}`;
  if (chance(0.4)) s += ` ORDER BY ${grouped ? '1' : pick(FIELD_NAMES)} ${pick(['ASC', 'DESC', ''])}`;
  if (chance(0.4)) s += ` LIMIT ${int(1000)}`;
  if (chance(0.1)) s += ` OFFSET ${int(10)}`;
  return s;
}

function generated(): string {
  const f = chance(0.8) ? filter(int(3)) : '';
  return chance(0.6) ? `${f} | ${select()}` : f;
}

const CORPUS = [
  'src_addr:10.0.0.0/16 AND dst_port:(22 OR 3389) AND action:REJECT NOT protocol:1',
  'action:REJECT | SELECT src_addr, count(*) AS flows GROUP BY src_addr ORDER BY flows DESC LIMIT 10',
  "interface_id:eni-* | SELECT bucket(start, '5m') AS t, sum(bytes) GROUP BY t ORDER BY t",
  "| SELECT count(*) WHERE ip_in(dst_addr, '10.0.0.0/8') AND action = 'reject'",
  'bytes:>1000000 dst_port:[1024 TO 65535] -10.0.0.0/8',
];

const NOISE = ['(', ')', '"', "'", '|', ';', '-', '--', '/*', '*', '?', ':', '[', ']', '{', '}', '\\', '\0', ' ', 'OR', 'AND', 'NOT', 'SELECT', 'FROM', 'UNION', ',', '::', '😀', '\ud800', '\u202e'];

function mutated(): string {
  let s = pick(CORPUS);
  const edits = 1 + int(4);
  for (let i = 0; i < edits; i++) {
    const at = int(s.length + 1);
    const piece = chance(0.5) ? pick(NOISE) : pick(HOSTILE);
    switch (int(3)) {
      case 0:
        s = s.slice(0, at) + piece + s.slice(at);
        break;
      case 1:
        s = s.slice(0, at) + s.slice(at + 1 + int(8));
        break;
      default:
        s = s.slice(0, at) + piece + s.slice(at + 1 + int(4));
    }
  }
  return s;
}

function noise(): string {
  const n = int(60);
  let s = '';
  for (let i = 0; i < n; i++) s += chance(0.3) ? pick(NOISE) : String.fromCharCode(chance(0.9) ? 32 + int(95) : int(0x10000));
  return s;
}

function deep(): string {
  const n = pick([MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1, 1000, 10_000]);
  switch (int(5)) {
    case 0:
      return '('.repeat(n) + 'dst_port:22' + ')'.repeat(n);
    case 1:
      return `| SELECT ${'('.repeat(n)}bytes${')'.repeat(n)}`;
    case 2:
      return `| SELECT ${'abs('.repeat(n)}1${')'.repeat(n)}`;
    case 3:
      return `| SELECT ${Array.from({ length: n }, () => 'bytes').join(' + ')}`;
    default:
      return 'NOT '.repeat(n) + 'dst_port:22';
  }
}

const KEYWORDS = new Set([
  'SELECT', 'DISTINCT', 'FROM', 'WHERE', 'AND', 'OR', 'NOT', 'BETWEEN', 'IN', 'IS', 'NULL', 'LIKE', 'ILIKE', 'ESCAPE', 'GROUP', 'BY',
  'HAVING', 'ORDER', 'DESC', 'NULLS', 'FIRST', 'LAST', 'LIMIT', 'OFFSET', 'AS', 'CASE', 'WHEN', 'THEN', 'ELSE', 'END', 'CAST',
  'BIGINT', 'DOUBLE', 'VARCHAR', 'BOOLEAN', 'UUID', 'TRUE', 'FALSE',
]);
const SQL_FUNCTIONS = new Set(['count', 'sum', 'avg', 'min', 'max', 'any_value', 'approx_count_distinct', 'abs', 'round', 'floor', 'ceil', 'greatest', 'least', 'coalesce', 'lower', 'upper', 'concat', 'length', 'starts_with', 'stddev_samp', 'quantile_cont', 'strftime', 'make_timestamp']);

/**
 * Reads compiled SQL token by token and proves it only reads `flows`: one FROM, followed by
 * flows; every bare word a known keyword or allowed function; every call an allowed function;
 * no statement separator or comment anywhere outside literals.
 */
function checkReadsOnlyFlows(sql: string): void {
  let i = 0;
  let froms = 0;
  const words: { w: string; next: string }[] = [];
  const nextSignificant = (j: number) => {
    while (j < sql.length && sql[j] === ' ') j++;
    return sql[j] ?? '';
  };
  while (i < sql.length) {
    const c = sql[i];
    if (c === "'" || c === '"') {
      let j = i + 1;
      for (;;) {
        assert.ok(j < sql.length, `unterminated ${c} literal in ${sql}`);
        if (sql[j] === c) {
          if (sql[j + 1] === c) {
            j += 2;
            continue;
          }
          break;
        }
        assert.notEqual(sql[j], '\0', 'NUL inside a literal');
        j++;
      }
      i = j + 1;
      // The only casts emitted are ::UUID after an address literal.
      if (sql.startsWith('::', i)) {
        assert.ok(sql.startsWith('::UUID', i), `unexpected cast in ${sql}`);
        i += 6;
      }
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < sql.length && /[A-Za-z0-9_]/.test(sql[j])) j++;
      words.push({ w: sql.slice(i, j), next: nextSignificant(j) });
      i = j;
      continue;
    }
    if (/[0-9]/.test(c)) {
      const m = /[0-9]+(\.[0-9]+)?(e[+-]?[0-9]+)?/y;
      m.lastIndex = i;
      i += m.exec(sql)![0].length;
      continue;
    }
    assert.ok(!sql.startsWith('--', i) && !sql.startsWith('/*', i), `comment in ${sql}`);
    assert.ok('(),*=<>+-/%|. '.includes(c), `unexpected character ${JSON.stringify(c)} in ${sql}`);
    i++;
  }
  for (let k = 0; k < words.length; k++) {
    const { w, next } = words[k];
    if (w === 'FROM') {
      froms++;
      assert.equal(words[k + 1]?.w, 'flows', `FROM not followed by flows: ${sql}`);
      continue;
    }
    if (w === 'flows') {
      assert.equal(words[k - 1]?.w, 'FROM', `flows outside FROM: ${sql}`);
      continue;
    }
    if (next === '(' && !['IN', 'AND', 'OR', 'NOT', 'WHEN', 'THEN', 'ELSE', 'SELECT', 'BY', 'BETWEEN', 'DISTINCT', 'WHERE', 'HAVING', 'CASE', 'AS'].includes(w)) {
      assert.ok(SQL_FUNCTIONS.has(w) || w === 'CAST', `call of ${w} in ${sql}`);
      continue;
    }
    assert.ok(KEYWORDS.has(w) || SQL_FUNCTIONS.has(w), `unexpected word ${w} in ${sql}`);
  }
  assert.equal(froms, 1, `expected one FROM in ${sql}`);
}

async function sandbox(): Promise<{ conn: DuckDBConnection; close: () => void }> {
  const instance = await DuckDBInstance.create(':memory:', { enable_external_access: 'false', max_memory: '256MB', threads: '1' });
  const conn = await instance.connect();
  await conn.run(`CREATE TABLE flows (${FIELDS.map((f) => `"${f.name}" ${duckdbType(f)}`).join(', ')})`);
  await conn.run(
    `INSERT INTO flows ("account_id", "interface_id", "src_addr", "dst_addr", "dst_port", "protocol", "bytes", "packets", "start", "end", "first_ms", "action") VALUES ` +
      `('a', 'eni-1', '00000000-0000-0000-0000-ffff0a000001'::UUID, '20010db8-0000-0000-0000-000000000001'::UUID, 22, 6, 100, 1, 1767225600, 1767225660, 1767225600000, 'ACCEPT'), ` +
      `('b', 'eni_2', '20010db8-0000-0000-0000-000000000002'::UUID, '00000000-0000-0000-0000-ffff0a000002'::UUID, 443, 17, 5000, 3, 1767225900, 1767225960, 1767225900000, 'REJECT')`,
  );
  return {
    conn,
    close: () => {
      conn.closeSync();
      instance.closeSync();
    },
  };
}

/** Engine errors a random but well-formed query may cause (types, values); never parse or access errors. */
const TOLERATED = /^(Binder|Conversion|Out of Range|Invalid Input) Error/;

test(`fuzz: ${CASES} hostile queries end in a located error or SQL that reads only flows`, async (t) => {
  const box = await sandbox();
  const counts = { rejected: 0, compiled: 0, executed: 0, engineErrors: 0 };
  // Weighted: mostly grammar-shaped queries, some mutations and noise, rarely the costly deep ones.
  const kinds: [number, () => string][] = [
    [50, generated],
    [25, mutated],
    [12, noise],
    [4, () => pick(HOSTILE)],
    [4, () => `| SELECT ${pick(HOSTILE)}`],
    [4, () => `interface_id:${pick(HOSTILE)}`],
    [1, deep],
  ];
  const total = kinds.reduce((n, [w]) => n + w, 0);
  const next = () => {
    let r = rand() * total;
    for (const [w, make] of kinds) if ((r -= w) < 0) return make();
    return generated();
  };
  const scope: FilterNode = exactFilter([{ field: 'account_id', values: ['a', "x' OR '1'='1"] }]);
  try {
    for (let n = 0; n < CASES; n++) {
      const text = next();
      let sql: string;
      try {
        sql = compileQuery(parseQuery(text), { scope, maxRows: 1000 }).sql;
      } catch (e) {
        if (!(e instanceof QuerySyntaxError)) assert.fail(`case ${n} ${JSON.stringify(text.slice(0, 200))} threw ${String(e)}\n${(e as Error).stack}`);
        assert.ok(e.reason.length > 0);
        assert.ok(e.position >= 0 && e.position <= text.length, `position ${e.position} outside ${text.length} for ${JSON.stringify(text.slice(0, 100))}`);
        counts.rejected++;
        continue;
      }
      counts.compiled++;
      checkReadsOnlyFlows(sql);
      if (counts.compiled % EXECUTE_EVERY === 0) {
        counts.executed++;
        try {
          await box.conn.run(sql);
        } catch (e) {
          const msg = (e as Error).message;
          assert.match(msg, TOLERATED, `engine refused compiled SQL for ${JSON.stringify(text.slice(0, 200))}:\n${sql.slice(0, 500)}\n${msg}`);
          counts.engineErrors++;
        }
      }
    }
  } finally {
    box.close();
  }
  t.diagnostic(JSON.stringify(counts));
  // The generator must reach the compiler often enough for the check to mean something.
  assert.ok(counts.compiled > CASES / 20, `only ${counts.compiled} of ${CASES} compiled`);
  assert.ok(counts.executed > 300, `only ${counts.executed} executed`);
  assert.ok(counts.engineErrors < counts.executed / 4, `${counts.engineErrors} of ${counts.executed} failed in the engine`);
});

test('the sandbox itself refuses file access, so executions above prove something', async () => {
  const box = await sandbox();
  try {
    await assert.rejects(box.conn.run("SELECT * FROM read_csv('/etc/passwd')"), /Permission Error|disabled by configuration/);
    const r = await box.conn.runAndReadAll('SELECT count(*) FROM flows');
    assert.equal(Number(r.getRows()[0][0]), 2);
  } finally {
    box.close();
  }
});

test('injection attempts inside values stay values', async () => {
  const box = await sandbox();
  try {
    for (const q of [
      `interface_id:"eni-1' OR '1'='1"`,
      `interface_id:"x\\" OR 1=1 --"`,
      `| SELECT count(*) WHERE interface_id = 'eni-1'' OR ''1''=''1'`,
      `| SELECT count(*) AS "n"" FROM flows; DROP TABLE flows; --" WHERE interface_id = ''`,
    ]) {
      const sql = compileQuery(parseQuery(q)).sql;
      checkReadsOnlyFlows(sql);
      const rows = (await box.conn.runAndReadAll(sql)).getRows();
      assert.ok(rows.length === 0 || Number(rows[0][0]) === 0 || rows.length === 0, `${q} matched rows: ${sql}`);
    }
    const r = await box.conn.runAndReadAll('SELECT count(*) FROM flows');
    assert.equal(Number(r.getRows()[0][0]), 2, 'the table is intact');
  } finally {
    box.close();
  }
});

test('the static check itself catches SQL that escapes flows', () => {
  const bad = [
    "SELECT * FROM read_csv('/etc/passwd')",
    'SELECT 1 FROM flows; DROP TABLE flows',
    'SELECT 1 FROM flows UNION SELECT 2 FROM flows',
    'SELECT 1 FROM flows -- x',
    'SELECT version() FROM flows',
    'SELECT 1 FROM flows, other',
    "SELECT 'a FROM flows",
    'SELECT (SELECT 1 FROM flows) FROM flows',
  ];
  for (const s of bad) assert.throws(() => checkReadsOnlyFlows(s), assert.AssertionError, s);
  checkReadsOnlyFlows(`SELECT "a"" b" AS "x" FROM flows WHERE "src_addr" = '00000000-0000-0000-0000-ffff0a000001'::UUID LIMIT 1`);
  assert.ok(FUNCTION_NAMES.length > 20);
});
