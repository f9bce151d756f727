import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import YAML from 'yaml';
import { testdata } from '../../../test/support/paths.js';
import { parseInventory } from '../../inventory/load.js';
import { parseSmall } from '../../inventory/test-fixture.js';
import type { FlowRecord } from '../../schema/batch.js';
import { readCapture } from '../pcap/index.js';
import { BatchList } from '../source.js';
import { senderOpened } from './conntrack.js';
import { FlowTable } from './flow-table.js';
import { PcapStream } from './pcap-stream.js';
import { Probe, type ProbeOptions } from './probe.js';
import { ACK, FIN, PSH, SYN, frame, icmp, pcapFile, tcp, type CapturedFrame, type FrameSpec } from './synthetic-capture.js';
import { udp } from '../packet/frame-builder.js';

const WEB = { mac: '02:00:00:00:00:01', ip: '10.0.0.10' };
const APP = { mac: '02:00:00:00:00:02', ip: '10.0.1.20' };
const GW = '02:00:00:00:00:fe';
const T0 = 1_700_000_000_000;

function seg(from: { mac: string; ip: string }, to: { mac: string; ip: string }, sp: number, dp: number, flags: number, payload = 0, extra: Partial<FrameSpec> = {}): FrameSpec {
  return { srcMac: from.mac, dstMac: to.mac, src: from.ip, dst: to.ip, protocol: 6, l4: tcp(sp, dp, flags, new Uint8Array(payload)), ...extra };
}

/** Feeds a capture through the stream parser in uneven chunks, as tcpdump's pipe delivers it. */
function run(frames: CapturedFrame[], opts: Partial<ProbeOptions> = {}, chunk = 97): { records: FlowRecord[]; probe: Probe } {
  const list = new BatchList(64);
  const probe = new Probe({ sink: list, windowSeconds: 10, ...opts });
  const port = probe.addPort('mirror0', 'both');
  const stream = new PcapStream((b, off, len, orig, sec, usec, link) => probe.packetAt(b, off, len, orig, sec, usec, link, port));
  const file = pcapFile(frames);
  for (let at = 0; at < file.length; at += chunk) stream.push(file.subarray(at, Math.min(file.length, at + chunk)));
  assert.equal(stream.pending, 0, 'every record parsed');
  probe.finish();
  return { records: list.records(), probe };
}

function find(records: FlowRecord[], iface: string, direction: string, dstPort: number, srcPort?: number, start = T0 / 1000): FlowRecord {
  const r = records.filter((x) => x.interface_id === iface && x.direction === direction && x.dst_port === dstPort && (srcPort === undefined || x.src_port === srcPort) && x.start === start);
  assert.equal(r.length, 1, `one ${direction} record on ${iface} to port ${dstPort} at ${start}, got ${r.length}`);
  return r[0];
}

function conversations(): CapturedFrame[] {
  const f: CapturedFrame[] = [];
  const at = (ms: number, s: FrameSpec) => f.push({ tsMs: T0 + ms, frame: frame(s) });
  // A: web:40000 → app:8080, a whole TCP connection.
  at(100, seg(WEB, APP, 40000, 8080, SYN));
  at(101, seg(APP, WEB, 8080, 40000, SYN | ACK));
  at(102, seg(WEB, APP, 40000, 8080, ACK));
  at(103, seg(WEB, APP, 40000, 8080, PSH | ACK, 100));
  at(104, seg(APP, WEB, 8080, 40000, PSH | ACK, 1000));
  at(105, seg(WEB, APP, 40000, 8080, FIN | ACK));
  at(106, seg(APP, WEB, 8080, 40000, FIN | ACK));
  at(107, seg(WEB, APP, 40000, 8080, ACK));
  // B: web → app:22, never answered (SYN retries).
  at(200, seg(WEB, APP, 40001, 22, SYN));
  at(1200, seg(WEB, APP, 40001, 22, SYN));
  at(3200, seg(WEB, APP, 40001, 22, SYN));
  // C: web:999 → app:8081: the request is allowed, the reply to a port below 1024 is not (stateless ACL).
  at(300, seg(WEB, APP, 999, 8081, SYN));
  at(301, seg(APP, WEB, 8081, 999, SYN | ACK));
  // D: ping web → app.
  at(400, { srcMac: WEB.mac, dstMac: APP.mac, src: WEB.ip, dst: APP.ip, protocol: 1, l4: icmp(8) });
  // E: HTTPS over IPv6 from the internet, on VLAN 42.
  at(500, { srcMac: GW, dstMac: WEB.mac, src: '2001:db8:ffff::1', dst: '2001:db8:1:1::10', protocol: 6, l4: tcp(50000, 443, SYN), vlan: 42 });
  // F: routed between subnets: the same packet twice, on each side of the router.
  at(600, seg(WEB, { mac: GW, ip: APP.ip }, 40002, 8080, SYN));
  at(600.2, seg({ mac: GW, ip: WEB.ip }, APP, 40002, 8080, SYN));
  // The next window: web asks an outside resolver; the app is silent.
  at(12_000, { srcMac: WEB.mac, dstMac: GW, src: WEB.ip, dst: '8.8.8.8', protocol: 17, l4: udp(53000, 53, new Uint8Array(20)) });
  return f;
}

test('records per ENI, direction and 5-tuple, with the verdicts the inventory gives', () => {
  const { records, probe } = run(conversations(), { inventory: parseSmall() });
  const a = find(records, 'eni-web', 'egress', 8080, 40000);
  assert.deepEqual([a.src_addr, a.src_port, a.dst_addr, a.protocol, a.packets, a.bytes, a.tcp_flags], [WEB.ip, 40000, APP.ip, 6, 5, 300, SYN | ACK | PSH | FIN]);
  assert.deepEqual([a.first_ms, a.last_ms, a.start, a.end], [T0 + 100, T0 + 107, T0 / 1000, T0 / 1000 + 10]);
  assert.deepEqual([a.action, a.rule_id, a.log_status, a.vpc_id, a.subnet_id, a.instance_id, a.account_id], ['ACCEPT', 'sg-web/all', 'OK', 'vpc-1', 'subnet-pub', 'i-web', '123456789012']);
  assert.deepEqual([a.src_mac, a.dst_mac], [WEB.mac, APP.mac]);
  const ai = records.find((r) => r.interface_id === 'eni-app' && r.direction === 'ingress' && r.src_port === 40000)!;
  assert.deepEqual([ai.packets, ai.bytes, ai.action, ai.rule_id], [5, 300, 'ACCEPT', 'sg-app/api']);
  // The replies: allowed by the groups because the request was (connection tracking).
  const ae = records.find((r) => r.interface_id === 'eni-app' && r.direction === 'egress' && r.src_port === 8080 && r.dst_port === 40000)!;
  assert.deepEqual([ae.packets, ae.bytes, ae.tcp_flags, ae.action, ae.rule_id], [3, 1120, SYN | ACK | PSH | FIN, 'ACCEPT', 'sg-app/api']);
  const wi = records.find((r) => r.interface_id === 'eni-web' && r.direction === 'ingress' && r.src_port === 8080 && r.dst_port === 40000)!;
  assert.deepEqual([wi.packets, wi.action, wi.rule_id], [3, 'ACCEPT', 'sg-web/all']);

  const b = find(records, 'eni-web', 'egress', 22);
  assert.deepEqual([b.packets, b.bytes, b.action, b.last_ms - b.first_ms], [3, 120, 'ACCEPT', 3000]);
  const bi = find(records, 'eni-app', 'ingress', 22);
  assert.deepEqual([bi.packets, bi.action, bi.rule_id], [3, 'REJECT', 'acl-app/default-deny']);

  assert.deepEqual((({ action, rule_id }) => [action, rule_id])(find(records, 'eni-app', 'ingress', 8081)), ['ACCEPT', 'sg-app/api']);
  const cr = find(records, 'eni-app', 'egress', 999);
  assert.deepEqual([cr.action, cr.rule_id], ['REJECT', 'acl-app/default-deny'], 'the ACL judges the reply although the group passed it');

  const ping = find(records, 'eni-app', 'ingress', 8 * 256);
  assert.deepEqual([ping.protocol, ping.action, ping.rule_id], [1, 'REJECT', 'acl-app/default-deny']);
  assert.equal(find(records, 'eni-web', 'egress', 8 * 256).action, 'ACCEPT');

  const v6 = find(records, 'eni-web', 'ingress', 443);
  assert.deepEqual([v6.src_addr, v6.dst_addr, v6.vlan, v6.packets], ['2001:db8:ffff::1', '2001:db8:1:1::10', 42, 1]);
  assert.deepEqual([v6.action, v6.rule_id], ['REJECT', 'acl-pub/default-deny'], 'acl-pub allows only IPv4 (0.0.0.0/0)');
  assert.ok(!records.some((r) => r.interface_id === 'eni-web' && r.direction === 'egress' && r.dst_port === 443), 'the internet end has no ENI');

  // Routed: one packet, counted once at each end although the mirror saw it twice.
  assert.equal(find(records, 'eni-web', 'egress', 8080, 40000).packets, 5);
  const routedOut = records.filter((r) => r.src_port === 40002);
  assert.deepEqual(routedOut.map((r) => `${r.interface_id}/${r.direction}/${r.packets}`).sort(), ['eni-app/ingress/1', 'eni-web/egress/1']);

  // Window 2: web's DNS query; the app, seen before, gets NODATA.
  const w2 = records.filter((r) => r.start === T0 / 1000 + 10);
  assert.deepEqual(w2.map((r) => `${r.interface_id}/${r.log_status}/${r.dst_port}`).sort(), ['eni-app/NODATA/0', 'eni-web/OK/53']);
  const nodata = w2.find((r) => r.log_status === 'NODATA')!;
  assert.deepEqual([nodata.packets, nodata.end, nodata.subnet_id], [0, T0 / 1000 + 20, 'subnet-app']);

  const s = probe.stats;
  assert.equal(s.packets, conversations().length);
  assert.equal(s.counted, s.packets);
  const okPackets = records.filter((r) => r.log_status === 'OK').reduce((n, r) => n + r.packets, 0);
  // Packets between two ENIs count at both ends; the IPv6 and DNS ones at one.
  assert.equal(okPackets, (s.packets - 2 - 2) * 2 + 2 + 2);
});

test('without an inventory each flow is one record per window, named after the capture', () => {
  const { records } = run(conversations());
  assert.ok(records.every((r) => r.interface_id === 'mirror0' && r.action === 'ACCEPT' && r.rule_id === ''));
  const a = records.filter((r) => r.src_port === 40000 && r.dst_port === 8080);
  assert.equal(a.length, 1);
  assert.equal(a[0].packets, 5);
  const routed = records.filter((r) => r.src_port === 40002);
  assert.equal(routed[0].packets, 2, 'one record holds both copies of the routed packet');
  assert.equal(records.reduce((n, r) => n + r.packets, 0), conversations().length);
});

test('ports of a VM\'s interface: frames leaving it count at the sender, frames to it at the receiver', () => {
  const list = new BatchList(64);
  const probe = new Probe({ sink: list, windowSeconds: 10, inventory: parseSmall() });
  const webFrom = probe.addPort('veth-web', 'from');
  const appTo = probe.addPort('veth-app', 'to');
  const syn = frame(seg(WEB, APP, 41000, 8080, SYN));
  // The bridge delivers the same frame from web's port to app's port.
  probe.packet(syn, 0, syn.length, syn.length, T0 + 1, 1, webFrom);
  probe.packet(syn, 0, syn.length, syn.length, T0 + 1.3, 1, appTo);
  probe.finish();
  assert.deepEqual(list.records().map((r) => `${r.interface_id}/${r.direction}/${r.packets}`).sort(), ['eni-app/ingress/1', 'eni-web/egress/1']);
});

test('a full flow table writes the window early as SKIPDATA and loses no packet', () => {
  const frames: CapturedFrame[] = [];
  for (let i = 0; i < 25; i++) frames.push({ tsMs: T0 + i, frame: frame(seg(WEB, APP, 42000 + (i % 5), 8080, ACK, 10)) });
  const { records, probe } = run(frames, { inventory: parseSmall(), maxFlows: 4 });
  assert.ok(probe.stats.earlyFlushes >= 1);
  assert.ok(records.some((r) => r.log_status === 'SKIPDATA'));
  assert.ok(records.every((r) => r.log_status === 'SKIPDATA'), 'the whole window is marked, its counts are split');
  assert.equal(records.reduce((n, r) => n + r.packets, 0), 50, '25 packets at two ENIs');
  assert.equal(probe.stats.skipdataRecords, records.length);
});

test('frames the probe cannot use are counted by reason, and the others kept', () => {
  const good = frame(seg(WEB, APP, 43000, 8080, SYN));
  const arp = Uint8Array.from([...good.subarray(0, 12), 0x08, 0x06, ...new Uint8Array(28)]);
  const cut = good.subarray(0, 20);
  const stranger = frame({ srcMac: '02:aa:00:00:00:01', dstMac: '02:aa:00:00:00:02', src: '192.0.2.1', dst: '192.0.2.2', protocol: 17, l4: udp(1, 2, new Uint8Array(4)) });
  const { records, probe } = run(
    [good, arp, cut, stranger, good].map((f, i) => ({ tsMs: T0 + i, frame: f })),
    { inventory: parseSmall() },
  );
  assert.deepEqual(probe.stats.skipped, { not_ip: 1, truncated: 1, malformed: 0, unsupported_link: 0, no_interface: 1 });
  assert.equal(find(records, 'eni-web', 'egress', 8080, 43000).packets, 2);
});

test('a real capture (overflowd sFlow export, README: 1000 datagrams 192.168.1.1 → 192.168.1.2:6343)', async () => {
  const buf = fs.readFileSync(testdata('overflowd', 'sflow.pcap'));
  assert.equal(buf.length, 1_322_032, 'the file the README describes');
  const list = new BatchList();
  const probe = new Probe({ sink: list, windowSeconds: 60 });
  const port = probe.addPort('sflow.pcap');
  for (const p of readCapture(buf)) probe.packet(p.data, 0, p.data.length, p.origLen, p.tsMs, p.linkType, port);
  probe.finish();
  const recs = list.records();
  assert.equal(recs.reduce((n, r) => n + r.packets, 0), 1000);
  assert.ok(recs.every((r) => r.src_addr === '192.168.1.1' && r.dst_addr === '192.168.1.2' && r.dst_port === 6343 && r.protocol === 17));
  assert.ok(recs.every((r) => r.src_mac!.startsWith('00:1c:2e')), 'the HP ProCurve agent (OUI 00:1c:2e)');
  // Captured 2011-04-08 23:45–23:47 UTC: three aligned one-minute windows at most.
  assert.ok(recs.every((r) => r.start >= Date.UTC(2011, 3, 8, 23, 45) / 1000 && r.end <= Date.UTC(2011, 3, 8, 23, 48) / 1000));
  // IP bytes: the file less its header, 1000 record headers and 1000 Ethernet headers.
  assert.equal(recs.reduce((n, r) => n + r.bytes, 0), 1_322_032 - 24 - 1000 * 16 - 1000 * 14);

  // With an inventory for both hosts (MACs unknown to it: attributed by address), verdicts from their groups.
  const inv = parseInventory(
    YAML.stringify({
      vpcs: [{ id: 'vpc-lab', account_id: '1', cidrs: ['192.168.0.0/16'] }],
      subnets: [{ id: 'subnet-lab', vpc: 'vpc-lab', cidr: '192.168.1.0/24', network_acl: 'acl-lab' }],
      network_acls: [{ id: 'acl-lab', vpc: 'vpc-lab' }],
      security_groups: [
        { id: 'sg-switch', vpc: 'vpc-lab', egress: [{ id: 'sflow-out', protocol: 'udp', ports: 6343, peer: '192.168.1.2/32' }] },
        { id: 'sg-collector', vpc: 'vpc-lab', ingress: [{ id: 'sflow-in', protocol: 'udp', ports: 6343, peer: '192.168.1.0/24' }] },
      ],
      enis: [
        { id: 'eni-switch', mac: '02:00:00:00:01:01', ips: ['192.168.1.1'], subnet: 'subnet-lab', security_groups: ['sg-switch'] },
        { id: 'eni-collector', mac: '02:00:00:00:01:02', ips: ['192.168.1.2'], subnet: 'subnet-lab', security_groups: ['sg-collector'] },
      ],
    }),
    'lab.yaml',
  );
  const list2 = new BatchList();
  const probe2 = new Probe({ sink: list2, windowSeconds: 60, inventory: inv });
  for (const p of readCapture(buf)) probe2.packet(p.data, 0, p.data.length, p.origLen, p.tsMs, p.linkType, 0);
  probe2.finish();
  const by = (iface: string) => list2.records().filter((r) => r.interface_id === iface && r.log_status === 'OK');
  assert.equal(by('eni-switch').reduce((n, r) => n + r.packets, 0), 1000);
  assert.ok(by('eni-switch').every((r) => r.direction === 'egress' && r.rule_id === 'sg-switch/sflow-out' && r.action === 'ACCEPT'));
  assert.equal(by('eni-collector').reduce((n, r) => n + r.packets, 0), 1000);
  assert.ok(by('eni-collector').every((r) => r.direction === 'ingress' && r.rule_id === 'sg-collector/sflow-in'));
});

test('the stream parser gives the same packets as the capture reader, whatever the chunking', () => {
  const file = pcapFile(conversations().map((c, i) => ({ ...c, frame: c.frame.subarray(0, i % 3 === 0 ? 34 : c.frame.length), origLen: c.frame.length })));
  const expected = [...readCapture(file)].map((p) => `${p.tsMs}/${p.data.length}/${p.origLen}`);
  for (const size of [1, 7, 16, 24, 4096]) {
    const got: string[] = [];
    const s = new PcapStream((b, off, len, orig, sec, usec) => got.push(`${sec * 1000 + usec / 1000}/${len}/${orig}`));
    for (let at = 0; at < file.length; at += size) s.push(file.subarray(at, at + size));
    assert.deepEqual(got, expected, `chunks of ${size}`);
  }
  assert.throws(() => new PcapStream(() => {}, 'x').push(Uint8Array.from([0x0a, 0x0d, 0x0d, 0x0a, ...new Uint8Array(28)])), /pcapng cannot be streamed/);
});

test('flow table grows to its cap and then refuses; the connection opener is read from the first packet', () => {
  const t = new FlowTable(3000);
  const a = new Uint32Array(4);
  const b = new Uint32Array([0, 0, 0xffff, 0x0a000001]);
  for (let i = 0; i < 3000; i++) {
    a[3] = i;
    assert.ok(t.upsert(1, 2, a, b, 80, 6) >= 0);
    assert.equal(t.created, true);
  }
  a[3] = 7;
  assert.equal(t.upsert(1, 2, a, b, 80, 6), 7);
  assert.equal(t.created, false);
  a[3] = 5000;
  assert.equal(t.upsert(1, 2, a, b, 80, 6), -1);
  assert.ok(t.allocatedBytes / t.capacity <= 200);
  assert.equal(senderOpened(6, 40000, 443, SYN), true);
  assert.equal(senderOpened(6, 443, 40000, SYN | ACK), false);
  assert.equal(senderOpened(6, 443, 40000, ACK), false, 'mid-stream: the low port is the server');
  assert.equal(senderOpened(1, 0, 0 << 8, 0), false, 'an echo reply answers');
  assert.equal(senderOpened(17, 53, 53000, 0), false);
});
