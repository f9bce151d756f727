// How a reply's ports relate to its request's, in the flow record's conventions: TCP, UDP and
// SCTP swap the ports; ICMP keeps the identifier in the source port and answers an echo (or
// timestamp, information, address-mask) request with the matching reply type.

const ICMP_REPLY_OF: Record<number, number> = { 8: 0, 13: 14, 15: 16, 17: 18 };
const ICMP6_REPLY_OF: Record<number, number> = { 128: 129 };
const ICMP_REQUEST_OF: Record<number, number> = { 0: 8, 14: 13, 16: 15, 18: 17 };
const ICMP6_REQUEST_OF: Record<number, number> = { 129: 128 };

function swapsPorts(protocol: number): boolean {
  return protocol === 6 || protocol === 17 || protocol === 132;
}

function icmpMap(protocol: number, dstPort: number, v4: Record<number, number>, v6: Record<number, number>): number {
  const type = dstPort >>> 8;
  const table = protocol === 1 ? v4 : v6;
  const t = table[type];
  return t === undefined ? dstPort : (t << 8) | (dstPort & 255);
}

export function replySrcPort(protocol: number, srcPort: number, dstPort: number): number {
  return swapsPorts(protocol) ? dstPort : protocol === 1 || protocol === 58 ? srcPort : 0;
}

export function replyDstPort(protocol: number, srcPort: number, dstPort: number): number {
  if (swapsPorts(protocol)) return srcPort;
  if (protocol === 1 || protocol === 58) return icmpMap(protocol, dstPort, ICMP_REPLY_OF, ICMP6_REPLY_OF);
  return 0;
}

/** The destination port of the request a reply answers (what the request's rules matched). */
export function requestDstPort(protocol: number, replySrc: number, replyDst: number): number {
  if (swapsPorts(protocol)) return replySrc;
  if (protocol === 1 || protocol === 58) return icmpMap(protocol, replyDst, ICMP_REQUEST_OF, ICMP6_REQUEST_OF);
  return 0;
}
