// Importing AWS flow logs: a generated 5M-line gzip file in the default (v2) format, S3 style.
//   - the parser alone on text already in memory (lines/s),
//   - `flowlogs import` end to end (gunzip, parse, durable Parquet segments) into a fresh data
//     directory, after a 1M-line file: peak RSS after each shows memory stays flat in file size,
//   - what a user would do instead: DuckDB's own read_csv of the same file into a table
//     normalised to our schema (typed columns, IPv4-mapped 128-bit addresses, enum codes).
// The files are generated once in the temp directory and reused.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import zlib from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { runImport } from '../src/cli/import.js';
import { FlowBatch } from '../src/schema/batch.js';
import { writeSyntheticAwsV2 } from '../src/sources/cloud/aws/synthetic-file.js';
import { awsTextParser } from '../src/sources/cloud/aws/text.js';
import { ParseProblems } from '../src/sources/cloud/problems.js';
import { storeConfig } from '../src/store/config.js';

type Figure = { name: string; value: number; unit: string };

const BIG = 5_000_000;
const SMALL = 1_000_000;

async function sample(records: number): Promise<string> {
  const dir = path.join(os.tmpdir(), 'flowlogs-bench-import');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `aws-v2-${records}.log.gz`);
  if (!fs.existsSync(file)) {
    await writeSyntheticAwsV2(`${file}.tmp`, { records, gzip: true });
    fs.renameSync(`${file}.tmp`, file);
  }
  return file;
}

const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

function parseInMemory(text: Buffer): number {
  let batch = new FlowBatch(65_536);
  const sink = {
    room: () => {
      if (batch.full) batch = new FlowBatch(65_536);
      return batch;
    },
  };
  const parser = awsTextParser(sink, { problems: new ParseProblems() });
  const step = 1 << 20;
  for (let o = 0; o < text.length; o += step) parser.push(text.subarray(o, o + step));
  parser.end();
  return parser.records;
}

async function importOnce(file: string): Promise<{ records: number; seconds: number }> {
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-bench-data-'));
  const quiet = new Writable({ write: (_c, _e, cb) => cb() });
  try {
    const t0 = performance.now();
    const { code, summary } = await runImport(
      { paths: [file], format: 'aws', store: storeConfig.parse({ data, compact_every_s: 3600 }), progress: 'none', showErrors: 0 },
      { out: quiet, err: quiet },
    );
    const seconds = (performance.now() - t0) / 1000;
    if (code !== 0 || summary.problems.total !== 0) throw new Error(`import failed (exit ${code}, ${summary.problems.total} bad lines)`);
    return { records: summary.records, seconds };
  } finally {
    fs.rmSync(data, { recursive: true, force: true });
  }
}

// IPv4 text → the IPv4-mapped 128-bit value our stores use.
const v4 = (col: string) =>
  `CASE WHEN ${col} IS NULL THEN NULL ELSE 281470681743360::UHUGEINT + ((split_part(${col}, '.', 1)::UBIGINT << 24) | (split_part(${col}, '.', 2)::UBIGINT << 16) | (split_part(${col}, '.', 3)::UBIGINT << 8) | split_part(${col}, '.', 4)::UBIGINT) END`;

async function duckdbReadCsv(file: string): Promise<{ rows: number; seconds: number }> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    const t0 = performance.now();
    await c.run(`CREATE TABLE flows AS
      SELECT version::UTINYINT AS version, account_id, interface_id,
        ${v4('srcaddr')} AS src_addr, ${v4('dstaddr')} AS dst_addr,
        coalesce(srcport, 0)::USMALLINT AS src_port, coalesce(dstport, 0)::USMALLINT AS dst_port,
        coalesce(protocol, 0)::UTINYINT AS protocol, coalesce(packets, 0)::UBIGINT AS packets, coalesce(bytes, 0)::UBIGINT AS bytes,
        "start"::UINTEGER AS "start", "end"::UINTEGER AS "end",
        (action = 'REJECT')::UTINYINT AS action,
        CASE log_status WHEN 'NODATA' THEN 1 WHEN 'SKIPDATA' THEN 2 ELSE 0 END::UTINYINT AS log_status
      FROM read_csv('${file}', delim = ' ', header = true, nullstr = '-', compression = 'gzip',
        columns = {'version': 'VARCHAR', 'account_id': 'VARCHAR', 'interface_id': 'VARCHAR', 'srcaddr': 'VARCHAR', 'dstaddr': 'VARCHAR',
          'srcport': 'INTEGER', 'dstport': 'INTEGER', 'protocol': 'INTEGER', 'packets': 'BIGINT', 'bytes': 'BIGINT',
          'start': 'BIGINT', 'end': 'BIGINT', 'action': 'VARCHAR', 'log_status': 'VARCHAR'})`);
    const seconds = (performance.now() - t0) / 1000;
    const r = await c.runAndReadAll('SELECT count(*) FROM flows');
    return { rows: Number(r.getRows()[0][0]), seconds };
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

export async function run(): Promise<Figure[]> {
  const small = await sample(SMALL);
  const big = await sample(BIG);
  const out: Figure[] = [];

  // Parser alone: the 1M-line file's text in memory, parsed twice (the first warms up).
  const text = zlib.gunzipSync(fs.readFileSync(small));
  parseInMemory(text);
  const t0 = performance.now();
  const parsed = parseInMemory(text);
  const parseSeconds = (performance.now() - t0) / 1000;
  if (parsed !== SMALL) throw new Error(`parsed ${parsed} of ${SMALL}`);
  out.push({ name: 'aws v2 parse (text in memory)', value: Math.round(parsed / parseSeconds), unit: 'lines/s' });
  const textMb = text.length / 1e6;
  out.push({ name: 'aws v2 parse throughput', value: Math.round(textMb / parseSeconds), unit: 'MB/s' });

  // End to end, small file then big file; peak RSS after each.
  const a = await importOnce(small);
  if (a.records !== SMALL) throw new Error(`imported ${a.records} of ${SMALL}`);
  out.push({ name: `flowlogs import ${SMALL / 1e6}M-line gzip`, value: Math.round(a.records / a.seconds), unit: 'lines/s' });
  out.push({ name: `peak RSS after ${SMALL / 1e6}M-line import`, value: peakRssMb(), unit: 'MB' });
  const b = await importOnce(big);
  if (b.records !== BIG) throw new Error(`imported ${b.records} of ${BIG}`);
  out.push({ name: `flowlogs import ${BIG / 1e6}M-line gzip`, value: Math.round(b.records / b.seconds), unit: 'lines/s' });
  out.push({ name: `peak RSS after ${BIG / 1e6}M-line import`, value: peakRssMb(), unit: 'MB' });

  const d = await duckdbReadCsv(big);
  if (d.rows !== BIG) throw new Error(`DuckDB read ${d.rows} of ${BIG}`);
  out.push({ name: `duckdb read_csv + normalise ${BIG / 1e6}M-line gzip`, value: Math.round(d.rows / d.seconds), unit: 'lines/s' });
  out.push({ name: 'flowlogs import / duckdb read_csv', value: Number((d.seconds / b.seconds).toFixed(2)), unit: 'x' });
  out.push({ name: 'peak RSS after duckdb read_csv (in-memory table)', value: peakRssMb(), unit: 'MB' });
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of await run()) console.log(JSON.stringify(r));
}
