// Per-entity sums over the current window, compared as they grow with a threshold fixed at the
// entity's first record of the window (its cap, or far above its baseline for this hour of the
// week), so an overuse is reported when it happens rather than when the window ends. When the
// window closes, every entity's sum (zero for the silent ones) teaches the baseline.

import type { StringColumn } from '../schema/batch.js';
import type { BaselineSet, Expectation, FarAbove } from './baseline.js';
import { threshold } from './baseline.js';
import { ensureF64, ensureU32 } from './entity-index.js';

export interface VolumeLimits extends FarAbove {
  /** Fixed limit for an entity in bytes per window (a bandwidth cap), or Infinity. */
  cap(entity: string): number;
}

export class WindowVolumes {
  sums = new Float64Array(0);
  flows = new Float64Array(0);
  /** The lower of the cap and the baseline's limit, bytes per window. */
  limit = new Float64Array(0);
  capLimit = new Float64Array(0);
  private limitWindow = new Float64Array(0);
  /** 0: nothing reported this window; 1: over the baseline; 2: over the cap. */
  reported = new Uint32Array(0);
  private remap = new Int32Array(64);
  private readonly e: Expectation = { mean: 0, std: 0, peak: 0, samples: 0, source: 'none' };

  constructor(
    readonly set: BaselineSet,
    private readonly limits: VolumeLimits,
  ) {}

  /** Entity number per code of a batch's string column (-1: empty string or full). */
  codes(col: StringColumn): Int32Array {
    const values = col.dict.values;
    if (this.remap.length < values.length) this.remap = new Int32Array(values.length * 2);
    this.remap[0] = -1;
    for (let i = 1; i < values.length; i++) this.remap[i] = this.set.entity(values[i]);
    this.grow(this.set.size);
    return this.remap;
  }

  private grow(n: number): void {
    if (n <= this.sums.length) return;
    this.sums = ensureF64(this.sums, n);
    this.flows = ensureF64(this.flows, n);
    this.limit = ensureF64(this.limit, n);
    this.capLimit = ensureF64(this.capLimit, n);
    this.limitWindow = ensureF64(this.limitWindow, n, -1);
    this.reported = ensureU32(this.reported, n);
  }

  /**
   * Adds to an entity's sum; returns true when the sum passes a limit for the first time this
   * window (the baseline's, then the cap when that is higher).
   */
  add(entity: number, value: number, windowStart: number): boolean {
    if (this.limitWindow[entity] !== windowStart) this.setLimit(entity, windowStart);
    const s = (this.sums[entity] += value);
    this.flows[entity]++;
    if (s < this.limit[entity]) return false;
    const level = s >= this.capLimit[entity] ? 2 : 1;
    if (level <= this.reported[entity]) return false;
    this.reported[entity] = level;
    return true;
  }

  /** Whether the entity's sum this window is over its cap. */
  overCap(entity: number): boolean {
    return this.sums[entity] >= this.capLimit[entity];
  }

  private setLimit(entity: number, windowStart: number): void {
    this.limitWindow[entity] = windowStart;
    const cap = this.limits.cap(this.set.names[entity]);
    const base = threshold(this.set.expected(entity, windowStart, this.e), this.limits);
    this.limit[entity] = Math.min(cap, base);
    this.capLimit[entity] = cap;
  }

  /** What the baseline expected of the entity in the window starting at `t`. */
  expectation(entity: number, t: number): Expectation {
    return { ...this.set.expected(entity, t, this.e) };
  }

  /**
   * Teaches the baseline the window's sums and starts the next window from zero. A reported sum
   * is learned as its limit: one attack must not become the next window's normal.
   */
  close(windowStart: number): void {
    const { sums, reported, limit } = this;
    this.set.observeWindow(windowStart, (e) => (reported[e] !== 0 ? Math.min(sums[e], limit[e]) : sums[e]));
    const n = this.set.size;
    this.sums.fill(0, 0, n);
    this.flows.fill(0, 0, n);
    this.reported.fill(0, 0, n);
  }

  get bytes(): number {
    return this.sums.byteLength * 5 + this.reported.byteLength;
  }
}
