// Builds frames from parts (Ethernet with VLAN tags, IPv4, IPv6 with extension headers, UDP,
// VXLAN, MPLS): for synthesising traffic and for wrapping captured frames in the encapsulations
// a test or a simulation needs. Slow path: allocates freely.

import { parseIp } from '../../schema/ip.js';

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function be16(v: number): Uint8Array {
  return Uint8Array.of(v >>> 8, v & 255);
}

function be32(v: number): Uint8Array {
  return Uint8Array.of(v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
}

export function macBytes(text: string): Uint8Array {
  return Uint8Array.from(text.split(/[:-]/).map((h) => parseInt(h, 16)));
}

/** The 16 network-order bytes of an address, or the 4 of an IPv4 address when `v4` is set. */
export function ipBytes(text: string): Uint8Array {
  const w = parseIp(text);
  if (!w) throw new Error(`not an address: ${text}`);
  const out = new Uint8Array(16);
  for (let k = 0; k < 4; k++) out.set(be32(w[k]), 4 * k);
  return text.includes(':') ? out : out.subarray(12);
}

export interface VlanTag {
  tpid: number;
  vid: number;
}

export function ethernet(dst: string, src: string, etherType: number, payload: Uint8Array, tags: VlanTag[] = []): Uint8Array {
  return concat(macBytes(dst), macBytes(src), ...tags.flatMap((t) => [be16(t.tpid), be16(t.vid & 0x0fff)]), be16(etherType), payload);
}

/** Inserts VLAN tags into an Ethernet frame, after its MAC addresses (outermost first). */
export function withVlanTags(frame: Uint8Array, tags: VlanTag[]): Uint8Array {
  return concat(frame.subarray(0, 12), ...tags.flatMap((t) => [be16(t.tpid), be16(t.vid & 0x0fff)]), frame.subarray(12));
}

function checksum(b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < b.length; i += 2) s += (b[i] << 8) | (b[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

export interface Ipv4Options {
  src: string;
  dst: string;
  protocol: number;
  payload: Uint8Array;
  ttl?: number;
  id?: number;
  tos?: number;
  dontFragment?: boolean;
  moreFragments?: boolean;
  /** In bytes, a multiple of 8. */
  fragmentOffset?: number;
  /** Raw option bytes, padded here to a multiple of 4. */
  options?: Uint8Array;
}

export function ipv4(o: Ipv4Options): Uint8Array {
  const opts = o.options ?? new Uint8Array(0);
  const optLen = (opts.length + 3) & ~3;
  const h = new Uint8Array(20 + optLen);
  h[0] = 0x40 | ((20 + optLen) / 4);
  h[1] = o.tos ?? 0;
  h.set(be16(h.length + o.payload.length), 2);
  h.set(be16(o.id ?? 0), 4);
  h.set(be16((o.dontFragment ? 0x4000 : 0) | (o.moreFragments ? 0x2000 : 0) | ((o.fragmentOffset ?? 0) / 8)), 6);
  h[8] = o.ttl ?? 64;
  h[9] = o.protocol;
  h.set(ipBytes(o.src), 12);
  h.set(ipBytes(o.dst), 16);
  h.set(opts, 20);
  h.set(be16(checksum(h)), 10);
  return concat(h, o.payload);
}

export interface Ipv6Extension {
  /** 0 hop-by-hop, 43 routing, 44 fragment, 51 AH, 60 destination options. */
  type: number;
  /** Body after the next-header and length bytes (for fragment: offset/flags and id, 6 bytes). */
  body: Uint8Array;
}

export interface Ipv6Options {
  src: string;
  dst: string;
  protocol: number;
  payload: Uint8Array;
  hopLimit?: number;
  trafficClass?: number;
  flowLabel?: number;
  extensions?: Ipv6Extension[];
}

export function ipv6(o: Ipv6Options): Uint8Array {
  const exts = o.extensions ?? [];
  const parts: Uint8Array[] = [];
  exts.forEach((e, i) => {
    const next = i + 1 < exts.length ? exts[i + 1].type : o.protocol;
    if (e.type === 44) {
      parts.push(concat(Uint8Array.of(next, 0), e.body.subarray(0, 6)));
      return;
    }
    const unit = e.type === 51 ? 4 : 8;
    const total = Math.ceil((2 + e.body.length) / unit) * unit;
    const b = new Uint8Array(Math.max(total, 8));
    b[0] = next;
    b[1] = e.type === 51 ? b.length / 4 - 2 : b.length / 8 - 1;
    b.set(e.body, 2);
    parts.push(b);
  });
  const ext = concat(...parts);
  const h = new Uint8Array(40);
  const tc = o.trafficClass ?? 0;
  const fl = o.flowLabel ?? 0;
  h.set(be32((6 << 28) | (tc << 20) | fl), 0);
  h.set(be16(ext.length + o.payload.length), 4);
  h[6] = exts.length > 0 ? exts[0].type : o.protocol;
  h[7] = o.hopLimit ?? 64;
  h.set(ipBytes(o.src), 8);
  h.set(ipBytes(o.dst), 24);
  return concat(h, ext, o.payload);
}

/** A UDP header (checksum 0, which IPv4 allows) and its payload. */
export function udp(srcPort: number, dstPort: number, payload: Uint8Array): Uint8Array {
  return concat(be16(srcPort), be16(dstPort), be16(8 + payload.length), be16(0), payload);
}

/** A VXLAN header (I flag set) followed by the inner Ethernet frame. */
export function vxlan(vni: number, innerFrame: Uint8Array): Uint8Array {
  return concat(Uint8Array.of(0x08, 0, 0, 0), be32(vni << 8), innerFrame);
}

/** An MPLS label stack (top label first; the last gets the bottom-of-stack bit) over `payload`. */
export function mpls(labels: number[], payload: Uint8Array): Uint8Array {
  return concat(...labels.map((l, i) => be32(((l & 0xfffff) << 12) | (i === labels.length - 1 ? 0x100 : 0) | 64)), payload);
}
