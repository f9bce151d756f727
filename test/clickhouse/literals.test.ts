// Hostile text reaches ClickHouse only as escaped literals: values with quotes, backslashes,
// backquotes, comment and statement syntax and odd Unicode are stored, then found again
// exactly by filters, SQL comparisons, wildcards and exact-field filters, and never change what
// a statement does. ClickHouse treats backslash as an escape in literals (standard SQL does
// not), which is what these check on Debian's 18.16.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parseQuery } from '../../src/query/index.js';
import { FlowBatch } from '../../src/schema/batch.js';
import { compilerFor } from '../../src/store/compile.js';
import { ClickHouseStore } from '../../src/store/clickhouse/store.js';
import { startClickHouse, type TestClickHouse } from './server.js';

const HOSTILE = [
  "o'brien",
  "eni-1' OR '1'='1",
  'back\\slash',
  'trailing\\',
  "\\' OR 1=1 --",
  'quote"double',
  '`backquote`',
  '%_percent_underscore',
  'semi; DROP TABLE flows',
  '/* comment */',
  'ünïcødé ☃ 𝄞',
  'tab\there',
  'line\nbreak',
  '\u202eright-to-left',
];

let ch: TestClickHouse;
let store: ClickHouseStore;
const ALL = { from: 0, to: 2 ** 32 };

before(async () => {
  ch = await startClickHouse(1);
  store = new ClickHouseStore({ url: ch.storeUrl('literals') });
  await store.start();
  const b = new FlowBatch(HOSTILE.length);
  HOSTILE.forEach((s, i) => b.push({ interface_id: s, bytes: 1000 + i, start: 1_795_300_000 + i }));
  await store.append(b);
});

after(async () => {
  await store?.stop();
  await ch?.stop();
});

const compile = (q: string) => compilerFor('clickhouse')(parseQuery(q)).sql;
const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`;
const filterString = (s: string) => `"${s.replace(/[\\"]/g, (c) => '\\' + c)}"`;

test('every hostile value is found exactly by an SQL comparison and by a quoted filter', async () => {
  for (const [i, s] of HOSTILE.entries()) {
    const bySql = await store.sql(compile(`| SELECT bytes WHERE interface_id = ${sqlString(s)}`), ALL);
    assert.deepEqual(bySql.rows, [[1000 + i]], JSON.stringify(s));
    const byFilter = await store.sql(compile(`interface_id:${filterString(s)} | SELECT bytes`), ALL);
    assert.deepEqual(byFilter.rows, [[1000 + i]], JSON.stringify(s));
    const exact = await store.flows({ range: ALL, filters: [{ field: 'interface_id', values: [s] }], limit: 5 });
    assert.deepEqual([...exact.rows()].map((r) => r.interface_id), [s]);
  }
});

test('wildcards and LIKE keep their special characters literal where the user escaped them', async () => {
  // `%` and `_` in a filter value are literal text, `*` the wildcard.
  assert.deepEqual((await store.sql(compile('interface_id:%_percent* | SELECT bytes'), ALL)).rows, [[1007]]);
  assert.deepEqual((await store.sql(compile('interface_id:*\\\\* | SELECT bytes ORDER BY bytes'), ALL)).rows, [[1002], [1003], [1004]]);
  // In SQL LIKE, \% is a literal percent sign; % alone matches anything.
  assert.deepEqual((await store.sql(compile("| SELECT count(*) WHERE interface_id LIKE '\\%\\_%'"), ALL)).rows, [[1]]);
  assert.deepEqual((await store.sql(compile("| SELECT count(*) WHERE interface_id LIKE '%'"), ALL)).rows, [[HOSTILE.length]]);
});

test('text round-trips through results unchanged, and the tables are untouched', async () => {
  const res = await store.sql(compile('| SELECT interface_id, bytes ORDER BY bytes'), ALL);
  assert.deepEqual(
    res.rows.map((r) => r[0]),
    HOSTILE,
  );
  assert.equal((await store.text('SELECT count() FROM literals.flows')).trim(), String(HOSTILE.length));
  // Statements run read-only: even a write smuggled past the compiler would be refused.
  await assert.rejects(store.sql('INSERT INTO literals.flows (bytes) VALUES (1)', ALL), /readonly|Cannot execute query in readonly mode/i);
});
