// Encodes sFlow v5 datagrams (XDR, big-endian, opaque data padded to 4 bytes): for synthetic
// traffic and for building inputs the captures do not contain. Slow path: allocates freely.

import { concat, ipBytes } from '../packet/frame-builder.js';
import * as F from './formats.js';

function be32(v: number): Uint8Array {
  return Uint8Array.of(v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
}

function be64(v: number): Uint8Array {
  return concat(be32(Math.floor(v / 0x100000000)), be32(v >>> 0));
}

function pad4(b: Uint8Array): Uint8Array {
  return b.length % 4 === 0 ? b : concat(b, new Uint8Array(4 - (b.length % 4)));
}

/** An sFlow address: type then 4 or 16 bytes; '' encodes the unknown type with no bytes. */
export function address(text: string): Uint8Array {
  if (text === '') return be32(F.ADDRESS_UNKNOWN);
  const b = ipBytes(text);
  return concat(be32(b.length === 4 ? F.ADDRESS_IPV4 : F.ADDRESS_IPV6), b);
}

/** A sample or record: format word, length word, body (padded). */
export function tlv(format: number, body: Uint8Array): Uint8Array {
  const b = pad4(body);
  return concat(be32(format), be32(b.length), b);
}

export interface DatagramFields {
  agent: string;
  subAgent?: number;
  sequence?: number;
  uptimeMs?: number;
  samples: Uint8Array[];
  /** Overrides the sample count written in the header (to build lying datagrams). */
  sampleCount?: number;
}

export function datagram(d: DatagramFields): Uint8Array {
  return concat(
    be32(F.SFLOW_VERSION),
    address(d.agent),
    be32(d.subAgent ?? 0),
    be32(d.sequence ?? 1),
    be32(d.uptimeMs ?? 0),
    be32(d.sampleCount ?? d.samples.length),
    ...d.samples,
  );
}

export interface FlowSampleFields {
  sequence?: number;
  sourceIdType?: number;
  sourceIdIndex?: number;
  samplingRate: number;
  samplePool?: number;
  drops?: number;
  /** Compact 32-bit interface words (format in the top 2 bits); expanded samples split them. */
  input: number;
  output: number;
  records: Uint8Array[];
  expanded?: boolean;
  recordCount?: number;
}

export function flowSample(s: FlowSampleFields): Uint8Array {
  const count = be32(s.recordCount ?? s.records.length);
  if (s.expanded) {
    const body = concat(
      be32(s.sequence ?? 1),
      be32(s.sourceIdType ?? 0),
      be32(s.sourceIdIndex ?? 0),
      be32(s.samplingRate),
      be32(s.samplePool ?? 0),
      be32(s.drops ?? 0),
      be32(s.input >>> 30),
      be32(s.input & 0x3fffffff),
      be32(s.output >>> 30),
      be32(s.output & 0x3fffffff),
      count,
      ...s.records,
    );
    return tlv(F.SAMPLE_FLOW_EXPANDED, body);
  }
  const body = concat(
    be32(s.sequence ?? 1),
    be32((((s.sourceIdType ?? 0) << 24) | (s.sourceIdIndex ?? 0)) >>> 0),
    be32(s.samplingRate),
    be32(s.samplePool ?? 0),
    be32(s.drops ?? 0),
    be32(s.input),
    be32(s.output),
    count,
    ...s.records,
  );
  return tlv(F.SAMPLE_FLOW, body);
}

export function sampledHeader(headerProtocol: number, frameLength: number, stripped: number, header: Uint8Array): Uint8Array {
  return tlv(F.FLOW_SAMPLED_HEADER, concat(be32(headerProtocol), be32(frameLength), be32(stripped), be32(header.length), pad4(header)));
}

export function sampledIpv4(f: { length: number; protocol: number; src: string; dst: string; srcPort: number; dstPort: number; tcpFlags?: number; tos?: number }): Uint8Array {
  return tlv(F.FLOW_SAMPLED_IPV4, concat(be32(f.length), be32(f.protocol), ipBytes(f.src), ipBytes(f.dst), be32(f.srcPort), be32(f.dstPort), be32(f.tcpFlags ?? 0), be32(f.tos ?? 0)));
}

export function extendedSwitch(srcVlan: number, dstVlan: number): Uint8Array {
  return tlv(F.FLOW_EXTENDED_SWITCH, concat(be32(srcVlan), be32(0), be32(dstVlan), be32(0)));
}

export function extendedGateway(g: { nextHop: string; as: number; srcAs: number; srcPeerAs: number; path: number[][]; communities?: number[]; localPref?: number; segmentCount?: number }): Uint8Array {
  const segs = g.path.map((seg) => concat(be32(2), be32(seg.length), ...seg.map(be32)));
  const comm = g.communities ?? [];
  return tlv(
    F.FLOW_EXTENDED_GATEWAY,
    concat(address(g.nextHop), be32(g.as), be32(g.srcAs), be32(g.srcPeerAs), be32(g.segmentCount ?? segs.length), ...segs, be32(comm.length), ...comm.map(be32), be32(g.localPref ?? 0)),
  );
}

export interface GenericInterfaceCounters {
  ifIndex: number;
  ifType: number;
  ifSpeed: number;
  ifDirection: number;
  ifStatus: number;
  inOctets: number;
  inUcastPkts: number;
  inMulticastPkts: number;
  inBroadcastPkts: number;
  inDiscards: number;
  inErrors: number;
  inUnknownProtos: number;
  outOctets: number;
  outUcastPkts: number;
  outMulticastPkts: number;
  outBroadcastPkts: number;
  outDiscards: number;
  outErrors: number;
  promiscuous: number;
}

export function genericInterfaceCounters(c: GenericInterfaceCounters): Uint8Array {
  return tlv(
    F.COUNTERS_GENERIC_INTERFACE,
    concat(
      be32(c.ifIndex),
      be32(c.ifType),
      be64(c.ifSpeed),
      be32(c.ifDirection),
      be32(c.ifStatus),
      be64(c.inOctets),
      be32(c.inUcastPkts),
      be32(c.inMulticastPkts),
      be32(c.inBroadcastPkts),
      be32(c.inDiscards),
      be32(c.inErrors),
      be32(c.inUnknownProtos),
      be64(c.outOctets),
      be32(c.outUcastPkts),
      be32(c.outMulticastPkts),
      be32(c.outBroadcastPkts),
      be32(c.outDiscards),
      be32(c.outErrors),
      be32(c.promiscuous),
    ),
  );
}

export function countersSample(s: { sequence?: number; sourceIdType?: number; sourceIdIndex: number; records: Uint8Array[]; expanded?: boolean }): Uint8Array {
  if (s.expanded) {
    return tlv(F.SAMPLE_COUNTERS_EXPANDED, concat(be32(s.sequence ?? 1), be32(s.sourceIdType ?? 0), be32(s.sourceIdIndex), be32(s.records.length), ...s.records));
  }
  return tlv(F.SAMPLE_COUNTERS, concat(be32(s.sequence ?? 1), be32((((s.sourceIdType ?? 0) << 24) | s.sourceIdIndex) >>> 0), be32(s.records.length), ...s.records));
}
