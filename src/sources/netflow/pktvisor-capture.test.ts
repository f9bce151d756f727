// pktvisor's nf9.pcap: NetFlow v9 from two exporters. pktvisor's test asserts aggregates for
// exporter 192.168.100.1 (interface 800); they are recomputed here from our rows, and every
// record is compared with Wireshark's decode.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { testdata } from '../../../test/support/paths.js';
import { NetflowDecoder } from './decoder.js';
import { captureDatagrams, decodeAll, matchFlows, READER_MODES, readWireshark, wiresharkFlows } from './reference-decode.js';

const pcap = testdata('pktvisor', 'nf9.pcap');
const wireshark = testdata('pktvisor', 'expected', 'nf9.wireshark.json');

for (const mode of READER_MODES) describe(`pktvisor nf9.pcap (${mode.name})`, () => {
  const dec = new NetflowDecoder(mode.options);
  const rows = decodeAll(dec, captureDatagrams(pcap));

  it("matches pktvisor's aggregates for exporter 192.168.100.1, interface 800", () => {
    assert.equal(dec.stats.malformed.internal_error, 0);
    // The one options data record is exporter 192.168.100.10's sampler (interval 12).
    assert.equal(dec.stats.optionsRecords, 1);
    const device = rows.filter((r) => r.exporter === '192.168.100.1');
    assert.equal(device.length, 24); // records_flows
    const inbound = device.filter((r) => r.in_if === 800);
    assert.equal(new Set(inbound.map((r) => r.src_addr)).size, 24); // cardinality src_ips_in
    assert.equal(new Set(device.map((r) => r.dst_addr)).size, 24); // cardinality dst_ips_out
    // Port cardinalities are 0: every flow is protocol 253 with both ports 0.
    assert.ok(device.every((r) => r.src_port === 0 && r.dst_port === 0));
    // This exporter announces no sampling (its options template carries flow timeouts only),
    // so pktvisor's figures are the raw counters.
    assert.ok(device.every((r) => r.sampling_rate === 1));
    const bySrc = new Map<string, { bytes: number; packets: number }>();
    for (const r of inbound) {
      const s = bySrc.get(r.src_addr) ?? { bytes: 0, packets: 0 };
      s.bytes += r.bytes;
      s.packets += r.packets;
      bySrc.set(r.src_addr, s);
    }
    assert.equal(Math.max(...[...bySrc.values()].map((s) => s.bytes)), 6066232); // top_in_src_ips_bytes
    assert.equal(Math.max(...[...bySrc.values()].map((s) => s.packets)), 7858); // top_in_src_ips_packets
    // top_in_dscp_bytes CS0 and top_in_ecn_packets Not-ECT: every record's ToS is 0x00 in
    // Wireshark's decode, so they are the totals of the interface.
    const ws = readWireshark(wireshark).frames.flatMap((f) => f.records ?? []).filter((r) => r.inputint === '800');
    assert.ok(ws.length === 24 && ws.every((r) => r.tos === '0x00'));
    assert.equal(
      inbound.reduce((a, r) => a + r.bytes, 0),
      142139882,
    );
    assert.equal(
      inbound.reduce((a, r) => a + r.packets, 0),
      183920,
    );
  });

  it("matches every record of Wireshark's decode", () => {
    const m = matchFlows(rows, wiresharkFlows(readWireshark(wireshark)));
    assert.deepEqual(m.unmatched, []);
    assert.equal(m.extra.length, 0);
  });
});
