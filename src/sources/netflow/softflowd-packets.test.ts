// softflowd exports kept by python-netflow-v9-softflowd: NetFlow v1, v5, v9 and IPFIX, with the
// counts and values that library's tests assert and Wireshark's decode of every record.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { testdata } from '../../../test/support/paths.js';
import { NetflowDecoder } from './decoder.js';
import { decodeAll, matchFlows, payloadDatagrams, READER_MODES, readWireshark, wiresharkFlows } from './reference-decode.js';

const dir = testdata('python-netflow-v9-softflowd');
const pkt = (name: string) => `${dir}/packets/${name}`;
const wireshark = (group: string) => wiresharkFlows(readWireshark(`${dir}/expected/${group}.wireshark.json`), '192.0.2.1');

function decode(files: string[], options: (typeof READER_MODES)[number]['options'] = READER_MODES[0].options) {
  const dec = new NetflowDecoder(options);
  const rows = decodeAll(dec, payloadDatagrams(files.map(pkt)));
  assert.equal(dec.stats.malformed.internal_error, 0);
  return { dec, rows };
}

for (const mode of READER_MODES) describe(`python-netflow-v9-softflowd packets (${mode.name})`, () => {
  it('NetFlow v1 is refused and counted as an unsupported version', () => {
    // v1 (2 ICMP flows) predates every exporter this service targets; it is counted, not decoded.
    const { dec, rows } = decode(['PACKET_V1.bin'], mode.options);
    assert.equal(rows.length, 0);
    assert.equal(dec.stats.malformed.unsupported_version, 1);
    assert.equal(dec.stats.datagrams, 0);
  });

  it('v5: 3 flows, the first an ICMP ping between 172.17.0.1 and 172.17.0.2', () => {
    const { rows } = decode(['PACKET_V5.bin'], mode.options);
    assert.equal(rows.length, 3);
    assert.ok(['172.17.0.1', '172.17.0.2'].includes(rows[0].src_addr));
    assert.equal(rows[0].protocol, 1);
    assert.ok(rows.every((r) => r.version === 5));
    const m = matchFlows(rows, wireshark('v5'));
    assert.deepEqual(m.unmatched, []);
    assert.equal(m.extra.length, 0);
  });

  it('v9: template then three data packets give 8 + 12 + 12 + 12 flows', () => {
    const { dec, rows } = decode(['PACKET_V9_TEMPLATE.bin', 'PACKETS_V9_0.bin', 'PACKETS_V9_1.bin', 'PACKETS_V9_2.bin'], mode.options);
    assert.equal(rows.length, 44);
    assert.equal(dec.stats.templates.received, 2); // IPv4 1024, IPv6 2048
    const m = matchFlows(rows, wireshark('v9-template-then-data'));
    assert.deepEqual(m.unmatched, []);
    assert.equal(m.extra.length, 0);
  });

  it('v9: data without its template yields nothing yet and waits', () => {
    const { dec, rows } = decode(['PACKETS_V9_0.bin'], mode.options);
    assert.equal(rows.length, 0);
    assert.equal(dec.stats.pending.queued, 1);
  });

  it('IPFIX: template packet gives 1 options record and 19 flows', () => {
    const { dec, rows } = decode(['PACKET_IPFIX_TEMPLATE.bin'], mode.options);
    // Upstream counts 20 "flows" (1+2+2+9+1+2+1+2): the first is the options record
    // (meteringProcessId 2649, systemInitTimeMilliseconds 1585735165729).
    assert.equal(dec.stats.optionsRecords, 1);
    assert.equal(rows.length, 19);
    assert.equal(dec.stats.templates.received, 5);
    // Upstream's flows[1] and flows[17] are our rows 0 and 16.
    assert.equal(rows[0].dst_addr, '172.17.0.2');
    assert.equal(rows[0].protocol, 6);
    assert.equal(rows[0].src_port, 443);
    assert.equal(rows[0].dst_port, 57766);
    assert.equal(rows[0].tcp_flags, 27);
    assert.equal(rows[16].protocol, 17);
    assert.equal(rows[16].src_addr, 'fde6:6f14:e0f1:9609:0:affe:affe:affe');
    // flowStartSysUpTime counts from the options record's systemInitTimeMilliseconds.
    assert.ok(rows.every((r) => r.first_ms >= 1585735165729));
  });

  it('IPFIX: data before its template is held and decoded when the template comes (2+1+19+2+1)', () => {
    const { dec, rows } = decode(['PACKET_IPFIX.bin', 'PACKET_IPFIX_TEMPLATE.bin', 'PACKET_IPFIX.bin'], mode.options);
    // Upstream: 26 records over 3 exports, one of them the options record.
    assert.equal(rows.length + dec.stats.optionsRecords, 26);
    assert.equal(dec.stats.pending.decoded, 2);
    const ws = wireshark('ipfix-template-and-data');
    const m = matchFlows(rows, ws);
    assert.deepEqual(m.unmatched, []);
    // Wireshark's group holds the template packet then the data packet (19 + 3 flows); the copy
    // of the data packet sent before the template is ours alone.
    assert.equal(ws.length, 22);
    assert.equal(m.extra.length, 3);
  });
});
