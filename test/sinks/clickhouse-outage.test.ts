import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { MetricsRegistry } from '../../src/metrics/registry.js';
import { clickhouseSettings, clickhouseSink } from '../../src/sinks/clickhouse/clickhouse-sink.js';
import { Sink } from '../../src/sinks/sink.js';
import { awsSampleBatch } from '../../src/sinks/test-support.js';
import { silentLogger } from '../../src/util/log.js';
import { runOutage } from './outage.js';
import { ClickHouseServer } from '../clickhouse/server.js';

// Debian's clickhouse-server 18.16, started here on 127.0.0.1 (scripts/setup-test-deps.sh installs it).
let ch: ClickHouseServer;

before(async () => {
  ch = new ClickHouseServer(fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-clickhouse-')));
  await ch.start();
});

after(async () => {
  await ch.stop();
});

test('ClickHouse: a server outage (and a flowlogs restart during it) loses nothing and stores no batch twice', async () => {
  await runOutage({
    settings: { type: 'clickhouse', url: ch.httpUrl, database: 'flowlogs', table: 'outage', timeout_ms: 3000 },
    outageMs: 2000,
    restartDuringOutage: true,
    stopTarget: () => ch.stop(),
    startTarget: () => ch.start(),
    // No deduplication here: the sink itself must not have inserted any batch twice.
    readBack: async () => (await ch.query('SELECT bytes FROM flowlogs.outage FORMAT TabSeparated')).trim().split('\n').map(Number),
  });
  const [rows, batches] = (await ch.query('SELECT count(), uniqExact(flowlogs_batch) FROM flowlogs.outage FORMAT TabSeparated')).trim().split('\t').map(Number);
  assert.equal(rows, 30_000);
  assert.ok(batches >= 30, `${batches} batches`);
});

test('ClickHouse: typed columns hold the sample records as the AWS lines give them', async () => {
  const settings = clickhouseSettings.parse({ type: 'clickhouse', url: ch.httpUrl, table: 'samples', flow_logs: 'all' });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-ch-'));
  const metrics = new MetricsRegistry();
  const sink = new Sink('c', settings, clickhouseSink.create(settings, { name: 'c', stateDir: dir, log: silentLogger, metrics }), { max_records: 100, max_wait_ms: 10 }, { stateDir: dir, metrics });
  await sink.start();
  sink.tap(awsSampleBatch());
  assert.equal(await sink.idle(), true);
  await sink.stop();
  const rows = (await ch.query("SELECT IPv6NumToString(src_addr), dst_port, protocol, packets, bytes, toUnixTimestamp(start), action, log_status, interface_id FROM flowlogs.samples ORDER BY start, bytes FORMAT TabSeparated"))
    .trim()
    .split('\n');
  // Lines 4 and 5 of test-extra-samples.log (the 2014 SSH accept and RDP reject), then the rest by start time.
  assert.deepEqual(rows.slice(0, 2), ['::ffff:78.24.182.42\t22\t6\t20\t4249\t1418530010\tACCEPT\tOK\teni-1235b8ca123456789', '::ffff:78.24.182.42\t3389\t6\t20\t4249\t1418530010\tREJECT\tOK\teni-1235b8ca123456789']);
  assert.equal(rows.length, 7);
  assert.ok(rows.includes('2001:db8:1234:a100:8d6e:3477:df66:f105\t22\t6\t54\t8855\t1477913708\tACCEPT\tOK\teni-1235b8ca123456789'));
  assert.equal(rows.filter((r) => r.endsWith('NODATA\teni-1235b8ca123456789') || r.includes('SKIPDATA')).length, 2);
});
