// Building captures in memory: TCP segments, ICMP messages and a classic pcap file around
// Ethernet frames. Used by the probe's tests (conversations with known counts) and by its
// benchmark (a large capture with many concurrent flows).

import { concat, ethernet, ipv4, ipv6 } from '../packet/frame-builder.js';

export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;

/** A TCP header (20 bytes, checksum left 0: the probe does not verify it) and payload. */
export function tcp(srcPort: number, dstPort: number, flags: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const h = new Uint8Array(20);
  h[0] = srcPort >>> 8;
  h[1] = srcPort & 255;
  h[2] = dstPort >>> 8;
  h[3] = dstPort & 255;
  h[12] = 5 << 4;
  h[13] = flags;
  h[14] = 0xff;
  h[15] = 0xff;
  return concat(h, payload);
}

/** An ICMP (or ICMPv6) header of the given type and code with an 8-byte body. */
export function icmp(type: number, code = 0, id = 1, seq = 1): Uint8Array {
  return Uint8Array.of(type, code, 0, 0, id >>> 8, id & 255, seq >>> 8, seq & 255);
}

export interface FrameSpec {
  srcMac: string;
  dstMac: string;
  src: string;
  dst: string;
  protocol: number;
  /** The transport header and payload (tcp(), udp(), icmp()). */
  l4: Uint8Array;
  vlan?: number;
}

/** An Ethernet frame carrying IPv4 or IPv6 (chosen by the address form). */
export function frame(s: FrameSpec): Uint8Array {
  const v6 = s.src.includes(':');
  const ip = v6 ? ipv6({ src: s.src, dst: s.dst, protocol: s.protocol, payload: s.l4 }) : ipv4({ src: s.src, dst: s.dst, protocol: s.protocol, payload: s.l4 });
  return ethernet(s.dstMac, s.srcMac, v6 ? 0x86dd : 0x0800, ip, s.vlan ? [{ tpid: 0x8100, vid: s.vlan }] : []);
}

export interface CapturedFrame {
  tsMs: number;
  frame: Uint8Array;
  /** On-the-wire length when the frame was cut to a snap length. */
  origLen?: number;
}

/** A classic little-endian pcap file (µs timestamps, Ethernet). */
export function pcapFile(packets: readonly CapturedFrame[], linkType = 1): Uint8Array {
  let size = 24;
  for (const p of packets) size += 16 + p.frame.length;
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, 0xa1b2c3d4, true);
  dv.setUint16(4, 2, true);
  dv.setUint16(6, 4, true);
  dv.setUint32(16, 262144, true);
  dv.setUint32(20, linkType, true);
  let at = 24;
  for (const p of packets) {
    const sec = Math.floor(p.tsMs / 1000);
    dv.setUint32(at, sec, true);
    dv.setUint32(at + 4, Math.round((p.tsMs - sec * 1000) * 1000), true);
    dv.setUint32(at + 8, p.frame.length, true);
    dv.setUint32(at + 12, p.origLen ?? p.frame.length, true);
    out.set(p.frame, at + 16);
    at += 16 + p.frame.length;
  }
  return out;
}
