// A sampled frame section (IPFIX dataLinkFrameSection, IE 315) carries the packet itself instead
// of decoded fields: the packet header decoder reads it, and the columns the record left empty are
// filled from it. IP-in-IP (as SRv6 carries IPv4 or IPv6 after its routing header) is opened so the
// flow is the inner packet's, the one the traffic belongs to.

import { decodeFrame } from '../packet/decode.js';
import { PacketHeaders } from '../packet/headers.js';
import { LINKTYPE_ETHERNET, LINKTYPE_RAW } from '../packet/link-types.js';
import type { Columns } from './columns.js';
import { HAS_DST_ADDR, HAS_MACS, HAS_PORTS, HAS_PROTO, HAS_SRC_ADDR, HAS_TCP_FLAGS, HAS_VLAN } from './template.js';

const PROTO_IPIP = 4;
const PROTO_IPV6 = 41;
/** IP-in-IP layers opened before giving up on a frame. */
const MAX_ENCAPSULATIONS = 3;

// Decoding is single-threaded; the fields are copied into the batch before the next frame.
const outer = new PacketHeaders();
const inner = new PacketHeaders();

/**
 * Fills the row from the frame and returns the IP packet's length (of the inner packet when
 * tunnelled), 0 when the frame holds no IP header: NetFlow and IPFIX count octets at layer 3.
 */
export function fillFromFrame(d: Uint8Array, start: number, length: number, c: Columns, row: number, provided: number): number {
  const isIp = decodeFrame(d, start, length, LINKTYPE_ETHERNET, outer, 0);
  if (!(provided & HAS_MACS)) {
    c.src_mac[row] = outer.srcMac;
    c.dst_mac[row] = outer.dstMac;
  }
  if (!(provided & HAS_VLAN)) c.vlan[row] = outer.vlan;
  if (!isIp) return 0;
  let h = outer;
  const end = Math.min(d.length, start + length);
  for (let depth = 0; depth < MAX_ENCAPSULATIONS && (h.protocol === PROTO_IPIP || h.protocol === PROTO_IPV6) && h.l4Offset >= 0; depth++) {
    const at = h.l4Offset;
    if (!decodeFrame(d, at, end - at, LINKTYPE_RAW, inner, 0)) break;
    outer.copyLayersFrom(inner);
    h = outer;
  }
  const a = row << 2;
  if (!(provided & HAS_SRC_ADDR)) c.src_addr.set(h.src, a);
  if (!(provided & HAS_DST_ADDR)) c.dst_addr.set(h.dst, a);
  if (!(provided & HAS_PROTO)) c.protocol[row] = h.protocol;
  if (!(provided & HAS_PORTS)) {
    c.src_port[row] = h.srcPort;
    c.dst_port[row] = h.dstPort;
  }
  if (!(provided & HAS_TCP_FLAGS)) c.tcp_flags[row] = h.tcpFlags;
  return h.ipTotalLength;
}
