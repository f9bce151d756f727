import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { formatIp } from '../../schema/ip.js';
import { testdata } from '../../../test/support/paths.js';
import { concat, ipv4, ipv6, udp, withVlanTags } from '../packet/frame-builder.js';
import { readCapture, type CapturedPacket } from './capture.js';
import { UdpExtractStats, udpPayload } from './udp.js';

interface WiresharkFrame {
  frame: number;
  exporter_ip: string;
  udp_dst_port?: number;
  protocol: string;
  header?: { version?: string; len?: string };
}

/** Every Wireshark decode beside a capture: the capture(s) in feed order and its frames. */
function wiresharkGroups(): Array<{ pcaps: string[]; frames: WiresharkFrame[] }> {
  const groups: Array<{ pcaps: string[]; frames: WiresharkFrame[] }> = [];
  const akvorado = testdata('akvorado', 'expected', 'wireshark');
  for (const f of fs.readdirSync(akvorado)) {
    const d = JSON.parse(fs.readFileSync(path.join(akvorado, f), 'utf8'));
    groups.push({ pcaps: d.pcaps_in_feed_order.map((p: string) => testdata('akvorado', p)), frames: d.frames });
  }
  for (const t of fs.readdirSync(testdata('pmacct-test-automation'))) {
    const dir = testdata('pmacct-test-automation', t);
    if (!fs.statSync(dir).isDirectory()) continue;
    const d = JSON.parse(fs.readFileSync(path.join(dir, 'wireshark', 'traffic-00.json'), 'utf8'));
    groups.push({ pcaps: [path.join(dir, 'traffic-00.pcap')], frames: d.frames });
  }
  const pv = JSON.parse(fs.readFileSync(testdata('pktvisor', 'expected', 'nf9.wireshark.json'), 'utf8'));
  groups.push({ pcaps: [testdata('pktvisor', 'nf9.pcap')], frames: pv.frames });
  return groups;
}

describe('udpPayload over real captures (Wireshark decodes)', () => {
  it('finds each exporter datagram with the source address and port Wireshark reports', () => {
    let checked = 0;
    let ipfixLengths = 0;
    for (const g of wiresharkGroups()) {
      const pkts = g.pcaps.flatMap((f) => [...readCapture(fs.readFileSync(f))]);
      assert.equal(pkts.length, g.frames.length, g.pcaps.join(','));
      for (const fr of g.frames) {
        const stats = new UdpExtractStats();
        const u = udpPayload(pkts[fr.frame - 1], stats);
        if (fr.udp_dst_port === undefined) {
          // BGP over TCP in the pmacct capture.
          assert.equal(u, undefined);
          assert.equal(stats.notUdp, 1);
          continue;
        }
        assert.ok(u, `${g.pcaps[0]} frame ${fr.frame}`);
        assert.equal(formatIp(u.src, 0), fr.exporter_ip);
        assert.equal(u.dstPort, Number(fr.udp_dst_port));
        if (fr.protocol === 'cflow' && fr.header?.version === '10') {
          // An IPFIX message carries its own length: the payload must be exactly that long.
          assert.equal(u.payload.length, Number(fr.header.len));
          ipfixLengths++;
        }
        checked++;
      }
    }
    assert.ok(checked >= 100, `checked ${checked}`);
    assert.ok(ipfixLengths >= 10);
  });
});

describe('udpPayload across link types and IP variants', () => {
  // Frame 1 of the IPv4 NetFlow capture and of the IPv6-exporter IPFIX capture.
  const v4Pkt = [...readCapture(fs.readFileSync(testdata('akvorado', 'netflow', 'nfv5.pcap')))][0];
  const v6Pkt = [...readCapture(fs.readFileSync(testdata('pmacct-test-automation', '104-IPFIXv10-IPv6-CISCO-sampling_option', 'traffic-00.pcap')))][0];
  const v4Ref = udpPayload(v4Pkt)!;
  const v6Ref = udpPayload(v6Pkt)!;
  const ethType = (p: CapturedPacket) => (p.data[12] << 8) | p.data[13];
  const v4Ip = v4Pkt.data.subarray(14);
  const v6Ip = v6Pkt.data.subarray(14);
  const nfv5 = JSON.parse(fs.readFileSync(testdata('akvorado', 'expected', 'wireshark', 'nfv5.json'), 'utf8')).frames[0];

  function same(pkt: CapturedPacket, ref = v4Ref) {
    const u = udpPayload(pkt);
    assert.ok(u, `link type ${pkt.linkType}`);
    assert.equal(formatIp(u.src, 0), formatIp(ref.src, 0));
    assert.equal(formatIp(u.dst, 0), formatIp(ref.dst, 0));
    assert.equal(u.srcPort, ref.srcPort);
    assert.equal(u.dstPort, ref.dstPort);
    assert.equal(Buffer.compare(u.payload, ref.payload), 0);
  }

  const pkt = (linkType: number, data: Uint8Array): CapturedPacket => ({ tsMs: 1, linkType, data, origLen: data.length });
  const u32le = (v: number) => Uint8Array.of(v & 255, (v >> 8) & 255, (v >> 16) & 255, v >>> 24);
  const u32be = (v: number) => Uint8Array.of(v >>> 24, (v >> 16) & 255, (v >> 8) & 255, v & 255);

  it('reference frames are what Wireshark says', () => {
    assert.equal(ethType(v4Pkt), 0x0800);
    assert.equal(ethType(v6Pkt), 0x86dd);
    assert.equal(formatIp(v4Ref.src, 0), nfv5.exporter_ip);
    assert.equal(v4Ref.dstPort, nfv5.udp_dst_port);
    assert.equal(formatIp(v6Ref.src, 0), '2a02:a90:4007:700::54');
  });

  it('raw IP (101, 12, 14, 228, 229)', () => {
    for (const lt of [101, 12, 14, 228]) same(pkt(lt, v4Ip));
    same(pkt(229, v6Ip), v6Ref);
    same(pkt(101, v6Ip), v6Ref);
  });

  it('BSD loopback (0, little- and big-endian families) and OpenBSD loop (108)', () => {
    same(pkt(0, concat(u32le(2), v4Ip)));
    same(pkt(0, concat(u32be(2), v4Ip)));
    same(pkt(0, concat(u32le(30), v6Ip)), v6Ref);
    same(pkt(108, concat(u32be(24), v6Ip)), v6Ref);
  });

  it('Linux cooked captures SLL (113) and SLL2 (276)', () => {
    const sll = (type: number) => concat(Uint8Array.of(0, 0, 0, 1, 0, 6), v4Pkt.data.subarray(6, 12), Uint8Array.of(0, 0, type >> 8, type & 255));
    same(pkt(113, concat(sll(0x0800), v4Ip)));
    const sll2 = concat(Uint8Array.of(0x86, 0xdd, 0, 0), u32be(3), Uint8Array.of(0, 1, 0, 6), v6Pkt.data.subarray(6, 12), Uint8Array.of(0, 0));
    same(pkt(276, concat(sll2, v6Ip)), v6Ref);
  });

  it('802.1Q and QinQ tags, Ethernet padding', () => {
    same(pkt(1, withVlanTags(v4Pkt.data, [{ tpid: 0x8100, vid: 5 }])));
    same(pkt(1, withVlanTags(v6Pkt.data, [{ tpid: 0x88a8, vid: 100 }, { tpid: 0x8100, vid: 5 }])), v6Ref);
    same(pkt(1, concat(v4Pkt.data, new Uint8Array(18))));
  });

  it('IPv4 options and IPv6 extension headers', () => {
    const udpPart = v4Ip.subarray(20);
    const withOptions = ipv4({ src: formatIp(v4Ref.src, 0), dst: formatIp(v4Ref.dst, 0), protocol: 17, payload: udpPart, options: Uint8Array.of(0x94, 4, 0, 0, 1, 1, 1, 0) });
    same(pkt(101, withOptions));
    const v6Udp = v6Ip.subarray(40);
    const withExt = ipv6({ src: formatIp(v6Ref.src, 0), dst: formatIp(v6Ref.dst, 0), protocol: 17, payload: v6Udp, extensions: [{ type: 0, body: new Uint8Array(6) }, { type: 60, body: new Uint8Array(14) }] });
    same(pkt(229, withExt), v6Ref);
  });

  it('counts fragments: the first is returned (partial payload), later ones are skipped', () => {
    const stats = new UdpExtractStats();
    const payload = udp(40000, 2055, new Uint8Array(1400));
    const first = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 17, payload: payload.subarray(0, 1000), moreFragments: true, id: 7 });
    const later = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 17, payload: payload.subarray(1000), fragmentOffset: 1000, id: 7 });
    const u = udpPayload(pkt(101, first), stats);
    assert.equal(u?.payload.length, 1000 - 8);
    assert.equal(udpPayload(pkt(101, later), stats), undefined);
    assert.equal(stats.firstFragments, 1);
    assert.equal(stats.laterFragments, 1);
    assert.equal(stats.datagrams, 1);
  });

  it('counts what is not a UDP datagram', () => {
    const stats = new UdpExtractStats();
    const arp = concat(v4Pkt.data.subarray(0, 12), Uint8Array.of(0x08, 0x06), new Uint8Array(28));
    assert.equal(udpPayload(pkt(1, arp), stats), undefined);
    const tcp = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 6, payload: new Uint8Array(20) });
    assert.equal(udpPayload(pkt(101, tcp), stats), undefined);
    assert.equal(udpPayload(pkt(1, v4Pkt.data.subarray(0, 30)), stats), undefined);
    assert.equal(udpPayload(pkt(147, v4Pkt.data), stats), undefined);
    assert.equal(stats.notIp, 2);
    assert.equal(stats.notUdp, 1);
    assert.equal(stats.truncated, 1);
  });
});
