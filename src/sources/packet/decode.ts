// One decoder for L2–L4 headers, shared by sFlow sampled headers, capture files and the probe.
// It reads as far as the bytes go: sampled headers are cut at 128 bytes or less, so running out
// of bytes is normal and only flagged, never an error. Every loop over headers is bounded, so a
// crafted frame cannot make it spin or recurse.

import { setV4, setV6Bytes } from '../../schema/ip.js';
import { TUNNEL_VXLAN, type LayerHeaders, type PacketHeaders } from './headers.js';
import {
  LINKTYPE_ETHERNET,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_LOOP,
  LINKTYPE_NULL,
  LINKTYPE_RAW,
  LINKTYPE_RAW_BSD,
  LINKTYPE_RAW_OPENBSD,
} from './link-types.js';

/** Decode flag: look inside VXLAN (UDP 4789) and report the inner frame. */
export const DECODE_TUNNELS = 1;

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;
const ETHERTYPE_QINQ_OLD = 0x9100;
const ETHERTYPE_MPLS = 0x8847;
const ETHERTYPE_MPLS_MULTICAST = 0x8848;
const ETHERTYPE_PPPOE_SESSION = 0x8864;

export const PROTO_ICMP = 1;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;
export const PROTO_GRE = 47;
export const PROTO_ICMPV6 = 58;
const PROTO_DCCP = 33;
const PROTO_SCTP = 132;
const PROTO_UDPLITE = 136;

export const VXLAN_PORT = 4789;

const MAX_VLAN_TAGS = 4;
const MAX_MPLS_LABELS = 8;
const MAX_IPV6_EXTENSIONS = 8;

function u16(b: Uint8Array, p: number): number {
  return (b[p] << 8) | b[p + 1];
}

function u32(b: Uint8Array, p: number): number {
  return ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
}

function mac(b: Uint8Array, p: number): number {
  return u16(b, p) * 0x100000000 + u32(b, p + 2);
}

/**
 * Decodes the headers of the frame in bytes[offset, offset+length) whose first header is of
 * `linkType` into `out` (reset first). Returns true when an IP header was decoded, i.e. the
 * addresses and protocol are meaningful; MACs and VLANs may be set either way. `out.truncated`
 * and `out.malformed` say whether decoding stopped early.
 */
export function decodeFrame(bytes: Uint8Array, offset: number, length: number, linkType: number, out: PacketHeaders, flags = DECODE_TUNNELS): boolean {
  out.reset();
  const end = Math.min(bytes.length, offset + Math.max(0, length));
  const p = offset;
  switch (linkType) {
    case LINKTYPE_ETHERNET:
      decodeEthernet(bytes, p, end, out, flags, 0);
      break;
    case LINKTYPE_RAW:
    case LINKTYPE_RAW_BSD:
    case LINKTYPE_RAW_OPENBSD:
    case LINKTYPE_IPV4:
    case LINKTYPE_IPV6:
      decodeIp(bytes, p, end, out, flags, 0);
      break;
    case LINKTYPE_NULL:
    case LINKTYPE_LOOP:
      // The 4-byte address family is in the writer's byte order for NULL and the values differ
      // between systems (AF_INET6 is 10, 24, 28 or 30), so the IP version nibble decides.
      if (end - p < 4) out.truncated = true;
      else decodeIp(bytes, p + 4, end, out, flags, 0);
      break;
    case LINKTYPE_LINUX_SLL:
      if (end - p < 16) {
        out.truncated = true;
        break;
      }
      if (u16(bytes, p + 4) === 6) out.srcMac = mac(bytes, p + 6);
      decodeEtherType(bytes, p + 16, end, u16(bytes, p + 14), out, flags, 0);
      break;
    case LINKTYPE_LINUX_SLL2:
      if (end - p < 20) {
        out.truncated = true;
        break;
      }
      if (bytes[p + 11] === 6) out.srcMac = mac(bytes, p + 12);
      decodeEtherType(bytes, p + 20, end, u16(bytes, p), out, flags, 0);
      break;
    default:
      out.unsupportedLink = true;
  }
  return out.ipVersion !== 0;
}

function decodeEthernet(b: Uint8Array, p: number, end: number, out: PacketHeaders, flags: number, depth: number): void {
  if (end - p < 14) {
    out.truncated = true;
    return;
  }
  out.dstMac = mac(b, p);
  out.srcMac = mac(b, p + 6);
  let type = u16(b, p + 12);
  p += 14;
  if (type < 0x0600) {
    // 802.3 length field: only an LLC/SNAP header with a zero OUI carries an EtherType.
    if (end - p < 8) {
      out.truncated = true;
      return;
    }
    if (b[p] !== 0xaa || b[p + 1] !== 0xaa || b[p + 2] !== 0x03 || b[p + 3] !== 0 || b[p + 4] !== 0 || b[p + 5] !== 0) return;
    type = u16(b, p + 6);
    p += 8;
  }
  decodeEtherType(b, p, end, type, out, flags, depth);
}

/** Everything after an EtherType: VLAN tags, MPLS labels and PPPoE, then IP. */
function decodeEtherType(b: Uint8Array, p: number, end: number, type: number, out: PacketHeaders, flags: number, depth: number): void {
  while (type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ || type === ETHERTYPE_QINQ_OLD) {
    if (out.vlanTags >= MAX_VLAN_TAGS) {
      out.malformed = true;
      out.etherType = type;
      return;
    }
    if (end - p < 4) {
      out.truncated = true;
      out.etherType = type;
      return;
    }
    const vid = u16(b, p) & 0x0fff;
    if (out.vlanTags === 0) out.vlan = vid;
    else if (out.vlanTags === 1) out.innerVlan = vid;
    out.vlanTags++;
    type = u16(b, p + 2);
    p += 4;
  }
  out.etherType = type;
  switch (type) {
    case ETHERTYPE_IPV4:
    case ETHERTYPE_IPV6:
      decodeIp(b, p, end, out, flags, depth);
      return;
    case ETHERTYPE_MPLS:
    case ETHERTYPE_MPLS_MULTICAST:
      decodeMpls(b, p, end, out, flags, depth);
      return;
    case ETHERTYPE_PPPOE_SESSION: {
      if (end - p < 8) {
        out.truncated = true;
        return;
      }
      const ppp = u16(b, p + 6);
      if (ppp === 0x0021) {
        out.etherType = ETHERTYPE_IPV4;
        decodeIp(b, p + 8, end, out, flags, depth);
      } else if (ppp === 0x0057) {
        out.etherType = ETHERTYPE_IPV6;
        decodeIp(b, p + 8, end, out, flags, depth);
      }
      return;
    }
  }
}

function decodeMpls(b: Uint8Array, p: number, end: number, out: PacketHeaders, flags: number, depth: number): void {
  for (;;) {
    if (out.mplsLabels >= MAX_MPLS_LABELS) {
      out.malformed = true;
      return;
    }
    if (end - p < 4) {
      out.truncated = true;
      return;
    }
    if (out.mplsLabels === 0) out.mplsTopLabel = u32(b, p) >>> 12;
    out.mplsLabels++;
    const bottom = (b[p + 2] & 1) === 1;
    p += 4;
    if (bottom) break;
  }
  // MPLS does not say what it carries; an IP header announces itself by its version nibble.
  if (end - p < 1) {
    out.truncated = true;
    return;
  }
  const v = b[p] >> 4;
  if (v === 4) out.etherType = ETHERTYPE_IPV4;
  else if (v === 6) out.etherType = ETHERTYPE_IPV6;
  else return;
  decodeIp(b, p, end, out, flags, depth);
}

/** An IP header of either version, told apart by its first nibble. */
function decodeIp(b: Uint8Array, p: number, end: number, out: PacketHeaders, flags: number, depth: number): void {
  if (end - p < 1) {
    out.truncated = true;
    return;
  }
  const v = b[p] >> 4;
  if (v === 4) decodeIpv4(b, p, end, out, flags, depth);
  else if (v === 6) decodeIpv6(b, p, end, out, flags, depth);
  else out.malformed = true;
}

function decodeIpv4(b: Uint8Array, p: number, end: number, out: PacketHeaders, flags: number, depth: number): void {
  if (end - p < 20) {
    out.truncated = true;
    return;
  }
  const ihl = (b[p] & 15) * 4;
  if (ihl < 20) {
    out.malformed = true;
    return;
  }
  out.etherType = ETHERTYPE_IPV4;
  out.ipVersion = 4;
  out.l3Offset = p;
  out.tos = b[p + 1];
  const total = u16(b, p + 2);
  out.ipTotalLength = total;
  out.ipId = u16(b, p + 4);
  const frag = u16(b, p + 6);
  out.dontFragment = (frag & 0x4000) !== 0;
  out.moreFragments = (frag & 0x2000) !== 0;
  out.fragmentOffset = (frag & 0x1fff) * 8;
  out.ttl = b[p + 8];
  out.protocol = b[p + 9];
  setV4(out.src, 0, u32(b, p + 12));
  setV4(out.dst, 0, u32(b, p + 16));
  if (end - p < ihl) {
    out.truncated = true;
    return;
  }
  if (out.fragmentOffset !== 0) return;
  // The header's length bounds the transport (Ethernet pads short frames); 0 means offload.
  const ipEnd = total >= ihl ? Math.min(end, p + total) : end;
  decodeTransport(b, p + ihl, ipEnd, out.protocol, out, flags, depth);
}

function decodeIpv6(b: Uint8Array, p: number, end: number, out: PacketHeaders, flags: number, depth: number): void {
  if (end - p < 40) {
    out.truncated = true;
    return;
  }
  out.etherType = ETHERTYPE_IPV6;
  out.ipVersion = 6;
  out.l3Offset = p;
  out.tos = ((b[p] & 15) << 4) | (b[p + 1] >> 4);
  out.flowLabel = ((b[p + 1] & 15) << 16) | (b[p + 2] << 8) | b[p + 3];
  const payload = u16(b, p + 4);
  out.ipTotalLength = payload === 0 ? 0 : payload + 40;
  out.ttl = b[p + 7];
  setV6Bytes(out.src, 0, b, p + 8);
  setV6Bytes(out.dst, 0, b, p + 24);
  const ipEnd = payload === 0 ? end : Math.min(end, p + 40 + payload);
  let next = b[p + 6];
  let q = p + 40;
  for (let n = 0; ; n++) {
    let len: number;
    switch (next) {
      case 0: // hop-by-hop options
      case 43: // routing
      case 60: // destination options
      case 135: // mobility
      case 139: // HIP
      case 140: // shim6
        if (ipEnd - q < 2) return truncatedAt(out, next);
        len = (b[q + 1] + 1) * 8;
        break;
      case 51: // AH counts its length in 4-byte words, minus 2
        if (ipEnd - q < 2) return truncatedAt(out, next);
        len = (b[q + 1] + 2) * 4;
        break;
      case 44: // fragment
        if (ipEnd - q < 8) return truncatedAt(out, next);
        len = 8;
        out.fragmentOffset = u16(b, q + 2) & 0xfff8;
        out.moreFragments = (b[q + 3] & 1) === 1;
        out.ipId = u32(b, q + 4);
        break;
      default:
        out.protocol = next;
        if (out.fragmentOffset === 0) decodeTransport(b, q, ipEnd, next, out, flags, depth);
        return;
    }
    if (n >= MAX_IPV6_EXTENSIONS) {
      out.malformed = true;
      out.protocol = next;
      return;
    }
    if (ipEnd - q < len) return truncatedAt(out, next);
    next = b[q];
    q += len;
  }
}

function truncatedAt(out: PacketHeaders, protocol: number): void {
  out.protocol = protocol;
  out.truncated = true;
}

/**
 * Decodes a transport header of `protocol` at bytes[p, end) into `out` (ports, TCP flags,
 * ICMP type/code). Exported for callers that hold a bare transport header.
 */
export function decodeTransport(b: Uint8Array, p: number, end: number, protocol: number, out: PacketHeaders, flags = 0, depth = 0): void {
  out.l4Offset = p;
  const avail = end - p;
  switch (protocol) {
    case PROTO_TCP:
      if (avail < 4) return void (out.truncated = true);
      out.srcPort = u16(b, p);
      out.dstPort = u16(b, p + 2);
      if (avail < 14) return void (out.truncated = true);
      out.tcpFlags = b[p + 13];
      if (avail < 20) return void (out.truncated = true);
      {
        const hl = (b[p + 12] >> 4) * 4;
        if (hl < 20) return void (out.malformed = true);
        out.payloadOffset = p + hl;
        if (avail < hl) out.truncated = true;
      }
      return;
    case PROTO_UDP:
    case PROTO_UDPLITE:
      if (avail < 4) return void (out.truncated = true);
      out.srcPort = u16(b, p);
      out.dstPort = u16(b, p + 2);
      if (avail < 8) return void (out.truncated = true);
      out.udpLength = u16(b, p + 4);
      out.payloadOffset = p + 8;
      if (out.dstPort === VXLAN_PORT && protocol === PROTO_UDP && depth === 0 && (flags & DECODE_TUNNELS) !== 0) {
        decodeVxlan(b, p + 8, end, out, flags);
      }
      return;
    case PROTO_SCTP:
    case PROTO_DCCP:
      if (avail < 4) return void (out.truncated = true);
      out.srcPort = u16(b, p);
      out.dstPort = u16(b, p + 2);
      return;
    case PROTO_ICMP:
    case PROTO_ICMPV6:
      if (avail < 2) return void (out.truncated = true);
      out.srcPort = 0;
      out.dstPort = (b[p] << 8) | b[p + 1];
      if (avail >= 8) out.payloadOffset = p + 8;
      return;
  }
}

/** VXLAN (RFC 7348): an Ethernet frame after an 8-byte header whose I flag marks a valid VNI. */
function decodeVxlan(b: Uint8Array, p: number, end: number, out: PacketHeaders, flags: number): void {
  if (end - p < 8) return void (out.truncated = true);
  if ((b[p] & 0x08) === 0) return;
  const outer: LayerHeaders = out.outer;
  outer.copyLayersFrom(out);
  out.tunnel = TUNNEL_VXLAN;
  out.vni = (b[p + 4] << 16) | (b[p + 5] << 8) | b[p + 6];
  out.clearLayers();
  decodeEthernet(b, p + 8, end, out, flags, 1);
  // An inner frame cut before its IP header says less than the carrier: report the carrier's
  // addresses and keep the tunnel marker, so the row still names real endpoints.
  if (out.ipVersion === 0) out.copyLayersFrom(outer);
}
