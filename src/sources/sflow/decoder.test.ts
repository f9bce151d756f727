import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { MetricsRegistry } from '../../metrics/registry.js';
import type { FlowRecord } from '../../schema/batch.js';
import { formatMac, parseIp } from '../../schema/ip.js';
import { testdata } from '../../../test/support/paths.js';
import { ethernet, ipv4, udp, vxlan } from '../packet/frame-builder.js';
import { readCapture } from '../pcap/capture.js';
import { udpPayload } from '../pcap/udp.js';
import { BatchList } from '../source.js';
import * as W from './datagram-writer.js';
import { SflowDecoder, type SflowDecoderOptions } from './decoder.js';
import { CounterList } from './interface-counters.js';

interface Decoded {
  flows: FlowRecord[];
  counters: CounterList;
  decoder: SflowDecoder;
}

const NO_EXPORTER = new Uint32Array(4);

function decodePayloads(payloads: Array<{ data: Uint8Array; exporter?: Uint32Array; tsMs?: number }>, opts: SflowDecoderOptions = {}): Decoded {
  const counters = new CounterList();
  const decoder = new SflowDecoder({ counters, ...opts });
  const sink = new BatchList();
  for (const p of payloads) decoder.decode(p.data, p.exporter ?? NO_EXPORTER, p.tsMs ?? 1_700_000_000_123, sink);
  return { flows: sink.records(), counters, decoder };
}

function capturePayloads(file: string) {
  return [...readCapture(fs.readFileSync(file))].map((p) => {
    const u = udpPayload(p)!;
    return { data: u.payload, exporter: u.src, tsMs: p.tsMs };
  });
}

function decodeCapture(file: string, opts: SflowDecoderOptions = {}): Decoded {
  return decodePayloads(capturePayloads(file), opts);
}

function assertClean(d: SflowDecoder) {
  assert.equal(d.stats.malformedTotal, 0, JSON.stringify(d.stats.malformed));
}

// --- akvorado's expected flows ----------------------------------------------------------------

const akvorado = JSON.parse(fs.readFileSync(testdata('akvorado', 'expected', 'akvorado_test_facts.json'), 'utf8'));

describe('akvorado sFlow captures: the flows akvorado expects', () => {
  for (const t of akvorado.tests.sflow) {
    it(`${t.test}/${t.subtest}`, () => {
      const payloads = t.pcaps_fed_in_order.flatMap((p: { local: string }) => capturePayloads(testdata('akvorado', p.local)));
      const { flows, decoder } = decodePayloads(payloads);
      assertClean(decoder);
      assert.equal(flows.length, t.expected_flows.length);
      t.expected_flows.forEach((e: Record<string, number & string>, i: number) => {
        const f = flows[i];
        const rate = e.SamplingRate;
        assert.equal(f.sampling_rate, rate);
        assert.equal(f.packets, e.Packets * rate);
        // akvorado's Bytes is the IP length per sampled packet; rows multiply it out. Wireshark
        // shows frame_length instead (1518 where akvorado says 1500): both are right, they measure
        // different layers; rows count IP bytes like NetFlow and the clouds (see decoder.ts).
        // In data-sflow-raw-ipv4 the agent even reports frame_length 50 for a 32-byte IP packet
        // whose sampled header starts at IP: only the IP length is trustworthy there.
        assert.equal(f.bytes, e.Bytes * rate);
        assert.equal(f.exporter, e.ExporterAddress);
        assert.equal(f.src_addr, e.SrcAddr);
        assert.equal(f.dst_addr, e.DstAddr);
        assert.equal(f.protocol, e.Proto);
        assert.equal(f.src_port, e.SrcPort ?? 0);
        // ICMP type and code go into dst_port as type × 256 + code.
        assert.equal(f.dst_port, e.DstPort ?? (e.ICMPv4Type ?? 0) * 256 + (e.ICMPv4Code ?? 0));
        assert.equal(f.tcp_flags, e.TCPFlags ?? 0);
        // Wireshark prints the raw interface words (0x40000001, 0x80000002, 1073741823) where
        // akvorado says 0 ("discard", "multiple", "local"). akvorado is right: sFlow's top two bits
        // are a format (1 discard reason, 2 port count) and 0x3fffffff means the device itself, so
        // none of them is an ifIndex.
        assert.equal(f.in_if, e.InIf ?? 0);
        assert.equal(f.out_if, e.OutIf ?? 0);
        const ifIndex = (e.InIf ?? 0) || (e.OutIf ?? 0);
        assert.equal(f.interface_id, ifIndex ? `${e.ExporterAddress}/${ifIndex}` : '');
        // One VLAN column: the ingress VLAN, else the egress one.
        assert.equal(f.vlan, e.SrcVlan || e.DstVlan || 0);
        assert.equal(f.src_mac, e.SrcMAC ? formatMac(e.SrcMAC) : null);
        assert.equal(f.dst_mac, e.DstMAC ? formatMac(e.DstMAC) : null);
        assert.equal(f.src_asn, e.SrcAS ?? 0);
        assert.equal(f.dst_asn, e.DstAS ?? 0);
        // ForwardingStatus 131 (discard, ICMP host unreachable) is a routing drop, not a rule: ACCEPT.
        assert.equal(f.action, 'ACCEPT');
        assert.equal(f.version, 5);
        assert.equal(f.direction, 'ingress');
        assert.equal(f.log_status, 'OK');
      });
    });
  }

  it('stamps rows with the receive time', () => {
    const [p] = capturePayloads(testdata('akvorado', 'sflow', 'data-icmpv4.pcap'));
    const { flows } = decodePayloads([{ ...p, tsMs: 1_685_865_469_448.808 }]);
    assert.equal(flows[0].first_ms, 1_685_865_469_448.808);
    assert.equal(flows[0].last_ms, 1_685_865_469_448.808);
    assert.equal(flows[0].start, 1_685_865_469);
    assert.equal(flows[0].end, 1_685_865_469);
  });
});

// --- Wireshark's decode of every sample ---------------------------------------------------------

interface WsRecord {
  record: string;
  [k: string]: unknown;
}
interface WsSample {
  kind: string;
  records?: WsRecord[];
  [k: string]: unknown;
}
interface WsFrame {
  header: { agent: string; numsamples: string };
  samples: WsSample[];
}

function interfaceOf(word: number): number {
  const format = word >>> 30;
  const value = word & 0x3fffffff;
  return format === 0 && value !== 0x3fffffff ? value : 0;
}

/** Compares rows and counter rows with Wireshark's decode of the same datagrams. */
function checkAgainstWireshark(frames: WsFrame[], d: Decoded, frameBytes: Decoded) {
  let row = 0;
  let counterRow = 0;
  const counters = d.counters.records();
  for (const fr of frames) {
    for (const s of fr.samples) {
      if (s.kind === 'Counters sample' || s.kind === 'Expanded counters sample') {
        for (const r of s.records ?? []) {
          if (r.record !== 'Generic interface counters') continue;
          const c = counters[counterRow++];
          assert.equal(c.agent, fr.header.agent);
          const expect: Array<[keyof typeof c, string]> = [
            ['if_index', 'ifindex'],
            ['if_type', 'iftype'],
            ['if_speed', 'ifspeed'],
            ['if_direction', 'ifdirection'],
            ['if_admin_up', 'ifadmin_status'],
            ['if_oper_up', 'ifoper_status'],
            ['in_octets', 'ifinoct'],
            ['in_ucast_pkts', 'ifinpkt'],
            ['in_multicast_pkts', 'ifinmcast'],
            ['in_broadcast_pkts', 'ifinbcast'],
            ['in_discards', 'ifindisc'],
            ['in_errors', 'ifinerr'],
            ['in_unknown_protos', 'ifinunk'],
            ['out_octets', 'ifoutoct'],
            ['out_ucast_pkts', 'ifoutpkt'],
            ['out_multicast_pkts', 'ifoutmcast'],
            ['out_broadcast_pkts', 'ifoutbcast'],
            ['out_discards', 'ifoutdisc'],
            ['out_errors', 'ifouterr'],
            ['promiscuous', 'ifpromisc'],
          ];
          for (const [ours, theirs] of expect) assert.equal(c[ours], Number(r[theirs]), `${ours} of ifIndex ${r.ifindex}`);
          assert.equal(c.source_id_index, Number(s['counters_sample.source_id_index']));
          assert.equal(c.sequence, Number(s['counters_sample.sequence_number']));
        }
        continue;
      }
      const f = d.flows[row];
      const fb = frameBytes.flows[row];
      row++;
      assert.equal(f.exporter, fr.header.agent);
      const rate = Number(s['flow_sample.sampling_rate']);
      assert.equal(f.sampling_rate, rate);
      if (s.kind === 'Flow sample') {
        assert.equal(f.in_if, interfaceOf(Number(s['flow_sample.input_interface'])));
        assert.equal(f.out_if, interfaceOf(Number(s['flow_sample.output_interface'])));
      } else {
        assert.equal(f.in_if, s['flow_sample.input_interface_format'] === '0' ? Number(s['flow_sample.input_interface_value']) : 0);
        assert.equal(f.out_if, s['flow_sample.output_interface.format'] === '0' ? Number(s['flow_sample.output_interface_value']) : 0);
      }
      const recs = s.records ?? [];
      const header = recs.find((r) => r.record === 'Raw packet header');
      const sw = recs.find((r) => r.record === 'Extended switch data');
      const eth = recs.find((r) => r.record === 'Ethernet frame data');
      const gw = recs.find((r) => r.record === 'Extended gateway data');
      if (header) {
        const sm = header.sampled as Record<string, string | null | string[]>;
        assert.equal(f.src_addr, sm.ip_src);
        assert.equal(f.dst_addr, sm.ip_dst);
        assert.equal(f.protocol, Number(sm.ip_proto));
        if (sm.src_port !== null) assert.equal(f.src_port, Number(sm.src_port));
        if (sm.dst_port !== null) assert.equal(f.dst_port, Number(sm.dst_port));
        assert.equal(f.tcp_flags, sm.tcp_flags === null ? 0 : Number(sm.tcp_flags));
        // Wireshark's ip_len is the IPv6 payload length; the packet is 40 bytes more.
        const ipLen = Number(sm.ip_len) + ((sm.layers_present as string[]).includes('ipv6') ? 40 : 0);
        assert.equal(f.bytes, ipLen * rate);
        assert.equal(fb.bytes, Number(header['header.frame_length']) * rate);
        if (sm.eth_src !== null) {
          assert.equal(f.src_mac, sm.eth_src);
          assert.equal(f.dst_mac, sm.eth_dst);
        } else if (eth) {
          // Header without L2 (sFlow header protocol 11): the MACs come from the Ethernet record.
          // Wireshark shows the agent's all-zero source MAC as 00:00:00:00:00:00; no station has
          // that address, so the row leaves it unknown (null) rather than claim it.
          const src = eth['ethernet.source_mac_address'] as string;
          assert.equal(f.src_mac, src === '00:00:00:00:00:00' ? null : src);
          assert.equal(f.dst_mac, eth['ethernet.destination_mac_address']);
        }
      }
      if (sw) {
        const vin = Number(sw['vlan.in']);
        const vout = Number(sw['vlan.out']);
        assert.equal(f.vlan, vin > 0 && vin < 4096 ? vin : vout > 0 && vout < 4096 ? vout : 0);
      }
      if (gw) {
        const own = Number(gw.as);
        assert.equal(f.src_asn, Number(gw.srcAS) || own);
        if (gw.dstASentries === '0') assert.equal(f.dst_asn, own);
      }
    }
  }
  assert.equal(row, d.flows.length);
  assert.equal(counterRow, d.counters.length);
}

describe('sFlow datagrams against Wireshark', () => {
  const dir = testdata('akvorado', 'expected', 'wireshark');
  for (const file of fs.readdirSync(dir).filter((f) => f.startsWith('sflow-'))) {
    it(`akvorado ${file}`, () => {
      const ws = JSON.parse(fs.readFileSync(`${dir}/${file}`, 'utf8'));
      const payloads = ws.pcaps_in_feed_order.flatMap((p: string) => capturePayloads(testdata('akvorado', p)));
      const d = decodePayloads(payloads);
      assertClean(d.decoder);
      checkAgainstWireshark(ws.frames, d, decodePayloads(payloads, { byteCount: 'frame' }));
    });
  }

  for (const name of ['sflow_flow_sample', 'sflow_counters_sample', 'sflow_1_counters_sample']) {
    it(`logstash-codec-sflow ${name}`, () => {
      const ws = JSON.parse(fs.readFileSync(testdata('logstash-codec-sflow', 'expected', `${name}.wireshark.json`), 'utf8'));
      const data = fs.readFileSync(testdata('logstash-codec-sflow', 'datagrams', `${name}.dat`));
      const d = decodePayloads([{ data }]);
      assertClean(d.decoder);
      const samples = ws.frames[0].samples as WsSample[];
      assert.equal(d.decoder.stats.flowSamples, samples.filter((s) => s.kind === 'Flow sample').length);
      assert.equal(d.decoder.stats.counterSamples, samples.filter((s) => s.kind === 'Counters sample').length);
      checkAgainstWireshark(ws.frames, d, decodePayloads([{ data }], { byteCount: 'frame' }));
      if (name === 'sflow_counters_sample') {
        // Processor and other non-interface counter records are passed over by their length.
        assert.equal(d.counters.length, 9);
        assert.equal(d.decoder.stats.skippedRecords, 3);
      }
    });
  }
});

describe('overflowd capture: 1000 datagrams from an HP ProCurve', () => {
  const file = testdata('overflowd', 'sflow.pcap');
  const expected = fs
    .readFileSync(testdata('overflowd', 'expected', 'sflow.flow_samples.wireshark.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const summary = JSON.parse(fs.readFileSync(testdata('overflowd', 'expected', 'sflow.summary.wireshark.json'), 'utf8'));
  const d = decodeCapture(file);
  const frame = decodeCapture(file, { byteCount: 'frame' });

  it('counts datagrams and samples as Wireshark does', () => {
    assertClean(d.decoder);
    assert.equal(d.decoder.stats.datagrams, summary.datagrams);
    assert.equal(d.decoder.stats.flowSamples, summary.samples_by_kind['Flow sample']);
    assert.equal(d.decoder.stats.counterSamples, summary.samples_by_kind['Counters sample']);
    assert.equal(d.flows.length, expected.length);
    assert.ok(d.counters.length > 0 && d.counters.length <= summary.samples_by_kind['Counters sample']);
  });

  it('matches every flow sample field by field', () => {
    expected.forEach((e, i) => {
      const f = d.flows[i];
      const where = `sample ${e.sample_seq} of datagram ${e.datagram_seq}`;
      assert.equal(f.exporter, e.agent, where);
      assert.equal(f.src_addr, e.ip_src, where);
      assert.equal(f.dst_addr, e.ip_dst, where);
      assert.equal(f.src_port, e.src_port, where);
      assert.equal(f.dst_port, e.dst_port, where);
      assert.equal(f.protocol, e.ip_proto, where);
      assert.equal(f.tcp_flags, Number(e.tcp_flags), where);
      assert.equal(f.sampling_rate, e.sampling_rate, where);
      assert.equal(f.packets, e.sampling_rate, where);
      assert.equal(f.bytes, e.ip_len * e.sampling_rate, where);
      assert.equal(frame.flows[i].bytes, e.frame_length * e.sampling_rate, where);
      assert.equal(f.in_if, e.input_if, where);
      assert.equal(f.out_if, e.output_if, where);
      assert.equal(f.interface_id, `${e.agent}/${e.input_if}`, where);
      assert.equal(f.vlan, e.vlan_in, where);
    });
  });

  it('sums sampled traffic per source as Wireshark counts it', () => {
    for (const [ip, n] of summary.top_sampled_src_ips as Array<[string, number]>) {
      assert.equal(d.flows.filter((f) => f.src_addr === ip).length, n);
    }
  });

  it('keeps interface counters as their own rows', () => {
    const rows = d.counters.records();
    for (const c of rows) {
      assert.equal(c.agent, '192.168.1.1');
      assert.ok(c.if_index > 0);
      assert.ok(c.in_octets >= 0 && Number.isInteger(c.in_octets));
    }
    // Octet counters only grow between samples of one interface.
    const byIf = new Map<number, number>();
    for (const c of rows) {
      const prev = byIf.get(c.if_index);
      if (prev !== undefined) assert.ok(c.in_octets >= prev, `ifIndex ${c.if_index}`);
      byIf.set(c.if_index, c.in_octets);
    }
  });
});

// --- datagrams built here for what the captures do not hold ----------------------------------

describe('built datagrams', () => {
  const inner = ethernet('02:00:00:00:00:0b', '02:00:00:00:00:0a', 0x0800, ipv4({ src: '10.1.0.5', dst: '10.1.0.6', protocol: 17, payload: udp(5353, 53, new Uint8Array(92)) }));
  const frame = ethernet('02:00:00:00:00:02', '02:00:00:00:00:01', 0x0800, ipv4({ src: '192.0.2.1', dst: '192.0.2.2', protocol: 17, payload: udp(49152, 4789, vxlan(77, inner)) }), [{ tpid: 0x8100, vid: 30 }]);

  it('VXLAN: the row names the inner endpoints, the VLAN of the sampled port, the inner IP length', () => {
    const dg = W.datagram({
      agent: '2001:db8::7',
      samples: [W.flowSample({ samplingRate: 100, input: 3, output: 4, records: [W.sampledHeader(1, frame.length + 4, 4, frame.subarray(0, 128))] })],
    });
    const { flows, decoder } = decodePayloads([{ data: dg }]);
    assertClean(decoder);
    assert.equal(flows.length, 1);
    const f = flows[0];
    assert.equal(f.exporter, '2001:db8::7');
    assert.equal(f.interface_id, '2001:db8::7/3');
    assert.equal(f.src_addr, '10.1.0.5');
    assert.equal(f.dst_addr, '10.1.0.6');
    assert.equal(f.dst_port, 53);
    assert.equal(f.src_mac, '02:00:00:00:00:0a');
    assert.equal(f.vlan, 30);
    assert.equal(f.bytes, (20 + 8 + 92) * 100);
  });

  it('expanded samples, unknown agent address, policy discards and sampled IPv4 records', () => {
    const dg = W.datagram({
      agent: '',
      samples: [
        W.flowSample({
          expanded: true,
          samplingRate: 10,
          input: 5,
          output: (1 << 30) | 258, // discarded by an ACL
          records: [W.sampledIpv4({ length: 60, protocol: 6, src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1234, dstPort: 22, tcpFlags: 2 })],
        }),
        W.countersSample({ expanded: true, sourceIdIndex: 5, records: [W.genericInterfaceCounters({ ifIndex: 5, ifType: 6, ifSpeed: 10e9, ifDirection: 1, ifStatus: 3, inOctets: 2 ** 40 + 7, inUcastPkts: 1, inMulticastPkts: 2, inBroadcastPkts: 3, inDiscards: 4, inErrors: 5, inUnknownProtos: 6, outOctets: 8, outUcastPkts: 9, outMulticastPkts: 10, outBroadcastPkts: 11, outDiscards: 12, outErrors: 13, promiscuous: 2 })] }),
      ],
    });
    const d = decodePayloads([{ data: dg, exporter: parseIp('198.51.100.9')! }]);
    assertClean(d.decoder);
    const f = d.flows[0];
    assert.equal(f.exporter, '198.51.100.9');
    assert.equal(f.in_if, 5);
    assert.equal(f.out_if, 0);
    assert.equal(f.action, 'REJECT');
    assert.equal(f.bytes, 600);
    assert.equal(f.tcp_flags, 2);
    assert.equal(f.dst_port, 22);
    const [c] = d.counters.records();
    assert.equal(c.agent, '198.51.100.9');
    assert.equal(c.if_speed, 10e9);
    assert.equal(c.in_octets, 2 ** 40 + 7);
    assert.equal(c.if_admin_up, 1);
    assert.equal(c.if_oper_up, 1);
    assert.equal(c.out_errors, 13);
  });

  it('a lying AS-path count drops its sample and keeps the others', () => {
    const good = W.flowSample({ samplingRate: 1, input: 1, output: 2, records: [W.sampledHeader(1, inner.length + 4, 4, inner)] });
    const lying = W.flowSample({
      samplingRate: 1,
      input: 1,
      output: 2,
      records: [W.sampledHeader(1, inner.length + 4, 4, inner), W.extendedGateway({ nextHop: '10.0.0.1', as: 65000, srcAs: 0, srcPeerAs: 0, path: [[1, 2]], segmentCount: 0x7fffffff })],
    });
    const { flows, decoder } = decodePayloads([{ data: W.datagram({ agent: '10.9.9.9', samples: [good, lying, good] }) }]);
    assert.equal(flows.length, 2);
    assert.equal(decoder.stats.malformed.record_truncated, 1);
  });

  it('a zero sampling rate is counted and read as 1', () => {
    const dg = W.datagram({ agent: '10.9.9.9', samples: [W.flowSample({ samplingRate: 0, input: 1, output: 2, records: [W.sampledHeader(1, inner.length + 4, 4, inner)] })] });
    const { flows, decoder } = decodePayloads([{ data: dg }]);
    assert.equal(flows[0].sampling_rate, 1);
    assert.equal(flows[0].packets, 1);
    assert.equal(decoder.stats.malformed.zero_sampling_rate, 1);
  });
});

describe('malformed datagrams', () => {
  const real = capturePayloads(testdata('akvorado', 'sflow', 'data-1140.pcap'))[0].data;

  it('are counted by reason', () => {
    const cases: Array<[string, Uint8Array]> = [
      ['short_datagram', real.subarray(0, 6)],
      ['short_datagram', real.subarray(0, 20)],
      ['bad_version', Uint8Array.from(real).fill(4, 3, 4)],
      ['bad_agent_address', Uint8Array.from(real).fill(9, 7, 8)],
    ];
    for (const [reason, data] of cases) {
      const { flows, decoder } = decodePayloads([{ data }]);
      assert.equal(flows.length, 0);
      assert.equal(decoder.stats.malformed[reason as keyof typeof decoder.stats.malformed], 1, reason);
    }
  });

  it('keep the samples before a cut, at every cut', () => {
    // data-1140 sample ends, from Wireshark's sample lengths (208, 272, 208, 244, 208).
    const ends = [208, 272, 208, 244, 208].reduce<number[]>((acc, n) => [...acc, (acc.at(-1) ?? 28) + 8 + n], []);
    assert.equal(ends.at(-1), real.length);
    for (let cut = 0; cut < real.length; cut++) {
      const { flows, decoder } = decodePayloads([{ data: real.subarray(0, cut) }]);
      assert.equal(flows.length, ends.filter((e) => e <= cut).length, `cut ${cut}`);
      assert.equal(decoder.stats.malformedTotal, 1, `cut ${cut}`);
    }
  });

  it('an overrunning record length drops only its sample', () => {
    const data = Uint8Array.from(real);
    // First record (extended switch) of the second sample: its length word.
    const at = 28 + 8 + 208 + 8 + 32 + 4;
    data.set([0, 0, 0x40, 0], at);
    const { flows, decoder } = decodePayloads([{ data }]);
    assert.equal(flows.length, 4);
    assert.equal(decoder.stats.malformed.record_overrun, 1);
  });

  it('are published as metrics', () => {
    const metrics = new MetricsRegistry();
    const d = new SflowDecoder({ metrics });
    const sink = new BatchList();
    d.decode(real, NO_EXPORTER, 1, sink);
    d.decode(real.subarray(0, 6), NO_EXPORTER, 1, sink);
    const text = metrics.render();
    assert.match(text, /flowlogs_sflow_flows_total 5/);
    assert.match(text, /flowlogs_sflow_datagrams_total 2/);
    assert.match(text, /flowlogs_sflow_malformed_total\{reason="short_datagram"\} 1/);
  });
});
