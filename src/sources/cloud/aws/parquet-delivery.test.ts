import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import type { FlowBatch } from '../../../schema/batch.js';
import { testdata } from '../../../../test/support/paths.js';
import { importFile } from '../import-file.js';
import { isoSeconds } from '../test-helpers.js';

const made: string[] = [];
after(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

function tmpDir(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(d);
  return d;
}

// AWS's Parquet schema for the default fields (typed columns, underscores for hyphens).
const COLUMNS = {
  version: 'INTEGER',
  account_id: 'VARCHAR',
  interface_id: 'VARCHAR',
  srcaddr: 'VARCHAR',
  dstaddr: 'VARCHAR',
  srcport: 'INTEGER',
  dstport: 'INTEGER',
  protocol: 'INTEGER',
  packets: 'BIGINT',
  bytes: 'BIGINT',
  start: 'BIGINT',
  end: 'BIGINT',
  action: 'VARCHAR',
  log_status: 'VARCHAR',
};

/** Converts the text sample to Parquet with DuckDB's own CSV reader (not our parser). */
async function writeParquet(textFile: string, out: string): Promise<void> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const cols = Object.entries(COLUMNS)
    .map(([k, v]) => `'${k}': '${v}'`)
    .join(', ');
  await c.run(`COPY (SELECT * FROM read_csv('${textFile}', delim=' ', header=false, nullstr='-', columns={${cols}})) TO '${out}' (FORMAT parquet)`);
  c.closeSync();
  db.closeSync();
}

test('a Parquet file in AWS’s schema round-trips to the same records as the text sample', async () => {
  const dir = tmpDir('flowlogs-parquet-');
  const file = path.join(dir, 'AWSLogs', 'aws-account-id=123456789010', 'aws-service=vpcflowlogs', 'aws-region=us-east-1', 'year=2016', 'x.log.parquet');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await writeParquet(testdata('elastic-integrations', 'aws', 'test-extra-samples.log'), file);
  const facts = JSON.parse(fs.readFileSync(testdata('elastic-integrations', 'expected', 'aws-test-extra-samples.expected-facts.json'), 'utf8')).expected as any[];

  const batches: FlowBatch[] = [];
  const report = await importFile(
    { path: file, size: fs.statSync(file).size },
    { format: 'auto', batchRows: 1000, write: async (b) => void batches.push(b), shouldStop: () => false },
  );
  assert.equal(report.status, 'imported');
  assert.equal(report.format, 'aws');
  assert.equal(report.problems.total, 0);
  assert.equal(report.lines, 7);
  const records = batches.flatMap((b) => [...b.rows()]);
  assert.equal(records.length, facts.length);
  for (const e of facts) {
    const r = records[e.line - 1];
    assert.equal(r.account_id, e.aws_vpcflow.account_id);
    assert.equal(r.interface_id, e.aws_vpcflow.interface_id);
    assert.equal(r.log_status, e.aws_vpcflow.log_status);
    assert.equal(r.start, isoSeconds(e.event.start));
    assert.equal(r.end, isoSeconds(e.event.end));
    if (e.source) {
      assert.equal(r.src_addr, e.source.ip);
      assert.equal(r.dst_addr, e.destination.ip);
      assert.equal(r.dst_port, e.destination.port);
      assert.equal(r.bytes, e.source.bytes);
      assert.equal(r.packets, e.source.packets);
      assert.equal(r.action, e.aws_vpcflow.action);
    } else assert.equal(r.src_addr, '::');
  }
});

test('a Parquet file that is not a flow log is reported unreadable, not imported', async () => {
  const dir = tmpDir('flowlogs-parquet-');
  const file = path.join(dir, 'other.parquet');
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  await c.run(`COPY (SELECT 1 AS a, 'x' AS b) TO '${file}' (FORMAT parquet)`);
  c.closeSync();
  db.closeSync();
  const report = await importFile({ path: file, size: fs.statSync(file).size }, { format: 'auto', batchRows: 10, write: async () => {}, shouldStop: () => false });
  assert.equal(report.status, 'unreadable');
  assert.match(report.reason ?? '', /not an AWS flow-log Parquet file/);
});
