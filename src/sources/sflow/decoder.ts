// sFlow v5 datagrams into flow rows (one per flow sample) and interface-counter rows (one per
// generic interface counters record). Every length and count in the datagram is checked against
// the bytes that hold it before it is used; a bad sample is dropped and counted, the samples
// around it are kept, and nothing here throws.
//
// Row semantics:
// - bytes = IP packet length × sampling rate by default. The IP length comes from the sampled
//   header's own IP header (or the sampled IPv4/IPv6 record), not from sFlow's frame_length, which
//   counts L2 headers and the FCS (data-1140: frame_length 1518 for a 1500-byte IPv6 packet).
//   NetFlow, IPFIX and the cloud flow logs all count IP bytes, so totals stay comparable across
//   sources; akvorado reports the same. Frames that are not IP keep frame_length as their size.
//   `byteCount: 'frame'` counts frame_length instead, for comparing with interface counters.
// - For VXLAN the row describes the inner packet (addresses, ports, its IP length); the VLAN is
//   the one on the sampled port (the outer frame's).
// - When both a sampled header and a sampled IPv4/IPv6 record are present the header wins: it is
//   what was on the wire, with MACs, VLAN tags and TCP flags the IP record may not carry.
// - exporter is the agent address from the datagram; the UDP source only when the agent
//   address is of unknown type.

import type { MetricsRegistry } from '../../metrics/registry.js';
import { isZeroIp, setV4, setV6Bytes, formatIp } from '../../schema/ip.js';
import type { BatchSink } from '../source.js';
import { decodeFrame } from '../packet/decode.js';
import { PacketHeaders } from '../packet/headers.js';
import { LINKTYPE_ETHERNET, linkTypeOfSflowHeader } from '../packet/link-types.js';
import * as F from './formats.js';
import type { CounterSink } from './interface-counters.js';
import { SflowStats, type MalformedReason } from './stats.js';

export interface SflowDecoderOptions {
  metrics?: MetricsRegistry;
  /** Receives interface counter rows; without it counter samples are only counted. */
  counters?: CounterSink;
  /** What a sampled packet's size is: its IP length (default) or sFlow's L2 frame_length. */
  byteCount?: 'ip' | 'frame';
}

const DIRECTION_INGRESS = 0;
const ACTION_REJECT = 1;
const IF_NAME_CACHE_LIMIT = 65536;

function u32(b: Uint8Array, p: number): number {
  return ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
}

function u64(b: Uint8Array, p: number): number {
  return u32(b, p) * 0x100000000 + u32(b, p + 4);
}

/** Copies an address's four words into a column (element stores beat TypedArray.set for 4). */
function put4(col: Uint32Array, at: number, w: Uint32Array): void {
  col[at] = w[0];
  col[at + 1] = w[1];
  col[at + 2] = w[2];
  col[at + 3] = w[3];
}

function mac(b: Uint8Array, p: number): number {
  return ((b[p] << 8) | b[p + 1]) * 0x100000000 + u32(b, p + 2);
}

/** Returned by record readers when the sample they belong to must be dropped. */
const SAMPLE_DONE = -1;

export class SflowDecoder {
  readonly stats = new SflowStats();
  private readonly counters: CounterSink | undefined;
  private readonly frameBytes: boolean;

  // Datagram state.
  private readonly agent = new Uint32Array(4);
  private subAgent = 0;
  private agentText = '';
  private readonly agentTextOf = new Uint32Array(4);
  private ifNames = new Map<string, Map<number, string>>();
  private ifNamesOfAgent: Map<number, string> = new Map();
  private ifNameCount = 0;

  // Flow sample state, rebuilt for every sample and written out as one row at its end.
  private rate = 0;
  private inIf = 0;
  private outIf = 0;
  private reject = false;
  private readonly hdr = new PacketHeaders();
  private hasHeader = false;
  private headerDecoded = false;
  private headerStart = 0;
  private headerLinkType = 0;
  private frameLength = 0;
  private hasEthernet = false;
  private ethLength = 0;
  private ethSrc = 0;
  private ethDst = 0;
  private hasIp = false;
  private ipLength = 0;
  private ipProtocol = 0;
  private readonly ipSrc = new Uint32Array(4);
  private readonly ipDst = new Uint32Array(4);
  private ipSrcPort = 0;
  private ipDstPort = 0;
  private ipTcpFlags = 0;
  private srcVlan = 0;
  private dstVlan = 0;
  private srcAs = 0;
  private dstAs = 0;
  private readonly nextHop = new Uint32Array(4);

  constructor(opts: SflowDecoderOptions = {}) {
    this.counters = opts.counters;
    this.frameBytes = opts.byteCount === 'frame';
    if (opts.metrics) this.stats.register(opts.metrics);
  }

  /**
   * Decodes one datagram. `exporter` is the UDP source address (4 words), used only when the
   * agent address is of unknown type; `receivedMs` stamps every row (sFlow samples carry no time).
   */
  decode(data: Uint8Array, exporter: Uint32Array, receivedMs: number, sink: BatchSink): void {
    this.stats.datagrams++;
    try {
      this.datagram(data, exporter, receivedMs, sink);
    } catch {
      this.bad('internal_error');
    }
  }

  private bad(reason: MalformedReason): number {
    this.stats.malformed[reason]++;
    return SAMPLE_DONE;
  }

  private datagram(b: Uint8Array, exporter: Uint32Array, receivedMs: number, sink: BatchSink): void {
    const end = b.length;
    if (end < 8) return void this.bad('short_datagram');
    if (u32(b, 0) !== F.SFLOW_VERSION) return void this.bad('bad_version');
    const p0 = this.readAddress(b, 4, end, this.agent);
    if (p0 === -2) return void this.bad('bad_agent_address');
    if (p0 < 0 || end - p0 < 16) return void this.bad('short_datagram');
    if (u32(b, 4) === F.ADDRESS_UNKNOWN) {
      for (let k = 0; k < 4; k++) this.agent[k] = exporter[k];
    }
    this.subAgent = u32(b, p0);
    const count = u32(b, p0 + 12);
    let p = p0 + 16;
    for (let n = 0; n < count; n++) {
      if (end - p < 8) {
        this.bad('sample_count');
        return;
      }
      const format = u32(b, p);
      const len = u32(b, p + 4);
      p += 8;
      if (len > end - p) {
        this.bad('sample_overrun');
        return;
      }
      const sEnd = p + len;
      switch (format) {
        case F.SAMPLE_FLOW:
          this.stats.flowSamples++;
          this.flowSample(b, p, sEnd, false, receivedMs, sink);
          break;
        case F.SAMPLE_FLOW_EXPANDED:
          this.stats.flowSamples++;
          this.flowSample(b, p, sEnd, true, receivedMs, sink);
          break;
        case F.SAMPLE_COUNTERS:
          this.stats.counterSamples++;
          this.counterSample(b, p, sEnd, false, receivedMs);
          break;
        case F.SAMPLE_COUNTERS_EXPANDED:
          this.stats.counterSamples++;
          this.counterSample(b, p, sEnd, true, receivedMs);
          break;
        default:
          this.stats.skippedSamples++;
      }
      p = sEnd;
    }
    if (p !== end) this.stats.trailingBytes++;
  }

  /**
   * Reads an sFlow address at b[p] into `out`: returns the offset after it, -1 when the bytes
   * end first, -2 for an unknown address type. Type 0 (unknown) carries no bytes; `out` is zeroed.
   */
  private readAddress(b: Uint8Array, p: number, end: number, out: Uint32Array): number {
    if (end - p < 4) return -1;
    const type = u32(b, p);
    p += 4;
    if (type === F.ADDRESS_IPV4) {
      if (end - p < 4) return -1;
      setV4(out, 0, u32(b, p));
      return p + 4;
    }
    if (type === F.ADDRESS_IPV6) {
      if (end - p < 16) return -1;
      setV6Bytes(out, 0, b, p);
      return p + 16;
    }
    if (type === F.ADDRESS_UNKNOWN) {
      out.fill(0);
      return p;
    }
    return -2;
  }

  private flowSample(b: Uint8Array, p: number, end: number, expanded: boolean, receivedMs: number, sink: BatchSink): void {
    let inFormat: number, inValue: number, outFormat: number, outValue: number;
    if (expanded) {
      if (end - p < 44) return void this.bad('sample_truncated');
      this.rate = u32(b, p + 12);
      inFormat = u32(b, p + 24);
      inValue = u32(b, p + 28);
      outFormat = u32(b, p + 32);
      outValue = u32(b, p + 36);
      p += 40;
    } else {
      if (end - p < 32) return void this.bad('sample_truncated');
      this.rate = u32(b, p + 8);
      const input = u32(b, p + 20);
      const output = u32(b, p + 24);
      inFormat = input >>> 30;
      inValue = input & 0x3fffffff;
      outFormat = output >>> 30;
      outValue = output & 0x3fffffff;
      p += 28;
    }
    if (this.rate === 0) {
      this.bad('zero_sampling_rate');
      this.rate = 1;
    }
    // Only a plain ifIndex names an interface; discard reasons, output-port counts and the
    // device itself (0x3fffffff) all become 0, "no interface".
    this.inIf = inFormat === F.IF_FORMAT_INDEX && inValue !== F.IF_LOCAL ? inValue : 0;
    this.outIf = outFormat === F.IF_FORMAT_INDEX && outValue !== F.IF_LOCAL ? outValue : 0;
    this.reject = outFormat === F.IF_FORMAT_DISCARD && F.isPolicyDiscard(outValue);
    this.hasHeader = false;
    this.headerDecoded = false;
    this.hasEthernet = false;
    this.hasIp = false;
    this.srcVlan = 0;
    this.dstVlan = 0;
    this.srcAs = 0;
    this.dstAs = 0;

    const count = u32(b, p);
    p += 4;
    for (let n = 0; n < count; n++) {
      if (end - p < 8) return void this.bad('record_count');
      const format = u32(b, p);
      const len = u32(b, p + 4);
      p += 8;
      if (len > end - p) return void this.bad('record_overrun');
      if (this.flowRecord(b, p, p + len, format) === SAMPLE_DONE) return;
      p += len;
    }
    if (p !== end) this.stats.trailingBytes++;
    this.writeFlow(receivedMs, sink);
  }

  /** Reads one flow record into the sample state; returns SAMPLE_DONE when the sample must be dropped. */
  private flowRecord(b: Uint8Array, p: number, end: number, format: number): number {
    const len = end - p;
    switch (format) {
      case F.FLOW_SAMPLED_HEADER: {
        if (len < 16) return this.bad('record_truncated');
        const protocol = u32(b, p);
        const headerLength = u32(b, p + 12);
        if (headerLength > len - 16) return this.bad('record_truncated');
        this.hasHeader = true;
        this.frameLength = u32(b, p + 4);
        this.headerStart = p + 16;
        const linkType = linkTypeOfSflowHeader(protocol);
        this.headerLinkType = linkType;
        if (linkType < 0) {
          this.stats.undecodedHeaders++;
          this.hdr.reset();
          this.headerDecoded = false;
        } else {
          decodeFrame(b, p + 16, headerLength, linkType, this.hdr);
          this.headerDecoded = true;
        }
        return 0;
      }
      case F.FLOW_SAMPLED_ETHERNET:
        if (len < 24) return this.bad('record_truncated');
        this.hasEthernet = true;
        this.ethLength = u32(b, p);
        this.ethSrc = mac(b, p + 4);
        this.ethDst = mac(b, p + 12);
        return 0;
      case F.FLOW_SAMPLED_IPV4:
        if (len < 32) return this.bad('record_truncated');
        this.hasIp = true;
        this.ipLength = u32(b, p);
        this.ipProtocol = u32(b, p + 4) & 0xff;
        setV4(this.ipSrc, 0, u32(b, p + 8));
        setV4(this.ipDst, 0, u32(b, p + 12));
        this.ipSrcPort = u32(b, p + 16) & 0xffff;
        this.ipDstPort = u32(b, p + 20) & 0xffff;
        this.ipTcpFlags = u32(b, p + 24) & 0xff;
        return 0;
      case F.FLOW_SAMPLED_IPV6:
        if (len < 56) return this.bad('record_truncated');
        this.hasIp = true;
        this.ipLength = u32(b, p);
        this.ipProtocol = u32(b, p + 4) & 0xff;
        setV6Bytes(this.ipSrc, 0, b, p + 8);
        setV6Bytes(this.ipDst, 0, b, p + 24);
        this.ipSrcPort = u32(b, p + 40) & 0xffff;
        this.ipDstPort = u32(b, p + 44) & 0xffff;
        this.ipTcpFlags = u32(b, p + 48) & 0xff;
        return 0;
      case F.FLOW_EXTENDED_SWITCH:
        if (len < 16) return this.bad('record_truncated');
        this.srcVlan = u32(b, p);
        this.dstVlan = u32(b, p + 8);
        return 0;
      case F.FLOW_EXTENDED_ROUTER: {
        // Next hop and prefix lengths have no column yet; the record is still checked.
        const q = this.readAddress(b, p, end, this.nextHop);
        if (q === -2) return this.bad('bad_address');
        if (q < 0 || end - q < 8) return this.bad('record_truncated');
        return 0;
      }
      case F.FLOW_EXTENDED_GATEWAY:
        return this.gateway(b, p, end);
      default:
        this.stats.skippedRecords++;
        return 0;
    }
  }

  /**
   * Extended gateway: the AS numbers a router knows from BGP. The source AS is src_as, or the
   * router's own AS when src_as is 0 (a locally originated prefix); the destination AS is the
   * last AS of the destination path (its origin), or the router's own AS when the path is empty.
   */
  private gateway(b: Uint8Array, p: number, end: number): number {
    let q = this.readAddress(b, p, end, this.nextHop);
    if (q === -2) return this.bad('bad_address');
    if (q < 0 || end - q < 16) return this.bad('record_truncated');
    const ownAs = u32(b, q);
    const srcAs = u32(b, q + 4);
    const segments = u32(b, q + 12);
    q += 16;
    let originAs = 0;
    for (let s = 0; s < segments; s++) {
      // Each segment needs 8 bytes before its AS list, so a lying count runs out of bytes here.
      if (end - q < 8) return this.bad('record_truncated');
      const n = u32(b, q + 4);
      q += 8;
      if (n > (end - q) / 4) return this.bad('record_truncated');
      if (n > 0) originAs = u32(b, q + 4 * (n - 1));
      q += 4 * n;
    }
    if (end - q < 4) return this.bad('record_truncated');
    const communities = u32(b, q);
    q += 4;
    if (communities > (end - q) / 4) return this.bad('record_truncated');
    q += 4 * communities;
    if (end - q < 4) return this.bad('record_truncated');
    this.srcAs = srcAs !== 0 ? srcAs : ownAs;
    this.dstAs = originAs !== 0 ? originAs : ownAs;
    return 0;
  }

  private writeFlow(receivedMs: number, sink: BatchSink): void {
    const h = this.hdr;
    const headerIp = this.headerDecoded && h.ipVersion !== 0;
    let size: number;
    if (this.frameBytes && (this.hasHeader || this.hasEthernet)) size = this.hasHeader ? this.frameLength : this.ethLength;
    else if (headerIp) {
      size = h.ipTotalLength;
      if (size === 0) {
        // Offloaded segments carry 0 in the IP length: fall back to the frame length past L3.
        const fcs = this.headerLinkType === LINKTYPE_ETHERNET ? 4 : 0;
        size = Math.max(0, this.frameLength - (h.l3Offset - this.headerStart) - fcs);
      }
    } else if (this.hasIp) size = this.ipLength;
    else if (this.hasHeader) size = this.frameLength;
    else if (this.hasEthernet) size = this.ethLength;
    else {
      this.stats.emptyFlowSamples++;
      return;
    }

    const batch = sink.room();
    const r = batch.addRow();
    const c = batch.cols;
    const r4 = r * 4;
    c.version[r] = 5;
    put4(c.exporter, r4, this.agent);
    const ifIndex = this.inIf !== 0 ? this.inIf : this.outIf;
    if (ifIndex !== 0) c.interface_id.codes[r] = c.interface_id.dict.intern(this.interfaceName(ifIndex));
    c.in_if[r] = this.inIf;
    c.out_if[r] = this.outIf;

    if (this.headerDecoded && (h.srcMac !== 0 || h.dstMac !== 0)) {
      c.src_mac[r] = h.srcMac;
      c.dst_mac[r] = h.dstMac;
    } else if (this.hasEthernet) {
      c.src_mac[r] = this.ethSrc;
      c.dst_mac[r] = this.ethDst;
    }
    // The switch's own word on the ingress VLAN first, then the tag on the wire, then egress.
    const tagged = this.headerDecoded ? (h.tunnel !== 0 ? h.outer.vlan : h.vlan) : 0;
    if (this.srcVlan > 0 && this.srcVlan < 4096) c.vlan[r] = this.srcVlan;
    else if (tagged !== 0) c.vlan[r] = tagged;
    else if (this.dstVlan > 0 && this.dstVlan < 4096) c.vlan[r] = this.dstVlan;

    if (headerIp) {
      put4(c.src_addr, r4, h.src);
      put4(c.dst_addr, r4, h.dst);
      c.protocol[r] = h.protocol;
      c.src_port[r] = h.srcPort;
      c.dst_port[r] = h.dstPort;
      c.tcp_flags[r] = h.tcpFlags;
    } else if (this.hasIp) {
      put4(c.src_addr, r4, this.ipSrc);
      put4(c.dst_addr, r4, this.ipDst);
      c.protocol[r] = this.ipProtocol;
      c.src_port[r] = this.ipSrcPort;
      c.dst_port[r] = this.ipDstPort;
      c.tcp_flags[r] = this.ipTcpFlags;
    }

    c.packets[r] = this.rate;
    c.bytes[r] = size * this.rate;
    c.sampling_rate[r] = this.rate;
    const sec = Math.floor(receivedMs / 1000);
    c.start[r] = sec;
    c.end[r] = sec;
    c.first_ms[r] = receivedMs;
    c.last_ms[r] = receivedMs;
    c.direction[r] = DIRECTION_INGRESS;
    if (this.reject) c.action[r] = ACTION_REJECT;
    c.src_asn[r] = this.srcAs;
    c.dst_asn[r] = this.dstAs;
    this.stats.flows++;
  }

  /** `<agent>/<ifindex>`, built once per agent and interface. */
  private interfaceName(ifIndex: number): string {
    const a = this.agent;
    const t = this.agentTextOf;
    if (this.agentText === '' || a[0] !== t[0] || a[1] !== t[1] || a[2] !== t[2] || a[3] !== t[3]) {
      t.set(a);
      this.agentText = isZeroIp(a, 0) ? '' : formatIp(a, 0);
      let names = this.ifNames.get(this.agentText);
      if (!names) {
        if (this.ifNameCount > IF_NAME_CACHE_LIMIT) {
          this.ifNames.clear();
          this.ifNameCount = 0;
        }
        names = new Map();
        this.ifNames.set(this.agentText, names);
      }
      this.ifNamesOfAgent = names;
    }
    let name = this.ifNamesOfAgent.get(ifIndex);
    if (name === undefined) {
      name = `${this.agentText}/${ifIndex}`;
      this.ifNamesOfAgent.set(ifIndex, name);
      this.ifNameCount++;
    }
    return name;
  }

  private counterSample(b: Uint8Array, p: number, end: number, expanded: boolean, receivedMs: number): void {
    const fixed = expanded ? 16 : 12;
    if (end - p < fixed) return void this.bad('sample_truncated');
    const sequence = u32(b, p);
    let sourceType: number, sourceIndex: number;
    if (expanded) {
      sourceType = u32(b, p + 4);
      sourceIndex = u32(b, p + 8);
    } else {
      const id = u32(b, p + 4);
      sourceType = id >>> 24;
      sourceIndex = id & 0xffffff;
    }
    const count = u32(b, p + fixed - 4);
    p += fixed;
    for (let n = 0; n < count; n++) {
      if (end - p < 8) return void this.bad('record_count');
      const format = u32(b, p);
      const len = u32(b, p + 4);
      p += 8;
      if (len > end - p) return void this.bad('record_overrun');
      if (format === F.COUNTERS_GENERIC_INTERFACE) {
        if (len < F.GENERIC_INTERFACE_BYTES) return void this.bad('record_truncated');
        if (this.counters) this.writeCounters(b, p, sequence, sourceType, sourceIndex, receivedMs);
        this.stats.interfaceCounters++;
      } else {
        this.stats.skippedRecords++;
      }
      p += len;
    }
    if (p !== end) this.stats.trailingBytes++;
  }

  private writeCounters(b: Uint8Array, p: number, sequence: number, sourceType: number, sourceIndex: number, receivedMs: number): void {
    const t = this.counters!.room();
    const r = t.addRow();
    t.timeMs[r] = receivedMs;
    put4(t.agent, r * 4, this.agent);
    t.subAgent[r] = this.subAgent;
    t.sequence[r] = sequence;
    t.sourceIdType[r] = sourceType;
    t.sourceIdIndex[r] = sourceIndex;
    t.ifIndex[r] = u32(b, p);
    t.ifType[r] = u32(b, p + 4);
    t.ifSpeed[r] = u64(b, p + 8);
    t.ifDirection[r] = u32(b, p + 16);
    const status = u32(b, p + 20);
    t.ifAdminUp[r] = status & 1;
    t.ifOperUp[r] = (status >>> 1) & 1;
    t.inOctets[r] = u64(b, p + 24);
    t.inUcastPkts[r] = u32(b, p + 32);
    t.inMulticastPkts[r] = u32(b, p + 36);
    t.inBroadcastPkts[r] = u32(b, p + 40);
    t.inDiscards[r] = u32(b, p + 44);
    t.inErrors[r] = u32(b, p + 48);
    t.inUnknownProtos[r] = u32(b, p + 52);
    t.outOctets[r] = u64(b, p + 56);
    t.outUcastPkts[r] = u32(b, p + 64);
    t.outMulticastPkts[r] = u32(b, p + 68);
    t.outBroadcastPkts[r] = u32(b, p + 72);
    t.outDiscards[r] = u32(b, p + 76);
    t.outErrors[r] = u32(b, p + 80);
    t.promiscuous[r] = u32(b, p + 84);
  }
}
