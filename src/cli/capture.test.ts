import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import YAML from 'yaml';
import { FlowLogRegistry } from '../flowlogs/registry.js';
import { parseSmall, smallInventory } from '../inventory/test-fixture.js';
import { ACK, SYN, frame, pcapFile, tcp } from '../sources/probe/synthetic-capture.js';
import { DuckDbStore } from '../store/duckdb/store.js';
import { openDataDir } from '../store/datadir.js';
import { isInputError } from '../util/errors.js';
import { captureVerb } from './capture.js';
import { captureIo } from '../../test/support/io.js';

const T0 = 1_700_000_000_000;
const ALL = { from: 0, to: 2 ** 32 };


function setup() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-capture-'));
  const inv = path.join(dir, 'inventory.yaml');
  fs.writeFileSync(inv, YAML.stringify(smallInventory()));
  const pcap = path.join(dir, 'web-app.pcap');
  const web = { srcMac: '02:00:00:00:00:01', src: '10.0.0.10' };
  const app = { srcMac: '02:00:00:00:00:02', src: '10.0.1.20' };
  const f = (from: typeof web, to: typeof web, sp: number, dp: number, flags: number) => frame({ srcMac: from.srcMac, dstMac: to.srcMac, src: from.src, dst: to.src, protocol: 6, l4: tcp(sp, dp, flags) });
  fs.writeFileSync(
    pcap,
    pcapFile([
      { tsMs: T0 + 10, frame: f(web, app, 40000, 8080, SYN) },
      { tsMs: T0 + 11, frame: f(app, web, 8080, 40000, SYN | ACK) },
      { tsMs: T0 + 12, frame: f(web, app, 40000, 8080, ACK) },
      { tsMs: T0 + 20, frame: f(web, app, 40001, 22, SYN) },
    ]),
  );
  return { dir, inv, pcap };
}

test('capture FILE --format jsonl writes one record per ENI, direction and flow, with verdicts', async () => {
  const s = setup();
  const t = captureIo();
  const code = await captureVerb.run([s.pcap, '--inventory', s.inv, '--window', '10s', '--format', 'jsonl'], t.io);
  assert.equal(code, 0);
  const recs = t.out().trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(recs.length, 6, '3 flows seen at 2 ENIs');
  const blocked = recs.find((r) => r.interface_id === 'eni-app' && r.dst_port === 22);
  assert.deepEqual([blocked.direction, blocked.action, blocked.rule_id, blocked.packets], ['ingress', 'REJECT', 'acl-app/default-deny', 1]);
  const api = recs.find((r) => r.interface_id === 'eni-app' && r.dst_port === 8080);
  assert.deepEqual([api.packets, api.bytes, api.tcp_flags, api.action, api.start, api.end], [2, 80, SYN | ACK, 'ACCEPT', T0 / 1000, T0 / 1000 + 10]);
  assert.match(t.err(), /^4 packets, 4 in records, 6 records\n$/);
});

test('capture into the store applies the data directory\'s flow logs', async () => {
  const s = setup();
  const data = path.join(s.dir, 'data');
  openDataDir(data, { create: true });
  const fl = await FlowLogRegistry.open(data).create({ name: 'app', scope_id: 'eni-app', traffic_type: 'REJECT', window: 60 }, parseSmall());
  const t = captureIo();
  assert.equal(await captureVerb.run([s.pcap, '--inventory', s.inv, '--window', '10s', '--data', data], t.io), 0, t.err());
  const store = new DuckDbStore({ dataDir: data, mode: 'reader' });
  await store.start();
  try {
    const rows = (await store.sql('SELECT interface_id, flow_log_id, dst_port, action, "start", "end" FROM flows ORDER BY interface_id, flow_log_id, dst_port', ALL)).rows;
    // eni-app is covered: only its rejected flow, re-windowed to the flow log's 60 s. eni-web is not: kept as captured.
    const app = rows.filter((r) => r[0] === 'eni-app');
    assert.deepEqual(app, [['eni-app', fl.id, 22, 'REJECT', T0 / 1000 - ((T0 / 1000) % 60), T0 / 1000 - ((T0 / 1000) % 60) + 60]]);
    const web = rows.filter((r) => r[0] === 'eni-web');
    assert.equal(web.length, 3);
    assert.ok(web.every((r) => r[1] === '' && r[5] === T0 / 1000 + 10));
  } finally {
    await store.stop();
  }
});

test('capture refuses bad input with one clear line', async () => {
  const s = setup();
  const reject = async (args: string[], re: RegExp) => {
    await assert.rejects(captureVerb.run(args, captureIo().io), (e: Error) => isInputError(e) && re.test(e.message));
  };
  await reject([], /give capture files \(.pcap, .pcapng\) or --interface IF/);
  await reject([s.pcap, '--interface', 'eth0'], /not both/);
  await reject([s.pcap, '--window', '0s', '--format', 'jsonl'], /--window must be 1s to 10m/);
  await reject([path.join(s.dir, 'nope.pcap'), '--format', 'jsonl'], /nope.pcap: no such file/);
  await reject([s.inv, '--format', 'jsonl'], /inventory.yaml: not a pcap or pcapng file/);
  await reject(['--interface', 'no-such-if0', '--format', 'jsonl', '--duration', '1'], /tcpdump/);
});
