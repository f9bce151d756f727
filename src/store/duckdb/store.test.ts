import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { FlowBatch } from '../../schema/batch.js';
import { FIELDS } from '../../schema/fields.js';
import { encodeParquet } from '../../schema/parquet/writer.js';
import { DuckDbStore } from './store.js';

const T0 = 1_795_300_000 - (1_795_300_000 % 3600); // an hour boundary in 2026

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-store-'));
}

/** n records, one per (row), spread over `hours` hours; bytes = sequence number. */
function batchOf(n: number, hours = 1, offset = 0): FlowBatch {
  const b = new FlowBatch(n);
  for (let i = 0; i < n; i++) {
    const r = b.addRow();
    const seq = offset + i;
    b.cols.start[r] = T0 + Math.floor((seq * hours * 3600) / (n + offset)) ;
    b.cols.end[r] = b.cols.start[r] + 60;
    b.cols.bytes[r] = seq;
    b.cols.packets[r] = 1 + (seq % 10);
    b.cols.dst_port[r] = seq % 2 ? 443 : 22;
    b.cols.protocol[r] = 6;
    b.cols.action[r] = seq % 5 === 0 ? 1 : 0;
    b.setIp('src_addr', r, seq % 3 ? `10.0.${seq % 7}.${seq % 250}` : `2001:db8::${seq.toString(16)}`);
    b.setIp('dst_addr', r, '10.9.9.9');
    b.setString('interface_id', r, `eni-${seq % 4}`);
    b.setString('account_id', r, seq % 2 ? 'acct-a' : 'acct-b');
  }
  return b;
}

async function open(dir: string, extra: Partial<ConstructorParameters<typeof DuckDbStore>[0]> = {}): Promise<DuckDbStore> {
  const s = new DuckDbStore({ dataDir: dir, compactEveryMs: 0, segments: { flushMs: 20, encoders: 0 }, ...extra });
  await s.start();
  return s;
}

const ALL = { from: 0, to: 2 ** 32 };

async function scalar(s: DuckDbStore, sql: string, range = ALL): Promise<unknown[]> {
  return (await s.sql(sql, range)).rows[0];
}

test('appended records are queryable with exact filters on every kind of field', async () => {
  const dir = tmpDir();
  const s = await open(dir);
  await s.append(batchOf(1000));
  assert.deepEqual(await scalar(s, 'SELECT count(*), sum(bytes) FROM flows'), [1000, (999 * 1000) / 2]);
  const byIp = await s.flows({ range: ALL, filters: [{ field: 'src_addr', values: ['10.0.1.1', '2001:db8::3'] }], limit: 100 });
  assert.ok(byIp.length > 0);
  for (const r of byIp.rows()) assert.ok(['10.0.1.1', '2001:db8::3'].includes(r.src_addr));
  const rejected = await s.flows({ range: ALL, filters: [{ field: 'action', values: ['reject'] }, { field: 'dst_port', values: ['22'] }], limit: 1000 });
  assert.equal(rejected.length, 100); // seq % 10 === 0
  for (const r of rejected.rows()) assert.equal(r.action, 'REJECT');
  const newest = await s.flows({ range: ALL, limit: 3 });
  assert.equal(newest.length, 3);
  assert.ok(newest.cols.start[0] >= newest.cols.start[2]);
  await assert.rejects(s.flows({ range: ALL, filters: [{ field: 'dst_port', values: ['http'] }], limit: 1 }), /dst_port: 'http' is not a whole number/);
  await assert.rejects(s.flows({ range: ALL, filters: [{ field: 'src_addr', values: ["1' OR 1=1 --"] }], limit: 1 }), /is not an IP address/);
  const injected = await s.flows({ range: ALL, filters: [{ field: 'interface_id', values: ["eni-0' OR '1'='1"] }], limit: 10 });
  assert.equal(injected.length, 0);
  await s.stop();
  fs.rmSync(dir, { recursive: true });
});

test('queries read only the time range asked for', async () => {
  const dir = tmpDir();
  const s = await open(dir);
  await s.append(batchOf(3600, 3));
  const [n] = await scalar(s, 'SELECT count(*) FROM flows', { from: T0 + 3600, to: T0 + 7200 });
  assert.equal(n, 1200);
  await s.stop();
  fs.rmSync(dir, { recursive: true });
});

test('compaction keeps every record and makes files smaller', async () => {
  const dir = tmpDir();
  const s = await open(dir);
  for (let k = 0; k < 5; k++) await s.append(batchOf(2000, 2, k * 2000));
  const before = (await s.sql('SELECT * FROM flows ORDER BY bytes', ALL)).rows;
  const stagedBytes = s.stats().bytesOnDisk;
  const res = await s.compact();
  assert.equal(res.rows, 10_000);
  const files = s.files();
  assert.ok(files.every((f) => f.name.startsWith('date=')), 'only compacted files remain');
  assert.equal(files.length, 2, 'one file per hour');
  const after = (await s.sql('SELECT * FROM flows ORDER BY bytes', ALL)).rows;
  assert.deepEqual(after, before);
  assert.ok(s.stats().bytesOnDisk < stagedBytes, `${s.stats().bytesOnDisk} < ${stagedBytes}`);
  await s.stop();
  // Reopening finds the same records, and no staged leftovers.
  const again = await open(dir);
  assert.deepEqual((await again.sql('SELECT * FROM flows ORDER BY bytes', ALL)).rows, before);
  assert.deepEqual(fs.readdirSync(path.join(dir, 'flows', 'staging')), []);
  await again.stop();
  fs.rmSync(dir, { recursive: true });
});

test('retention drops whole hours older than the horizon and keeps the rest', async () => {
  const dir = tmpDir();
  const s = await open(dir);
  await s.append(batchOf(3000, 3));
  await s.compact();
  const r = await s.applyRetention(1, T0 + 86400 + 3600 + 10);
  assert.equal(r.removedFiles, 1);
  assert.equal(r.removedRows, 1000);
  assert.deepEqual(await scalar(s, 'SELECT count(*), min(start) >= ' + (T0 + 3600) + ' FROM flows'), [2000, true]);
  assert.equal(fs.existsSync(path.join(dir, 'flows', `date=${new Date(T0 * 1000).toISOString().slice(0, 10)}`, `hour=${new Date(T0 * 1000).toISOString().slice(11, 13)}`)), false);
  await s.stop();
  fs.rmSync(dir, { recursive: true });
});

test('files written with an older record schema are migrated at start', async () => {
  const dir = tmpDir();
  const s = await open(dir);
  await s.stop();
  // A segment from a version without the city and threat columns.
  const old = FIELDS.filter((f) => !['src_city', 'dst_city', 'threat'].includes(f.name));
  const b = batchOf(500);
  fs.writeFileSync(path.join(dir, 'flows', 'staging', `${T0}-${T0 + 3599}-500-old_1.parquet`), encodeParquet([{ batch: b, from: 0, to: 500 }], old));
  fs.writeFileSync(path.join(dir, 'flows', 'MANIFEST.json'), JSON.stringify({ version: 1, schema: 'older', files: [], consumed: [] }));
  const again = await open(dir);
  assert.deepEqual(await scalar(again, "SELECT count(*), sum(bytes), count(*) FILTER (WHERE threat = '' AND src_city = '') FROM flows"), [500, (499 * 500) / 2, 500]);
  assert.ok(again.files().every((f) => f.name.startsWith('date=')));
  await again.stop();
  fs.rmSync(dir, { recursive: true });
});

test('a directory that is not ours, or is damaged, is refused with its name', async () => {
  const foreign = tmpDir();
  fs.writeFileSync(path.join(foreign, 'notes.txt'), 'mine');
  await assert.rejects(open(foreign), (e: Error) => e.name === 'InputError' && e.message.includes(foreign) && /not a flowlogs data directory/.test(e.message));
  assert.deepEqual(fs.readdirSync(foreign), ['notes.txt'], 'nothing written into it');

  const corrupt = tmpDir();
  fs.writeFileSync(path.join(corrupt, 'flowlogs.json'), '{not json');
  await assert.rejects(open(corrupt), /corrupt marker/);

  const newer = tmpDir();
  fs.writeFileSync(path.join(newer, 'flowlogs.json'), JSON.stringify({ format: 'flowlogs-data', layout: 99 }));
  await assert.rejects(open(newer), /written by a newer flowlogs/);

  const badManifest = tmpDir();
  (await open(badManifest)).stop();
  fs.writeFileSync(path.join(badManifest, 'flows', 'MANIFEST.json'), '[');
  await assert.rejects(open(badManifest), /MANIFEST.json is corrupt/);
  for (const d of [foreign, corrupt, newer, badManifest]) fs.rmSync(d, { recursive: true });
});

test('one writer at a time; readers work beside it; a dead writer’s lock is taken over', async () => {
  const dir = tmpDir();
  const w = await open(dir);
  await w.append(batchOf(10));
  fs.writeFileSync(path.join(dir, 'LOCK'), '1\n'); // pid 1 is alive: somebody else holds it
  await assert.rejects(open(dir), /in use by flowlogs process 1/);
  const r = await open(dir, { mode: 'reader' });
  assert.deepEqual(await scalar(r, 'SELECT count(*) FROM flows'), [10]);
  await assert.rejects(r.append(batchOf(1)), /cannot append/);
  await r.stop();
  fs.writeFileSync(path.join(dir, 'LOCK'), '999999999\n'); // no such process
  const w2 = await open(dir);
  assert.deepEqual(await scalar(w2, 'SELECT count(*) FROM flows'), [10]);
  await w2.stop();
  await w.stop();
  fs.rmSync(dir, { recursive: true });
});

test('a newest-first search page equals the same search sorted over the whole range', async () => {
  const { parseQuery } = await import('../../query/index.js');
  const { prepareQuery } = await import('../prepare.js');
  const dir = tmpDir();
  const s = await open(dir);
  // 200 hours of records, compacted into hourly files, plus a staged segment of new ones.
  await s.append(batchOf(20_000, 200));
  await s.compact();
  await s.append(batchOf(500, 1, 20_000));
  const range = { from: T0 + 3600, to: T0 + 190 * 3600 };
  // Matches in every hour, in few hours at the old end only, and nowhere.
  for (const text of ['dst_port:22', 'action:REJECT dst_port:22', `bytes:<400 dst_port:443`, 'dst_port:8080']) {
    for (const limit of [1, 100, 5000]) {
      const p = prepareQuery(s, parseQuery(text), { maxRows: limit });
      assert.equal(p.sqlOptions.newestFirst, limit);
      const paged = await s.sql(p.sql, range, p.sqlOptions);
      const whole = await s.sql(p.sql, range, {});
      assert.deepEqual(paged.rows, whole.rows, `${text} limit ${limit}`);
      const streamed = await s.sqlStream(p.sql, range, p.sqlOptions);
      const rows: unknown[] = [];
      for await (const b of streamed.batches) rows.push(...b);
      assert.deepEqual(rows, whole.rows);
    }
  }
  // A large limit is an export: streamed over the whole range, not read page-wise.
  assert.equal(prepareQuery(s, parseQuery('dst_port:22'), { maxRows: 50_000 }).sqlOptions.newestFirst, undefined);
  // The same through flows(): newest first, and the oldest-first order is untouched.
  const newest = await s.flows({ range, filters: [{ field: 'dst_port', values: ['22'] }], limit: 7 });
  const starts = [...newest.rows()].map((r) => r.start as number);
  const all = await s.sql(`SELECT start FROM flows WHERE dst_port = 22 ORDER BY start DESC, first_ms DESC LIMIT 7`, range);
  assert.deepEqual(starts, all.rows.map((r) => r[0]));
  await s.stop();
});
