import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testdata } from '../../test/support/paths.js';
import { FlowBatch } from '../schema/batch.js';
import { ExporterDecoder } from '../sources/exporter-decoder.js';
import { readCaptureFile, udpPayload, UdpExtractStats } from '../sources/pcap/index.js';
import { BatchList } from '../sources/source.js';
import { decodeMessage, encodeMessage, MessageError, messageId, messageSize } from './codec.js';
import { splitForBus } from './publisher.js';
import { batchFromWire, wireFromBatch } from './wire.js';

async function nfv5(): Promise<FlowBatch> {
  const decoder = new ExporterDecoder();
  const list = new BatchList(4096);
  for await (const pkt of readCaptureFile(testdata('akvorado', 'netflow', 'nfv5.pcap'))) {
    const u = udpPayload(pkt, new UdpExtractStats());
    if (u) decoder.decode(u.payload, u.src, u.tsMs, list);
  }
  assert.equal(list.batches.length, 1);
  return list.batches[0];
}

test('a NetFlow v5 capture survives the bus: every record and field as decoded', async () => {
  const batch = await nfv5();
  assert.equal(batch.length, 29, 'the README counts 29 records');
  const msg = encodeMessage(wireFromBatch(batch, 'collector-a-1'));
  assert.equal(messageId(msg), 'collector-a-1');
  const back = batchFromWire(decodeMessage(msg));
  assert.equal(back.length, 29);
  // akvorado's expected first flow (expected/akvorado_test_facts.json, TestDecodeNFv5).
  const r = back.get(0);
  assert.equal(r.src_addr, '161.202.212.212');
  assert.equal(r.dst_addr, '202.152.70.24');
  assert.equal(r.bytes, 133);
  assert.equal(r.packets, 1);
  assert.equal(r.in_if, 117);
  assert.equal(r.out_if, 86);
  assert.equal(r.src_port, 30104);
  assert.equal(r.dst_port, 11963);
  assert.equal(r.protocol, 6);
  assert.equal(r.tcp_flags, 24);
  assert.equal(r.src_asn, 36351);
  assert.equal(r.dst_asn, 10101);
  assert.deepEqual([...back.rows()], [...batch.rows()]);
  // Compact: columns that are all default are not sent at all.
  assert.ok(msg.length < 29 * 80, `${msg.length} bytes for 29 records`);
});

test('every kind of value round-trips: IPv6 beside IPv4, 64-bit counters, MACs, strings, enums', () => {
  const b = new FlowBatch(4);
  b.push({ src_addr: '10.1.2.3', dst_addr: '2001:db8::1', bytes: 2 ** 53 - 1, packets: 3, first_ms: 1_795_300_000_123, src_mac: '02:42:ac:11:00:02', action: 'REJECT', direction: 'egress', log_status: 'SKIPDATA', interface_id: 'eni-ü', start: 1_795_300_000, vlan: 4094 });
  b.push({ src_addr: '::', dst_addr: '10.0.0.1', bytes: 70_000, interface_id: '', account_id: 'a', start: 1_795_300_060, sampling_rate: 1 });
  b.push({ src_addr: '192.0.2.1', nat_src_addr: '198.51.100.7', bytes: 1, interface_id: 'eni-ü', account_id: 'b', start: 1_795_300_120, dst_asn: 4_200_000_000 });
  const back = batchFromWire(decodeMessage(encodeMessage(wireFromBatch(b, 'x'))));
  assert.deepEqual([...back.rows()], [...b.rows()]);
  // A slice is the slice's rows only.
  const one = batchFromWire(decodeMessage(encodeMessage(wireFromBatch(b, 'y', 1, 2))));
  assert.deepEqual([...one.rows()], [b.get(1)]);
});

test('batches too big for one message are split into messages under the limit, each with its own id', async () => {
  const src = await nfv5();
  const big = new FlowBatch(29 * 40);
  for (let k = 0; k < 40; k++) big.appendRows(src);
  let n = 0;
  const parts = splitForBus(wireFromBatch(big, ''), 4096, () => `c-i-${++n}`);
  assert.ok(parts.length > 1);
  assert.deepEqual(
    parts.map((p) => p.id),
    parts.map((_, i) => `c-i-${i + 1}`),
  );
  for (const p of parts) assert.ok(messageSize(p) <= 4096, `${messageSize(p)} bytes`);
  const rows = parts.flatMap((p) => [...batchFromWire(decodeMessage(encodeMessage(p))).rows()]);
  assert.deepEqual(rows, [...big.rows()]);
});

test('damaged or foreign messages are refused with the reason, never half read', async () => {
  const msg = encodeMessage(wireFromBatch(await nfv5(), 'z'));
  assert.throws(() => decodeMessage(new TextEncoder().encode('{"flows":[]}')), MessageError);
  assert.throws(() => decodeMessage(msg.subarray(0, msg.length - 3)), /truncated/);
  const version = msg.slice();
  version[4] = 9;
  assert.throws(() => decodeMessage(version), /version 9/);
  const extra = new Uint8Array(msg.length + 2);
  extra.set(msg);
  assert.throws(() => decodeMessage(extra), /2 bytes after the last column/);
  // A string code pointing past its dictionary.
  const b = new FlowBatch(2);
  b.push({ interface_id: 'eni-1' });
  b.push({ interface_id: 'eni-2' });
  const m = encodeMessage(wireFromBatch(b, 'w'));
  const bad = m.slice();
  bad[bad.length - 1] = 7;
  assert.throws(() => decodeMessage(bad), /code 7 beyond/);
});
