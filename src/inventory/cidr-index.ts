// Longest-prefix lookup of 128-bit addresses. The prefixes are flattened once into disjoint,
// sorted ranges, each carrying the most specific prefix that covers it; a lookup is then a
// binary search over four-word keys, with no allocation.

import { compareIp, type Cidr } from '../schema/ip.js';

/** The 128-bit value of the address at w[o..o+3]. */
export const toBig = (w: Uint32Array, o = 0): bigint =>
  (BigInt(w[o]) << 96n) | (BigInt(w[o + 1]) << 64n) | (BigInt(w[o + 2]) << 32n) | BigInt(w[o + 3]);

function putBig(v: bigint, w: Uint32Array, o: number): void {
  for (let k = 3; k >= 0; k--) {
    w[o + k] = Number(v & 0xffffffffn);
    v >>= 32n;
  }
}

interface Prefix<T> {
  lo: bigint;
  hi: bigint;
  value: T;
  order: number;
}

export class CidrIndex<T> {
  private prefixes: Prefix<T>[] = [];
  private starts = new Uint32Array(0);
  private ends = new Uint32Array(0);
  private values: T[] = [];
  private built = true;

  /** Adds a prefix; where prefixes overlap the most specific wins, and on a tie the first added. */
  add(range: Cidr, value: T): void {
    this.prefixes.push({ lo: toBig(range.lo, 0), hi: toBig(range.hi, 0), value, order: this.prefixes.length });
    this.built = false;
  }

  get size(): number {
    return this.prefixes.length;
  }

  /** The value of the most specific prefix containing the address at `w[o..o+3]`. */
  lookup(w: Uint32Array, o = 0): T | undefined {
    if (!this.built) this.build();
    const s = this.starts;
    // Last range whose start is <= the address.
    let lo = 0;
    let hi = this.values.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (compareIp(s, mid * 4, w, o) <= 0) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0 || compareIp(this.ends, found * 4, w, o) < 0) return undefined;
    return this.values[found];
  }

  private build(): void {
    // Outer prefixes before the ones nested in them; equal prefixes in insertion order.
    const ps = [...this.prefixes].sort((a, b) => (a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : a.hi > b.hi ? -1 : a.hi < b.hi ? 1 : a.order - b.order));
    const segLo: bigint[] = [];
    const segHi: bigint[] = [];
    const segVal: T[] = [];
    const emit = (lo: bigint, hi: bigint, v: T) => {
      if (lo <= hi) {
        segLo.push(lo);
        segHi.push(hi);
        segVal.push(v);
      }
    };
    const stack: Prefix<T>[] = [];
    let cur = 0n;
    for (const p of ps) {
      while (stack.length > 0 && stack[stack.length - 1].hi < p.lo) {
        const top = stack.pop()!;
        emit(cur, top.hi, top.value);
        cur = top.hi + 1n;
      }
      const top = stack[stack.length - 1];
      // An identical prefix added later never wins.
      if (top && top.lo === p.lo && top.hi === p.hi) continue;
      if (top) emit(cur, p.lo - 1n, top.value);
      cur = p.lo;
      stack.push(p);
    }
    while (stack.length > 0) {
      const top = stack.pop()!;
      emit(cur, top.hi, top.value);
      cur = top.hi + 1n;
    }
    this.starts = new Uint32Array(segLo.length * 4);
    this.ends = new Uint32Array(segLo.length * 4);
    for (let i = 0; i < segLo.length; i++) {
      putBig(segLo[i], this.starts, i * 4);
      putBig(segHi[i], this.ends, i * 4);
    }
    this.values = segVal;
    this.built = true;
  }
}
