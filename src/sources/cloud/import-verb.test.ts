import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { testdata } from '../../../test/support/paths.js';
import { EXIT_INTERRUPTED, importVerb, runImport, type ImportRunOptions } from '../../cli/import.js';
import { storeConfig } from '../../store/config.js';
import { DuckDbStore } from '../../store/duckdb/store.js';
import { isInputError } from '../../util/errors.js';
import { writeSyntheticAwsV2 } from './aws/synthetic-file.js';
import { captureIo } from '../../../test/support/io.js';

const ALL = { from: 0, to: 2 ** 32 };

const made: string[] = [];
after(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

function tmp(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `flowlogs-${prefix}-`));
  made.push(d);
  return d;
}


function options(data: string, paths: string[], extra: Partial<ImportRunOptions> = {}): ImportRunOptions {
  return { paths, format: 'auto', store: storeConfig.parse({ data, compact_every_s: 3600 }), progress: 'none', showErrors: 5, ...extra };
}

async function query(data: string, sql: string): Promise<unknown[]> {
  const s = new DuckDbStore({ dataDir: data, mode: 'reader' });
  await s.start();
  try {
    return (await s.sql(sql, ALL)).rows[0];
  } finally {
    await s.stop();
  }
}

async function countFlows(data: string, field: 'src_addr', value: string): Promise<number> {
  const s = new DuckDbStore({ dataDir: data, mode: 'reader' });
  await s.start();
  try {
    return (await s.flows({ range: ALL, filters: [{ field, values: [value] }], limit: 1_000_000 })).length;
  } finally {
    await s.stop();
  }
}

const SAMPLES = ['elastic-integrations', 'tencent-cloud-docs', 'azure-docs', 'foxsec-pipeline', 'vrl'].map((d) => testdata(d));

test('every sample folder imports; a rerun skips the files already imported and stores nothing twice', async () => {
  const data = tmp('import');
  const first = captureIo();
  const r1 = await runImport(options(data, SAMPLES), first.io);
  assert.equal(r1.code, 0);
  // Values from the READMEs/expected files: 7 default-format AWS lines for account 123456789010,
  // Tencent's 4 samples, the 13 foxsec entries (11 from 192.168.1.1), Elastic's 7 GCP entries,
  // and the 7 denied tuples of Microsoft's NSG sample.
  assert.deepEqual(await query(data, "SELECT count(*) FROM flows WHERE account_id = '123456789010'"), [7]);
  assert.deepEqual(await query(data, "SELECT count(*) FROM flows WHERE account_id = '1251762227'"), [4]);
  assert.equal(await countFlows(data, 'src_addr', '192.168.1.1'), 11);
  assert.deepEqual(await query(data, "SELECT count(*) FROM flows WHERE account_id = 'my-sample-project'"), [7]);
  assert.deepEqual(await query(data, "SELECT count(*) FROM flows WHERE account_id = 'aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e' AND action = 'REJECT'"), [7]);
  // Files that are not flow logs (READMEs, expected-value files) are reported, not imported.
  assert.ok(r1.summary.unreadable > 0);
  assert.match(first.err(), /README\.md: cannot tell which cloud wrote this file/);
  // The samples are years old: the user is told that retention would delete them again.
  assert.match(first.err(), /older than the store's retention \(30 days\)/);
  const total = (await query(data, 'SELECT count(*) FROM flows'))[0];

  const second = captureIo();
  const r2 = await runImport(options(data, SAMPLES), second.io);
  assert.equal(r2.code, 0);
  assert.equal(r2.summary.records, 0);
  assert.equal(r2.summary.alreadyImported, r1.summary.imported);
  assert.deepEqual(await query(data, 'SELECT count(*) FROM flows'), [total]);
  assert.match(second.out(), /already imported/);
});

test('exit 2 when nothing could be imported; bad lines are printed as FILE:LINE: reason', async () => {
  const dir = tmp('bad');
  const file = path.join(dir, 'broken.log');
  fs.writeFileSync(file, '2 123456789010 eni-1 10.0.0.1 10.0.0.2 443 22 6 20 4249 1418530010 1418530070 MAYBE OK\n2 123456789010 eni-1 10.0.0.1 10.0.0.2 443 22 6 20 4249 1418530010 1418530070 ACCEPT LATE\n');
  const c = captureIo();
  const r = await runImport(options(tmp('data'), [file]), c.io);
  assert.equal(r.code, 2);
  assert.equal(r.summary.records, 0);
  assert.match(c.err(), new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:1: bad action: 'MAYBE' in action`));
  assert.match(c.err(), /broken\.log:2: bad log-status/);
  assert.match(c.out(), /2 bad lines skipped \(bad action 1, bad log-status 1\)/);
});

test('a damaged gzip file fails alone; the other files are imported (exit 0)', async () => {
  const dir = tmp('gz');
  const good = zlib.gzipSync(fs.readFileSync(testdata('tencent-cloud-docs', 'flowlog-samples.log')));
  fs.writeFileSync(path.join(dir, 'a-good.log.gz'), good);
  fs.writeFileSync(path.join(dir, 'b-cut.log.gz'), good.subarray(0, good.length - 12));
  const data = tmp('data');
  const c = captureIo();
  const r = await runImport(options(data, [dir]), c.io);
  assert.equal(r.code, 0);
  assert.equal(r.summary.unreadable, 1);
  assert.match(c.err(), /b-cut\.log\.gz: unexpected end of file/);
  assert.deepEqual(await query(data, "SELECT count(*) FROM flows WHERE account_id = '1251762227'"), [4]);
});

test('interrupted after some batches, a rerun continues: every record stored exactly once', async () => {
  const dir = tmp('resume');
  const file = path.join(dir, 'big.log.gz');
  const N = 100_000;
  await writeSyntheticAwsV2(file, { records: N, gzip: true });
  const data = tmp('data');
  const ac = new AbortController();
  let batches = 0;
  const c = captureIo();
  const r1 = await runImport(options(data, [file], { batchRows: 8192, signal: ac.signal, onBatchStored: () => ++batches === 3 && ac.abort() }), c.io);
  assert.equal(r1.code, EXIT_INTERRUPTED);
  assert.ok(r1.summary.interrupted);
  assert.match(c.err(), /run the same command again/);
  const [partial] = (await query(data, 'SELECT count(*) FROM flows')) as number[];
  assert.ok(partial >= 3 * 8192 && partial < N, `partial import stored ${partial}`);

  const r2 = await runImport(options(data, [file], { batchRows: 8192 }), captureIo().io);
  assert.equal(r2.code, 0);
  assert.equal(r2.summary.resumed, partial);
  assert.equal(r2.summary.records, N - partial);
  // bytes = the record's sequence number in the file: all there, none twice.
  assert.deepEqual(await query(data, 'SELECT count(*), count(DISTINCT bytes), min(bytes), max(bytes) FROM flows'), [N, N, 1, N]);
  const r3 = await runImport(options(data, [file]), captureIo().io);
  assert.equal(r3.summary.alreadyImported, 1);
});

test('an import killed outright (SIGKILL) mid-file, then rerun, stores every record exactly once', async () => {
  const dir = tmp('crash');
  const file = path.join(dir, 'big.log.gz');
  const N = 120_000;
  await writeSyntheticAwsV2(file, { records: N, gzip: true });
  const data = tmp('data');
  const self = fileURLToPath(import.meta.url);
  const child = path.join(path.dirname(self), `import-child.fixture${path.extname(self)}`);
  const proc = spawn(process.execPath, [...process.execArgv, child, data, file, '8192'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let seen = 0;
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr += String(d)));
  await new Promise<void>((resolve, reject) => {
    proc.stdout.on('data', (d) => {
      seen += String(d).split('\n').filter((l) => l.startsWith('stored')).length;
      if (seen >= 4) proc.kill('SIGKILL');
    });
    proc.on('exit', () => resolve());
    proc.on('error', reject);
  });
  assert.ok(seen >= 4, `child stopped early: ${stderr}`);
  const [partial] = (await query(data, 'SELECT count(*) FROM flows')) as number[];
  assert.ok(partial < N, `the kill came too late to test anything (${partial})`);
  const r = await runImport(options(data, [file], { batchRows: 8192 }), captureIo().io);
  assert.equal(r.code, 0);
  assert.equal(r.summary.resumed, partial);
  assert.deepEqual(await query(data, 'SELECT count(*), count(DISTINCT bytes) FROM flows'), [N, N]);
});

test('a data directory held by a running server is refused, naming the way out', async () => {
  const data = tmp('locked');
  await runImport(options(data, [testdata('tencent-cloud-docs', 'flowlog-samples.log')]), captureIo().io);
  // pid 1 is alive: the lock looks held by another process.
  fs.writeFileSync(path.join(data, 'LOCK'), '1\n');
  await assert.rejects(runImport(options(data, [testdata('tencent-cloud-docs', 'flowlog-samples.log')]), captureIo().io), (e: Error) => {
    assert.ok(isInputError(e));
    assert.match(e.message, /in use by flowlogs process 1/);
    assert.match(e.message, /stop it/);
    assert.match(e.message, /\/api\/ingest\/aws/);
    return true;
  });
});

test('the verb: flags, exit 130 on Ctrl-C, bad usage as input errors', async () => {
  const data = tmp('verb');
  const c = captureIo();
  const run = importVerb.run([testdata('tencent-cloud-docs', 'flowlog-samples.log'), '--data', data, '--progress', 'none'], c.io);
  process.emit('SIGINT');
  assert.equal(await run, EXIT_INTERRUPTED);
  assert.equal(await importVerb.run([testdata('tencent-cloud-docs', 'flowlog-samples.log'), '--data', data, '--progress', 'lines', '--format', 'tencent'], c.io), 0);
  assert.match(c.out(), /1 of 1 file imported: 4 records/);
  for (const argv of [['--data', data], [path.join(data, 'no-such-file'), '--data', data], ['x', '--format', 'oracle', '--data', data]])
    await assert.rejects(importVerb.run(argv, captureIo().io), (e: Error) => isInputError(e));
  // A runtime failure (the import record is unreadable) is not an input error: exit 1.
  const broken = tmp('broken');
  fs.mkdirSync(path.join(broken, 'imports.jsonl'), { recursive: true });
  fs.writeFileSync(path.join(broken, 'flowlogs.json'), JSON.stringify({ format: 'flowlogs-data', layout: 1, created: 'x' }));
  await assert.rejects(importVerb.run([testdata('tencent-cloud-docs', 'flowlog-samples.log'), '--data', broken, '--progress', 'none'], captureIo().io), (e: Error) => !isInputError(e));
});

test('an S3 bucket copy: other services’ folders are skipped, the account comes from the key', async () => {
  const root = tmp('bucket');
  const flows = path.join(root, 'AWSLogs', '123456789012', 'vpcflowlogs', 'us-east-1', '2024', '05', '01');
  const elb = path.join(root, 'AWSLogs', '123456789012', 'elasticloadbalancing', 'us-east-1', '2024', '05', '01');
  fs.mkdirSync(flows, { recursive: true });
  fs.mkdirSync(elb, { recursive: true });
  // A custom format without account-id, as S3 delivers it: header line first, gzip.
  fs.writeFileSync(path.join(flows, '123456789012_vpcflowlogs_us-east-1_fl-0abc_20240501T0000Z_1.log.gz'), zlib.gzipSync('version interface-id srcaddr dstaddr dstport action\n3 eni-0a 10.0.0.1 10.0.0.2 443 ACCEPT\n3 eni-0a 10.0.0.3 10.0.0.2 22 REJECT\n'));
  fs.writeFileSync(path.join(elb, 'app.log.gz'), zlib.gzipSync('h2 2024-05-01T00:00:00Z app/x 1.2.3.4:5 - -1 -1 -1 503 - 0 0 "GET / HTTP/2.0"\n'));
  const data = tmp('data');
  const r = await runImport(options(data, [root]), captureIo().io);
  assert.equal(r.code, 0);
  assert.equal(r.summary.files, 1);
  assert.deepEqual(await query(data, "SELECT count(*), count(*) FILTER (action = 'REJECT') FROM flows WHERE account_id = '123456789012'"), [2, 1]);
});
