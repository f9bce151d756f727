import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { MetricsRegistry } from '../../src/metrics/registry.js';
import { Sink } from '../../src/sinks/sink.js';
import { syslogSettings, syslogSink } from '../../src/sinks/syslog/syslog-sink.js';
import { awsSampleBatch } from '../../src/sinks/test-support.js';
import { silentLogger } from '../../src/util/log.js';
import { runOutage } from './outage.js';
import { selfSignedCert, SyslogServer } from './servers/syslog.js';

/** Record values once per (batch, row): the structured data names each record. */
function dedup(server: SyslogServer): number[] {
  const seen = new Set<string>();
  const values: number[] = [];
  for (const m of server.messages) {
    const id = `${m.batch}/${m.row}`;
    if (seen.has(id)) continue;
    seen.add(id);
    values.push((JSON.parse(m.msg) as { bytes: number }).bytes);
  }
  return values;
}

for (const transport of ['tcp', 'tls'] as const) {
  test(`syslog over ${transport.toUpperCase()}: a receiver outage (and a flowlogs restart during it) loses nothing`, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-syslog-'));
    const files = transport === 'tls' ? selfSignedCert(dir) : undefined;
    const server = new SyslogServer(transport, files);
    await server.start();
    await runOutage({
      settings: { type: 'syslog', transport, host: '127.0.0.1', port: server.port, tls: files ? { ca_file: files.cert } : {}, timeout_ms: 2000 },
      restartDuringOutage: transport === 'tls',
      // Delivered means handed to the connection: the receiver may still be reading.
      settleMs: 3000,
      stopTarget: () => server.stop(),
      startTarget: () => server.start(),
      readBack: async () => dedup(server),
    });
    const m = server.messages[0];
    assert.equal(m.pri, 16 * 8 + 6, 'local0.info');
    assert.equal(m.app, 'flowlogs');
    assert.equal(m.msgId, 'flow');
    await server.stop();
  });
}

test('syslog over UDP: one RFC 5424 datagram per record, AWS text as the message', async () => {
  const server = new SyslogServer('udp');
  await server.start();
  const settings = syslogSettings.parse({ type: 'syslog', transport: 'udp', port: server.port, format: 'aws', facility: 'daemon', severity: 'notice', hostname: 'probe-1', flow_logs: 'all' });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-syslog-'));
  const metrics = new MetricsRegistry();
  const sink = new Sink('u', settings, syslogSink.create(settings, { name: 'u', stateDir: dir, log: silentLogger, metrics }), { max_records: 100, max_wait_ms: 10 }, { stateDir: dir, metrics });
  await sink.start();
  sink.tap(awsSampleBatch());
  assert.equal(await sink.idle(), true);
  for (let i = 0; i < 50 && server.messages.length < 7; i++) await new Promise((r) => setTimeout(r, 20));
  await sink.stop();
  await server.stop();
  const byRow = [...server.messages].sort((a, b) => a.row - b.row);
  assert.equal(byRow.length, 7);
  assert.equal(byRow[0].pri, 3 * 8 + 5);
  assert.equal(byRow[0].hostname, 'probe-1');
  // The record of line 4, timestamped with its window end (1418530070).
  assert.equal(byRow[3].msg, '2 123456789010 eni-1235b8ca123456789 78.24.182.42 158.109.0.1 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK');
  assert.equal(byRow[3].timestamp, '2014-12-14T04:07:50.000Z');
});
