import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { MetricsRegistry } from '../../metrics/registry.js';
import { FlowBatch } from '../../schema/batch.js';
import { silentLogger } from '../../util/log.js';
import { Sink } from '../sink.js';
import { numbered, simulatedBatches } from '../test-support.js';
import { filesSettings, filesSink, type FilesSettings } from './files-sink.js';

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-files-'));
}

function filesUnder(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();
}

function make(s: Partial<FilesSettings> & { path: string }, state = tmp()): Sink {
  const settings = filesSettings.parse({ type: 'files', flow_logs: 'all', ...s });
  const ctx = { name: 'f', stateDir: state, log: silentLogger, metrics: new MetricsRegistry() };
  return new Sink('f', settings, filesSink.create(settings, ctx), { max_records: 500, max_wait_ms: 20 }, { stateDir: state, metrics: ctx.metrics });
}

test('gzip JSON lines in Hive-style hourly partitions by window start', async () => {
  const out = tmp();
  const s = make({ path: out, gzip: true });
  await s.start();
  // 2024-05-17 09:59:30 and 10:00:30 UTC.
  const b = FlowBatch.fromRecords([1715939970, 1715940030, 1715939970].map((start, i) => ({ start, end: start + 60, bytes: i + 1, src_addr: '10.0.0.1' })));
  s.tap(b);
  assert.equal(await s.idle(), true);
  await s.stop();
  const files = filesUnder(out);
  assert.equal(files.length, 2);
  assert.match(files[0], /^year=2024\/month=05\/day=17\/hour=09\/flows-f-[0-9a-f]+-1\.jsonl\.gz$/);
  assert.match(files[1], /^year=2024\/month=05\/day=17\/hour=10\//);
  const rows = (f: string) => zlib.gunzipSync(fs.readFileSync(path.join(out, f))).toString().trimEnd().split('\n').map((l) => JSON.parse(l) as { bytes: number; src_addr: string });
  assert.deepEqual(rows(files[0]).map((r) => r.bytes), [1, 3]);
  assert.deepEqual(rows(files[1]).map((r) => [r.bytes, r.src_addr]), [[2, '10.0.0.1']]);
});

test('CSV files rotate by size, each with its header, and nothing is left half-written', async () => {
  const out = tmp();
  const s = make({ path: out, format: 'csv', partition: 'none', rotate_bytes: 20_000 });
  await s.start();
  const batches = simulatedBatches(3000, 7, 250);
  const n = numbered(batches);
  for (const b of batches) s.tap(b);
  assert.equal(await s.idle(), true);
  await s.stop();
  const files = filesUnder(out);
  assert.ok(files.length > 3, `rotated into ${files.length} files`);
  assert.ok(files.every((f) => f.endsWith('.csv')));
  const seen: number[] = [];
  for (const f of files) {
    const lines = fs.readFileSync(path.join(out, f), 'utf8').trimEnd().split('\n');
    assert.match(lines[0], /^version,account_id,flow_log_id,/);
    const col = lines[0].split(',').indexOf('bytes');
    for (const l of lines.slice(1)) seen.push(Number(l.split(',')[col]));
  }
  assert.deepEqual(seen.sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i + 1));
});

test('Parquet files (one per batch) that DuckDB reads back with every record', async () => {
  const out = tmp();
  const s = make({ path: out, format: 'parquet', partition: 'day' });
  await s.start();
  const batches = simulatedBatches(2000, 8, 400);
  const n = numbered(batches);
  for (const b of batches) s.tap(b);
  assert.equal(await s.idle(), true);
  await s.stop();
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  const r = await con.runAndReadAll(`SELECT count(*)::INT, count(DISTINCT bytes)::INT, min(bytes)::INT, max(bytes)::INT FROM read_parquet('${out}/**/*.parquet', hive_partitioning = true)`);
  assert.deepEqual(r.getRows()[0], [n, n, 1, n]);
  const days = await con.runAndReadAll(`SELECT DISTINCT year, month, day FROM read_parquet('${out}/**/*.parquet', hive_partitioning = true)`);
  assert.ok(days.getRows().length >= 1);
  con.closeSync();
});

test('after a crash, open files are cut back to the last recorded batch and unknown ones removed', async () => {
  const out = tmp();
  const state = tmp();
  const s = make({ path: out, partition: 'none' }, state);
  await s.start();
  const [b] = simulatedBatches(100, 9, 100);
  numbered([b]);
  s.tap(b);
  assert.equal(await s.idle(), true);
  // Simulate a crash: the open file gets half a batch more, a stray file appears, and the
  // process never finishes the file.
  const part = filesUnder(out).find((f) => f.endsWith('.part'))!;
  assert.ok(part);
  const good = fs.statSync(path.join(out, part)).size;
  fs.appendFileSync(path.join(out, part), '{"version":2,"by');
  fs.writeFileSync(path.join(out, 'flows-stray.jsonl.part'), 'x');
  const journal = fs.readFileSync(path.join(state, 'files-journal.json'));
  await s.stop();
  fs.renameSync(path.join(out, part.slice(0, -5)), path.join(out, part));
  fs.appendFileSync(path.join(out, part), '{"version":2,"by');
  fs.writeFileSync(path.join(state, 'files-journal.json'), journal);
  const again = make({ path: out, partition: 'none' }, state);
  await again.start();
  await again.stop();
  const files = filesUnder(out);
  assert.deepEqual(files, [part.slice(0, -5)]);
  assert.equal(fs.statSync(path.join(out, files[0])).size, good);
  assert.equal(fs.readFileSync(path.join(out, files[0]), 'utf8').trimEnd().split('\n').length, 100);
});
