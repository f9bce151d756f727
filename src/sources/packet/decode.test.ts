import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { formatIp, formatMac } from '../../schema/ip.js';
import { testdata } from '../../../test/support/paths.js';
import { readCapture } from '../pcap/capture.js';
import { udpPayload } from '../pcap/udp.js';
import { DECODE_TUNNELS, decodeFrame, decodeTransport } from './decode.js';
import { concat, ethernet, ipv4, ipv6, mpls, udp, vxlan, withVlanTags } from './frame-builder.js';
import { PacketHeaders, TUNNEL_NONE, TUNNEL_VXLAN } from './headers.js';
import { LINKTYPE_ETHERNET, LINKTYPE_IPV4, LINKTYPE_IPV6 } from './link-types.js';

const h = new PacketHeaders();

// --- logstash-codec-sflow header fragments, against the facts its spec asserts ---------------

const facts = JSON.parse(fs.readFileSync(testdata('logstash-codec-sflow', 'expected', 'inventory_and_spec_facts.json'), 'utf8'));
const fragmentFacts: Array<{ file: string; assertions: Array<{ field: string; expected: string }> }> =
  facts.spec_facts['packet_header_spec.rb (sampled-header fragments)'];

function fact(file: string, field: string): string {
  const f = fragmentFacts.find((x) => x.file === file);
  const a = f?.assertions.find((x) => x.field === field);
  if (!a) throw new Error(`no fact ${field} for ${file}`);
  return a.expected;
}

function fragment(name: string): Uint8Array {
  return fs.readFileSync(testdata('logstash-codec-sflow', 'header_fragments', name));
}

function tcpFlagFacts(file: string, prefix: string): number {
  const bit = (name: string, v: number) => (fact(file, `${prefix}["tcp_is_${name}"]`) === '1' ? v : 0);
  return bit('fin', 1) | bit('syn', 2) | bit('reset', 4) | bit('push', 8) | bit('ack', 16) | bit('urgent', 32) | bit('ecn_echo', 64) | bit('cwr', 128);
}

describe('header fragments (logstash-codec-sflow spec facts)', () => {
  it('udp.dat: a bare UDP header', () => {
    const b = fragment('udp.dat');
    h.reset();
    decodeTransport(b, 0, b.length, 17, h);
    const f = 'header_fragments/udp.dat';
    assert.equal(h.srcPort, Number(fact(f, 'decoded["src_port"]')));
    assert.equal(h.dstPort, Number(fact(f, 'decoded["dst_port"]')));
    assert.equal(h.udpLength, Number(fact(f, 'decoded["udp_length"]')));
    assert.equal(h.truncated, false);
  });

  it('tcp.dat: a bare TCP header', () => {
    const b = fragment('tcp.dat');
    h.reset();
    decodeTransport(b, 0, b.length, 6, h);
    const f = 'header_fragments/tcp.dat';
    assert.equal(h.srcPort, Number(fact(f, 'decoded["src_port"]')));
    assert.equal(h.dstPort, Number(fact(f, 'decoded["dst_port"]')));
    assert.equal(h.payloadOffset - h.l4Offset, Number(fact(f, 'decoded["tcp_header_length"]*4 (header length in bytes)')));
    assert.equal(h.tcpFlags, tcpFlagFacts(f, 'decoded'));
  });

  it('ipv4_tcp_header.dat: IPv4 and TCP', () => {
    const b = fragment('ipv4_tcp_header.dat');
    const f = 'header_fragments/ipv4_tcp_header.dat';
    assert.equal(decodeFrame(b, 0, b.length, LINKTYPE_IPV4, h), true);
    assert.equal(h.ipVersion, Number(fact(f, 'decoded["ip_version"]')));
    assert.equal((h.l4Offset - h.l3Offset) / 4, Number(fact(f, 'decoded["ip_header_length"]')));
    assert.equal(h.tos >> 2, Number(fact(f, 'decoded["ip_dscp"]')));
    assert.equal(h.tos & 3, Number(fact(f, 'decoded["ip_ecn"]')));
    assert.equal(h.ipTotalLength, Number(fact(f, 'decoded["ip_total_length"]')));
    assert.equal(h.ipId, Number(fact(f, 'decoded["ip_identification"]')));
    // ip_flags 2 is the DF bit of the 3-bit flags field.
    assert.equal((h.dontFragment ? 2 : 0) | (h.moreFragments ? 1 : 0), Number(fact(f, 'decoded["ip_flags"]')));
    assert.equal(h.fragmentOffset, Number(fact(f, 'decoded["ip_fragment_offset"]')));
    assert.equal(h.ttl, Number(fact(f, 'decoded["ip_ttl"]')));
    assert.equal(h.protocol, Number(fact(f, 'decoded["ip_protocol"]')));
    assert.equal(formatIp(h.src, 0), fact(f, 'decoded["src_ip"]'));
    assert.equal(formatIp(h.dst, 0), fact(f, 'decoded["dst_ip"]'));
    assert.equal(h.srcPort, Number(fact(f, 'decoded["ip_data"]["src_port"]')));
    assert.equal(h.dstPort, Number(fact(f, 'decoded["ip_data"]["dst_port"]')));
    assert.equal(h.payloadOffset - h.l4Offset, Number(fact(f, 'decoded["ip_data"]["tcp_header_length"]*4 (header length in bytes)')));
    assert.equal(h.tcpFlags, tcpFlagFacts(f, 'decoded["ip_data"]'));
  });

  it('ethernet_ipv4_udp_header.dat: Ethernet, IPv4, UDP', () => {
    const b = fragment('ethernet_ipv4_udp_header.dat');
    const f = 'header_fragments/ethernet_ipv4_udp_header.dat';
    assert.equal(decodeFrame(b, 0, b.length, LINKTYPE_ETHERNET, h), true);
    assert.equal(formatMac(h.dstMac), fact(f, 'decoded["eth_dst"]'));
    assert.equal(formatMac(h.srcMac), fact(f, 'decoded["eth_src"]'));
    assert.equal(h.etherType, Number(fact(f, 'decoded["eth_type"]')));
    assert.equal(formatIp(h.dst, 0), fact(f, 'decoded["eth_data"]["ip_header"]["dst_ip"]'));
    assert.equal(h.dstPort, Number(fact(f, 'decoded["eth_data"]["ip_header"]["ip_data"]["dst_port"]')));
    assert.equal(h.protocol, 17);
    assert.equal(h.vlanTags, 0);
  });

  it('ethernet_vlan_ipv4_tcp_header.dat: an 802.1Q tag', () => {
    const b = fragment('ethernet_vlan_ipv4_tcp_header.dat');
    const f = 'header_fragments/ethernet_vlan_ipv4_tcp_header.dat';
    assert.equal(decodeFrame(b, 0, b.length, LINKTYPE_ETHERNET, h), true);
    assert.equal(formatMac(h.dstMac), fact(f, 'decoded["eth_dst"]'));
    assert.equal(formatMac(h.srcMac), fact(f, 'decoded["eth_src"]'));
    // eth_type is the frame's outer type (the 802.1Q TPID); etherType here is what the tag carries.
    assert.equal(Number(fact(f, 'decoded["eth_type"]')), 0x8100);
    assert.equal(h.vlanTags, 1);
    assert.equal(h.vlan, Number(fact(f, 'decoded["eth_data"]["vlan_id"]')));
    assert.equal(h.etherType, Number(fact(f, 'decoded["eth_data"]["vlan_type"]')));
    assert.equal(h.ipVersion, 4);
    assert.equal(h.protocol, 6);
  });
});

// --- sampled headers inside the akvorado sFlow captures --------------------------------------
// Offsets follow the datagram layout Wireshark reports (expected/wireshark/*.json): a 28-byte
// datagram header with an IPv4 agent, 8-byte sample headers, 32 bytes of compact flow-sample
// fields, 8-byte record headers, 24 bytes of extended switch record, 16 bytes of header-record
// fields before the sampled bytes.

function sflowPayload(file: string): Uint8Array {
  const [pkt] = readCapture(fs.readFileSync(testdata('akvorado', 'sflow', file)));
  return udpPayload(pkt)!.payload;
}

function sampledHeader(file: string, offset: number, length: number): Uint8Array {
  const d = sflowPayload(file);
  const declared = (d[offset - 4] << 24) | (d[offset - 3] << 16) | (d[offset - 2] << 8) | d[offset - 1];
  assert.equal(declared, length, `header length word before byte ${offset} of ${file}`);
  return d.slice(offset, offset + length);
}

const akvorado = JSON.parse(fs.readFileSync(testdata('akvorado', 'expected', 'akvorado_test_facts.json'), 'utf8'));
function akvoradoFlow(subtest: string, index: number) {
  return akvorado.tests.sflow.find((t: { subtest: string }) => t.subtest === subtest).expected_flows[index];
}

// data-1140 sample 1 (IPv6/TCP, 128 bytes) and sample 2 (IPv4/TCP after a 216-byte first sample).
const v6Frame = sampledHeader('data-1140.pcap', 28 + 8 + 32 + 24 + 8 + 16, 128);
const v4Frame = sampledHeader('data-1140.pcap', 28 + 8 + 208 + 8 + 32 + 24 + 8 + 16, 128);
const v6Flow = akvoradoFlow('basic', 0);
const v4Flow = akvoradoFlow('basic', 1);

function assertV4Flow(x: PacketHeaders) {
  assert.equal(formatIp(x.src, 0), v4Flow.SrcAddr);
  assert.equal(formatIp(x.dst, 0), v4Flow.DstAddr);
  assert.equal(x.protocol, v4Flow.Proto);
  assert.equal(x.srcPort, v4Flow.SrcPort);
  assert.equal(x.dstPort, v4Flow.DstPort);
  assert.equal(x.tcpFlags, v4Flow.TCPFlags);
  assert.equal(x.ipId, v4Flow.IPFragmentID);
  assert.equal(x.ttl, v4Flow.IPTTL);
  assert.equal(x.ipTotalLength, v4Flow.Bytes);
}

describe('sampled headers from real sFlow captures (akvorado expectations)', () => {
  it('Ethernet + IPv6 + TCP', () => {
    assert.equal(decodeFrame(v6Frame, 0, v6Frame.length, LINKTYPE_ETHERNET, h), true);
    assert.equal(h.srcMac, v6Flow.SrcMAC);
    assert.equal(h.dstMac, v6Flow.DstMAC);
    assert.equal(h.etherType, v6Flow.EType);
    assert.equal(formatIp(h.src, 0), v6Flow.SrcAddr);
    assert.equal(formatIp(h.dst, 0), v6Flow.DstAddr);
    assert.equal(h.protocol, v6Flow.Proto);
    assert.equal(h.srcPort, v6Flow.SrcPort);
    assert.equal(h.dstPort, v6Flow.DstPort);
    assert.equal(h.tcpFlags, v6Flow.TCPFlags);
    assert.equal(h.flowLabel, v6Flow.IPv6FlowLabel);
    assert.equal(h.ttl, v6Flow.IPTTL);
    assert.equal(h.tos, v6Flow.IPTos);
    assert.equal(h.ipTotalLength, v6Flow.Bytes);
    assert.equal(h.truncated, false);
  });

  it('Ethernet + IPv4 + TCP', () => {
    assert.equal(decodeFrame(v4Frame, 0, v4Frame.length, LINKTYPE_ETHERNET, h), true);
    assert.equal(h.srcMac, v4Flow.SrcMAC);
    assert.equal(h.dstMac, v4Flow.DstMAC);
    assert.equal(h.etherType, v4Flow.EType);
    assertV4Flow(h);
  });

  it('Ethernet + IPv4 + ICMP echo request: dst_port = type × 256 + code', () => {
    const frame = sampledHeader('data-icmpv4.pcap', 28 + 8 + 32 + 24 + 8 + 16, 98);
    const flow = akvoradoFlow('flow sample with ICMPv4', 0);
    assert.equal(decodeFrame(frame, 0, frame.length, LINKTYPE_ETHERNET, h), true);
    assert.equal(h.protocol, flow.Proto);
    assert.equal(h.srcPort, 0);
    assert.equal(h.dstPort, flow.ICMPv4Type * 256);
    assert.equal(h.ipId, flow.IPFragmentID);
    assert.equal(h.ipTotalLength, flow.Bytes);
    assert.equal(h.srcMac, flow.SrcMAC);
  });

  it('raw IPv4 header (sFlow header protocol 11)', () => {
    const frame = sampledHeader('data-sflow-raw-ipv4.pcap', 28 + 8 + 32 + 8 + 16, 32);
    const flow = akvoradoFlow('flow sample with IPv4 raw packet', 0);
    assert.equal(decodeFrame(frame, 0, frame.length, LINKTYPE_IPV4, h), true);
    assert.equal(formatIp(h.src, 0), flow.SrcAddr);
    assert.equal(formatIp(h.dst, 0), flow.DstAddr);
    assert.equal(h.ipId, flow.IPFragmentID);
    assert.equal(h.ttl, flow.IPTTL);
    assert.equal(h.tos, flow.IPTos);
    assert.equal(h.ipTotalLength, flow.Bytes);
    assert.equal(h.srcMac, 0);
  });

  it('decodes every prefix of a frame without throwing, keeping what was reached', () => {
    for (let cut = 0; cut <= v4Frame.length; cut++) {
      const isIp = decodeFrame(v4Frame, 0, cut, LINKTYPE_ETHERNET, h);
      assert.equal(h.srcMac, cut >= 14 ? v4Flow.SrcMAC : 0);
      assert.equal(isIp, cut >= 14 + 20, `cut ${cut}`);
      if (cut >= 34) assert.equal(formatIp(h.dst, 0), v4Flow.DstAddr);
      if (cut >= 34 + 4) assert.equal(h.dstPort, v4Flow.DstPort);
      if (cut >= 34 + 14) assert.equal(h.tcpFlags, v4Flow.TCPFlags);
      assert.equal(h.truncated, cut < 14 + 20 + 20, `cut ${cut}`);
    }
  });
});

// --- encapsulations built around the real frames ---------------------------------------------

describe('encapsulations', () => {
  it('QinQ: 802.1ad service tag over an 802.1Q customer tag', () => {
    const frame = withVlanTags(v4Frame, [
      { tpid: 0x88a8, vid: 300 },
      { tpid: 0x8100, vid: 42 },
    ]);
    assert.equal(decodeFrame(frame, 0, frame.length, LINKTYPE_ETHERNET, h), true);
    assert.equal(h.vlanTags, 2);
    assert.equal(h.vlan, 300);
    assert.equal(h.innerVlan, 42);
    assert.equal(h.etherType, 0x0800);
    assert.equal(h.srcMac, v4Flow.SrcMAC);
    assertV4Flow(h);
  });

  it('old-style QinQ TPID 0x9100 and a bound on stacked tags', () => {
    const two = withVlanTags(v6Frame, [
      { tpid: 0x9100, vid: 7 },
      { tpid: 0x8100, vid: 100 },
    ]);
    assert.equal(decodeFrame(two, 0, two.length, LINKTYPE_ETHERNET, h), true);
    assert.equal(h.vlan, 7);
    assert.equal(h.innerVlan, 100);
    assert.equal(h.srcPort, v6Flow.SrcPort);
    const many = withVlanTags(v6Frame, Array.from({ length: 20 }, (_, i) => ({ tpid: 0x8100, vid: i + 1 })));
    assert.equal(decodeFrame(many, 0, many.length, LINKTYPE_ETHERNET, h), false);
    assert.equal(h.malformed, true);
  });

  const outer = (inner: Uint8Array, vni = 5001) =>
    ethernet('02:00:00:00:00:02', '02:00:00:00:00:01', 0x0800, ipv4({ src: '192.0.2.1', dst: '192.0.2.2', protocol: 17, payload: udp(49152, 4789, vxlan(vni, inner)) }), [
      { tpid: 0x8100, vid: 10 },
    ]);

  it('VXLAN: reports the inner frame and keeps the carrier', () => {
    const frame = outer(v4Frame);
    assert.equal(decodeFrame(frame, 0, frame.length, LINKTYPE_ETHERNET, h), true);
    assert.equal(h.tunnel, TUNNEL_VXLAN);
    assert.equal(h.vni, 5001);
    assertV4Flow(h);
    assert.equal(h.srcMac, v4Flow.SrcMAC);
    assert.equal(h.vlan, 0);
    assert.equal(formatIp(h.outer.src, 0), '192.0.2.1');
    assert.equal(formatIp(h.outer.dst, 0), '192.0.2.2');
    assert.equal(h.outer.dstPort, 4789);
    assert.equal(h.outer.vlan, 10);
    assert.equal(formatMac(h.outer.srcMac), '02:00:00:00:00:01');
  });

  it('VXLAN is left closed without DECODE_TUNNELS', () => {
    const frame = outer(v4Frame);
    assert.equal(decodeFrame(frame, 0, frame.length, LINKTYPE_ETHERNET, h, 0), true);
    assert.equal(h.tunnel, TUNNEL_NONE);
    assert.equal(formatIp(h.src, 0), '192.0.2.1');
    assert.equal(h.dstPort, 4789);
    assert.notEqual(DECODE_TUNNELS, 0);
  });

  it('VXLAN whose inner frame is cut before its IP header keeps the carrier addresses', () => {
    const frame = outer(v4Frame.subarray(0, 20));
    assert.equal(decodeFrame(frame, 0, frame.length, LINKTYPE_ETHERNET, h), true);
    assert.equal(h.tunnel, TUNNEL_VXLAN);
    assert.equal(h.truncated, true);
    assert.equal(formatIp(h.src, 0), '192.0.2.1');
    assert.equal(h.dstPort, 4789);
  });

  it('VXLAN inside VXLAN is opened once', () => {
    const frame = outer(outer(v4Frame, 7), 9);
    assert.equal(decodeFrame(frame, 0, frame.length, LINKTYPE_ETHERNET, h), true);
    assert.equal(h.vni, 9);
    assert.equal(formatIp(h.src, 0), '192.0.2.1');
    assert.equal(h.dstPort, 4789);
    assert.equal(h.outer.dstPort, 4789);
  });

  it('MPLS label stack over IPv4', () => {
    const ipPacket = v4Frame.subarray(14);
    const frame = ethernet('02:00:00:00:00:02', '02:00:00:00:00:01', 0x8847, mpls([16001, 24005], ipPacket));
    assert.equal(decodeFrame(frame, 0, frame.length, LINKTYPE_ETHERNET, h), true);
    assert.equal(h.mplsLabels, 2);
    assert.equal(h.mplsTopLabel, 16001);
    assertV4Flow(h);
  });

  it('IPv6 extension headers: hop-by-hop, routing, destination options, AH', () => {
    const tcp = v6Frame.subarray(14 + 40);
    const packet = ipv6({
      src: v6Flow.SrcAddr,
      dst: v6Flow.DstAddr,
      protocol: 6,
      payload: tcp,
      flowLabel: v6Flow.IPv6FlowLabel,
      extensions: [
        { type: 0, body: new Uint8Array(6) },
        { type: 43, body: new Uint8Array(22) },
        { type: 60, body: new Uint8Array(14) },
        { type: 51, body: new Uint8Array(22) },
      ],
    });
    assert.equal(decodeFrame(packet, 0, packet.length, LINKTYPE_IPV6, h), true);
    assert.equal(h.protocol, 6);
    assert.equal(h.srcPort, v6Flow.SrcPort);
    assert.equal(h.dstPort, v6Flow.DstPort);
    assert.equal(h.tcpFlags, v6Flow.TCPFlags);
    assert.equal(h.flowLabel, v6Flow.IPv6FlowLabel);
    assert.equal(h.ipTotalLength, packet.length);
    assert.equal(h.l4Offset, packet.length - tcp.length);
  });

  it('IPv6 fragment header: first fragment keeps ports, later ones do not', () => {
    const tcp = v6Frame.subarray(14 + 40);
    const first = ipv6({ src: '2001:db8::1', dst: '2001:db8::2', protocol: 6, payload: tcp, extensions: [{ type: 44, body: Uint8Array.of(0, 1, 0xde, 0xad, 0xbe, 0xef) }] });
    assert.equal(decodeFrame(first, 0, first.length, LINKTYPE_IPV6, h), true);
    assert.equal(h.moreFragments, true);
    assert.equal(h.ipId, 0xdeadbeef);
    assert.equal(h.srcPort, v6Flow.SrcPort);
    const later = ipv6({ src: '2001:db8::1', dst: '2001:db8::2', protocol: 6, payload: tcp, extensions: [{ type: 44, body: Uint8Array.of(0x05, 0xa8, 0, 0, 0, 1) }] });
    assert.equal(decodeFrame(later, 0, later.length, LINKTYPE_IPV6, h), true);
    assert.equal(h.fragmentOffset, 0x05a8);
    assert.equal(h.isFragment, true);
    assert.equal(h.protocol, 6);
    assert.equal(h.srcPort, 0);
    assert.equal(h.l4Offset, -1);
  });

  it('an endless IPv6 extension chain stops at the bound', () => {
    const packet = ipv6({ src: '2001:db8::1', dst: '2001:db8::2', protocol: 6, payload: new Uint8Array(20), extensions: Array.from({ length: 40 }, () => ({ type: 60, body: new Uint8Array(6) })) });
    assert.equal(decodeFrame(packet, 0, packet.length, LINKTYPE_IPV6, h), true);
    assert.equal(h.malformed, true);
    assert.equal(h.srcPort, 0);
  });

  it('ICMPv6 type and code', () => {
    const packet = ipv6({ src: '2001:db8::1', dst: '2001:db8::2', protocol: 58, payload: Uint8Array.of(1, 4, 0, 0, 0, 0, 0, 0) });
    assert.equal(decodeFrame(packet, 0, packet.length, LINKTYPE_IPV6, h), true);
    assert.equal(h.protocol, 58);
    assert.equal(h.dstPort, 1 * 256 + 4);
    assert.equal(h.srcPort, 0);
  });

  it('GRE and unknown protocols are kept by number, IPv4 options are skipped', () => {
    const gre = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 47, payload: Uint8Array.of(0, 0, 0x08, 0, 1, 2, 3, 4), options: Uint8Array.of(0x94, 4, 0, 0) });
    assert.equal(decodeFrame(gre, 0, gre.length, LINKTYPE_IPV4, h), true);
    assert.equal(h.protocol, 47);
    assert.equal(h.l4Offset, 24);
    assert.equal(h.srcPort, 0);
    assert.equal(h.dstPort, 0);
    const opts = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 17, payload: udp(53, 33000, new Uint8Array(4)), options: Uint8Array.of(0x94, 4, 0, 0, 1, 1, 1, 0) });
    assert.equal(decodeFrame(opts, 0, opts.length, LINKTYPE_IPV4, h), true);
    assert.equal(h.srcPort, 53);
    assert.equal(h.dstPort, 33000);
  });

  it('IPv4 non-first fragments carry no ports; an IHL below 5 is malformed', () => {
    const frag = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 17, payload: udp(53, 33000, new Uint8Array(4)), fragmentOffset: 1480 });
    assert.equal(decodeFrame(frag, 0, frag.length, LINKTYPE_IPV4, h), true);
    assert.equal(h.fragmentOffset, 1480);
    assert.equal(h.srcPort, 0);
    const bad = concat(Uint8Array.of(0x44), frag.subarray(1));
    assert.equal(decodeFrame(bad, 0, bad.length, LINKTYPE_IPV4, h), false);
    assert.equal(h.malformed, true);
  });

  it('an unknown link type is reported, not guessed', () => {
    assert.equal(decodeFrame(v4Frame, 0, v4Frame.length, 9999, h), false);
    assert.equal(h.unsupportedLink, true);
  });
});
