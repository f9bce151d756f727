import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { test } from 'node:test';
import { MetricsRegistry } from '../../src/metrics/registry.js';
import { s3ClientFor, s3Settings, s3Sink } from '../../src/sinks/s3/s3-sink.js';
import { Sink } from '../../src/sinks/sink.js';
import { awsSampleBatch, awsSampleLines } from '../../src/sinks/test-support.js';
import { silentLogger } from '../../src/util/log.js';
import { runOutage } from './outage.js';
import { FakeS3 } from './servers/s3.js';

const KEY = 'AKIDFLOWLOGSTEST';
const SECRET = 'test-secret-key-0123456789';

test('S3-compatible storage: an outage of the server loses nothing; objects are named after batches, so none is stored twice', async () => {
  const s3 = new FakeS3('flows', KEY, SECRET, 'eu-west-3');
  await s3.start();
  const settings = { type: 's3', bucket: 'flows', region: 'eu-west-3', endpoint: s3.endpoint, path_style: true, access_key_id: KEY, secret_access_key: SECRET, prefix: 'vpc/flowlogs', timeout_ms: 2000 };
  await runOutage({
    settings,
    restartDuringOutage: true,
    stopTarget: () => s3.stop(),
    startTarget: () => s3.start(),
    // Read back through the S3 API (ListObjectsV2 + GET), as a consumer would.
    readBack: async () => {
      const client = s3ClientFor(s3Settings.parse({ ...settings, type: 's3' }));
      const values: number[] = [];
      const objects = await client.list('vpc/flowlogs/');
      assert.ok(objects.length > 0);
      for (const o of objects) {
        assert.match(o.key, /^vpc\/flowlogs\/year=\d{4}\/month=\d\d\/day=\d\d\/hour=\d\d\/flows-s-[0-9a-f]+-\d+\.jsonl\.gz$/);
        const text = zlib.gunzipSync(await client.get(o.key)).toString();
        for (const line of text.split('\n')) if (line) values.push((JSON.parse(line) as { bytes: number }).bytes);
      }
      client.close();
      return values;
    },
  });
  assert.deepEqual(s3.rejected, [], 'every request carried a valid signature');
  await s3.stop();
});

test('S3: AWS text and Parquet objects', async () => {
  const s3 = new FakeS3('b', KEY, SECRET);
  await s3.start();
  for (const format of ['aws', 'parquet'] as const) {
    const settings = s3Settings.parse({ type: 's3', bucket: 'b', endpoint: s3.endpoint, path_style: true, access_key_id: KEY, secret_access_key: SECRET, format, gzip: false, partition: 'none', flow_logs: 'all' });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-s3-'));
    const metrics = new MetricsRegistry();
    const sink = new Sink('s', settings, s3Sink.create(settings, { name: 's', stateDir: dir, log: silentLogger, metrics }), { max_records: 100, max_wait_ms: 10 }, { stateDir: dir, metrics });
    await sink.start();
    sink.tap(awsSampleBatch());
    assert.equal(await sink.idle(), true);
    await sink.stop();
  }
  const keys = [...s3.objects.keys()].sort();
  assert.equal(keys.length, 2);
  const text = s3.objects.get(keys.find((k) => k.endsWith('.log'))!)!.body.toString();
  assert.deepEqual(text.trimEnd().split('\n').slice(1), awsSampleLines());
  const parquet = s3.objects.get(keys.find((k) => k.endsWith('.parquet'))!)!.body;
  assert.equal(parquet.subarray(0, 4).toString(), 'PAR1');
  assert.equal(parquet.subarray(-4).toString(), 'PAR1');
  await s3.stop();
});
