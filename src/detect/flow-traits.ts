// What a detector asks of a single flow record, answered from the batch's columns without
// allocating: did the connection attempt fail, is the destination a broadcast or multicast
// group, is an address outside every private range.

import type { FlowBatch, FlowColumns } from '../schema/batch.js';

export const TCP = 6;
export const UDP = 17;
export const SYN = 2;
export const RST = 4;
export const ACK = 16;
export const ACTION_REJECT = 1;
export const INGRESS = 0;
export const EGRESS = 1;

const TWO_40 = 1099511627776;

/**
 * A connection attempt that got nowhere: rejected by policy, or a TCP attempt that never saw
 * an ACK from its side (a SYN with no answer, or SYN then RST as half-open scanners send).
 * Without flags (sources that do not report them) a tiny TCP flow from a high port to a
 * lower one counts as an attempt, as scanners' probes look.
 */
export function failedAttempt(c: FlowColumns, r: number): boolean {
  if (c.action[r] === ACTION_REJECT) return true;
  if (c.protocol[r] !== TCP) return false;
  const f = c.tcp_flags[r];
  if (f !== 0) return (f & ACK) === 0 && (f & (SYN | RST)) !== 0;
  const p = c.packets[r];
  return p > 0 && p <= 3 && c.bytes[r] <= p * 80 && c.dst_port[r] < c.src_port[r];
}

/** The destination MAC is a group address, or the destination IP is multicast or broadcast. */
export function broadcastOrMulticast(b: FlowBatch, r: number): boolean {
  const c = b.cols;
  const mac = c.dst_mac[r];
  if (mac !== 0 && (Math.floor(mac / TWO_40) & 1) === 1) return true;
  const w = c.dst_addr;
  const o = r * 4;
  if (w[o] === 0 && w[o + 1] === 0 && w[o + 2] === 0xffff) {
    const a = w[o + 3];
    return a >>> 28 === 0xe || a === 0xffffffff;
  }
  return w[o] >>> 24 === 0xff;
}

/** Whether the address at w[o..o+3] is in a private, shared, loopback, link-local or multicast range. */
export function privateOrSpecial(w: Uint32Array, o: number): boolean {
  if (w[o] === 0 && w[o + 1] === 0 && w[o + 2] === 0xffff) {
    const a = w[o + 3];
    const top = a >>> 24;
    if (top === 10 || top === 127 || top === 0 || top >= 224) return true;
    if (a >>> 20 === 0xac1) return true; // 172.16.0.0/12
    if (a >>> 16 === 0xc0a8) return true; // 192.168.0.0/16
    if (a >>> 22 === 0x191) return true; // 100.64.0.0/10
    return a >>> 16 === 0xa9fe; // 169.254.0.0/16
  }
  const h = w[o] >>> 16;
  if (h >= 0xfc00 && h <= 0xfdff) return true; // unique local
  if ((h & 0xffc0) === 0xfe80) return true; // link-local
  if (h >>> 8 === 0xff) return true; // multicast
  return w[o] === 0 && w[o + 1] === 0 && w[o + 2] === 0; // ::, ::1 and IPv4-compatible
}

/**
 * Ranges that count as inside the network besides the private ones (VPC CIDRs with public
 * addresses, say), as IPv4 [lo, hi] pairs; few enough for a linear scan.
 */
export class InsideRanges {
  private lo = new Uint32Array(0);
  private hi = new Uint32Array(0);

  constructor(ranges: readonly { lo: Uint32Array; hi: Uint32Array }[] = []) {
    this.set(ranges);
  }

  /** Replaces the ranges (the inventory changed). */
  set(ranges: readonly { lo: Uint32Array; hi: Uint32Array }[]): void {
    const v4 = ranges.filter((r) => r.lo[0] === 0 && r.lo[1] === 0 && r.lo[2] === 0xffff);
    this.lo = Uint32Array.from(v4.map((r) => r.lo[3]));
    this.hi = Uint32Array.from(v4.map((r) => r.hi[3]));
  }

  /** Whether the address is inside: private or in one of the ranges. */
  inside(w: Uint32Array, o: number): boolean {
    if (privateOrSpecial(w, o)) return true;
    if (this.lo.length === 0 || w[o + 2] !== 0xffff || w[o] !== 0 || w[o + 1] !== 0) return false;
    const a = w[o + 3];
    for (let i = 0; i < this.lo.length; i++) if (a >= this.lo[i] && a <= this.hi[i]) return true;
    return false;
  }
}
