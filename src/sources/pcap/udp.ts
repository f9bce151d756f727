// The UDP datagrams inside captured packets: what exporters sent, for replaying captures into
// the NetFlow/IPFIX/sFlow decoders.

import { decodeFrame } from '../packet/decode.js';
import { PacketHeaders } from '../packet/headers.js';
import { PROTO_UDP } from '../packet/decode.js';
import type { CapturedPacket } from './record-parser.js';

export interface UdpPayload {
  tsMs: number;
  /** Addresses as four words, IPv4-mapped for IPv4. */
  src: Uint32Array;
  srcPort: number;
  dst: Uint32Array;
  dstPort: number;
  /** The datagram's payload: a view into the packet's bytes. */
  payload: Uint8Array;
}

/** Why packets yielded no datagram, and how many did. */
export class UdpExtractStats {
  datagrams = 0;
  /** Not IP at all (ARP, LLDP, ...), or a link type the decoder does not know. */
  notIp = 0;
  /** IP but another transport. */
  notUdp = 0;
  /** Fragments after the first: their bytes cannot be placed without reassembly. */
  laterFragments = 0;
  /** First fragments of a datagram split by IP: returned, holding only the start of the payload. */
  firstFragments = 0;
  /** Captured bytes end inside the IP or UDP header. */
  truncated = 0;
}

// Capture replay is single-threaded and the headers are copied out before returning.
const scratch = new PacketHeaders();

/**
 * The UDP datagram a captured packet carries (Ethernet, Linux SLL/SLL2, raw IP, BSD loopback;
 * VLAN tags; IPv4 options; IPv6 extension headers), or undefined. The payload is bounded by the
 * UDP length so that Ethernet padding is not taken for data. Tunnels are not opened: the datagram
 * returned is the outermost one, the one an exporter addressed to a collector.
 */
export function udpPayload(pkt: CapturedPacket, stats?: UdpExtractStats): UdpPayload | undefined {
  const h = scratch;
  const data = pkt.data;
  const isIp = decodeFrame(data, 0, data.length, pkt.linkType, h, 0);
  if (!isIp) {
    if (stats) {
      if (h.truncated && h.etherType !== 0) stats.truncated++;
      else stats.notIp++;
    }
    return undefined;
  }
  if (h.protocol !== PROTO_UDP) {
    if (stats) stats.notUdp++;
    return undefined;
  }
  if (h.fragmentOffset !== 0) {
    if (stats) stats.laterFragments++;
    return undefined;
  }
  if (h.payloadOffset < 0) {
    if (stats) stats.truncated++;
    return undefined;
  }
  let end = data.length;
  if (h.ipTotalLength > 0) end = Math.min(end, h.l3Offset + h.ipTotalLength);
  if (h.udpLength >= 8) end = Math.min(end, h.l4Offset + h.udpLength);
  if (h.moreFragments && stats) stats.firstFragments++;
  if (stats) stats.datagrams++;
  return {
    tsMs: pkt.tsMs,
    src: h.src.slice(),
    srcPort: h.srcPort,
    dst: h.dst.slice(),
    dstPort: h.dstPort,
    payload: data.subarray(h.payloadOffset, Math.max(h.payloadOffset, end)),
  };
}
