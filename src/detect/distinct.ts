// Distinct counting per table slot, sized for the common case: most keys (a source and a port,
// say) see a handful of distinct elements, a few see thousands. Each slot starts with a
// 64-bit linear-counting bitmap (Whang et al. 1990; 8 bytes, ±2–3 at the counts of 20–30 the
// one-minute thresholds sit on); once half its bits are set (about 44 elements), the slot takes
// a HyperLogLog block from a shared pool and counts on there, adding what the bitmap had seen.
// An element first seen before the switch and again after it is counted twice, so counts past
// the switch can run somewhat high.

import type { HllPool } from './hyperloglog.js';
import type { KeyTable } from './key-table.js';

const BITS = 64;
const PROMOTE_AT = 32;

export function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** Linear-counting estimate from the number of set bits of a 64-bit map. */
export function linearCount(setBits: number): number {
  if (setBits >= BITS) return BITS * Math.log(BITS); // saturated: a floor, not an estimate
  return -BITS * Math.log((BITS - setBits) / BITS);
}

const AT_SWITCH = -BITS * Math.log((BITS - PROMOTE_AT) / BITS);

const bitsNeeded = new Map<number, number>();

/** The fewest set bits whose linear-counting estimate reaches n. */
function bitsFor(n: number): number {
  let b = bitsNeeded.get(n);
  if (b === undefined) {
    b = 0;
    while (b < BITS && linearCount(b) < n) b++;
    bitsNeeded.set(n, b);
  }
  return b;
}

/** Uses three u32 values of each slot from `u32At`: two bitmap words, then the HLL block + 1. */
export class SlotDistinct {
  constructor(
    private readonly table: KeyTable,
    private readonly u32At: number,
    private readonly pool: HllPool,
  ) {}

  /** Adds an element by its 32-bit hash; returns true when the count may have grown. */
  add(slot: number, elem: number): boolean {
    const u = this.table.u32;
    const base = this.table.at(slot) + this.u32At;
    const block = u[base + 2];
    if (block !== 0) return this.pool.add(block - 1, elem);
    const bit = elem & (BITS - 1);
    const w = base + (bit >>> 5);
    const m = 1 << (bit & 31);
    if ((u[w] & m) !== 0) return false;
    u[w] |= m;
    if (this.setBits(u, base) >= PROMOTE_AT) {
      const b = this.pool.take();
      if (b >= 0) {
        u[base + 2] = b + 1;
        this.pool.add(b, elem);
      }
    }
    return true;
  }

  /**
   * Whether the slot's count has reached `n`, without the logarithm of an estimate while the
   * bitmap has fewer set bits than `n` distinct elements would most likely set.
   */
  reaches(slot: number, n: number): boolean {
    const u = this.table.u32;
    const base = this.table.at(slot) + this.u32At;
    if (u[base + 2] === 0 && this.setBits(u, base) < bitsFor(n)) return false;
    return this.estimate(slot) >= n;
  }

  estimate(slot: number): number {
    const u = this.table.u32;
    const base = this.table.at(slot) + this.u32At;
    const block = u[base + 2];
    if (block !== 0) return AT_SWITCH + this.pool.estimate(block - 1);
    return linearCount(this.setBits(u, base));
  }

  private setBits(u: Uint32Array, base: number): number {
    return popcount32(u[base]) + popcount32(u[base + 1]);
  }
}
