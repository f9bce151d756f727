// Baselines: what is normal for an entity (an interface, subnet, VPC or port) at this hour of
// the week. One `BaselineSet` holds one metric (bytes sent per window, say) for many entities:
// a profile of 168 hour-of-week cells per entity, plus a "recent" profile that answers while
// the hour-of-week cells are still filling (the first week of a new entity). Both are
// exponentially weighted, so they keep learning: a cell averages its first samples equally,
// then gives each new one a fixed weight (about the last `weeks` weeks of that hour).
//
// Values are per window of `windowSeconds`; one sample per entity per window, zeros included
// (`observeWindow`), so quiet windows pull the mean down as they should.

import { EntityIndex } from './entity-index.js';

export const HOURS_PER_WEEK = 168;

/** Hour of the week, 0 = Monday 00:00-01:00 UTC (the unix epoch fell on a Thursday). */
export function hourOfWeek(t: number): number {
  return (Math.floor(t / 3600) + 72) % HOURS_PER_WEEK;
}

export interface BaselineOptions {
  windowSeconds: number;
  /** Weeks a hour-of-week cell remembers; default 4. */
  weeks?: number;
  /** Windows the recent profile remembers; default 60. */
  recentWindows?: number;
  /** Samples a cell (or the recent profile) needs before it answers; default 30. */
  minSamples?: number;
  /** Days over which the remembered peak halves; default 7. */
  peakHalfLifeDays?: number;
  /** Entities tracked at most; more are not learned (counted). */
  maxEntities?: number;
}

export interface Expectation {
  mean: number;
  std: number;
  /** Largest value seen lately (decaying), whatever the hour. */
  peak: number;
  samples: number;
  /** Which profile answered. */
  source: 'hour_of_week' | 'recent' | 'none';
}

const CELL_CAP = 65535;

export class BaselineSet {
  readonly windowSeconds: number;
  readonly minSamples: number;
  private readonly index: EntityIndex;
  private readonly cellLimit: number;
  private readonly recentLimit: number;
  private cellN = new Uint16Array(0);
  private cellMean = new Float32Array(0);
  private cellVar = new Float32Array(0);
  private recentN = new Uint32Array(0);
  private recentMean = new Float64Array(0);
  private recentVar = new Float64Array(0);
  private peak = new Float64Array(0);
  private readonly peakDecay: number;
  /** Record time (window start) of the last sample, for persistence and gap filling. */
  lastWindow = 0;

  constructor(
    readonly name: string,
    opts: BaselineOptions,
  ) {
    this.windowSeconds = opts.windowSeconds;
    this.minSamples = opts.minSamples ?? 30;
    this.index = new EntityIndex(opts.maxEntities ?? 20_000);
    this.cellLimit = Math.max(1, Math.round(((opts.weeks ?? 4) * 3600) / opts.windowSeconds));
    this.recentLimit = opts.recentWindows ?? 60;
    this.peakDecay = Math.pow(0.5, opts.windowSeconds / ((opts.peakHalfLifeDays ?? 7) * 86400));
  }

  get size(): number {
    return this.index.size;
  }

  get names(): readonly string[] {
    return this.index.names;
  }

  get maxEntities(): number {
    return this.index.maxEntities;
  }

  /** Entities refused because the set was full. */
  get refused(): number {
    return this.index.refused;
  }

  get bytes(): number {
    return this.cellN.byteLength + this.cellMean.byteLength + this.cellVar.byteLength + this.recentN.byteLength + this.recentMean.byteLength + this.recentVar.byteLength + this.peak.byteLength;
  }

  /** The entity's number, creating its (empty) profile; -1 when the set is full. */
  entity(name: string): number {
    const id = this.index.id(name);
    if (id >= 0) this.grow(id + 1);
    return id;
  }

  lookup(name: string): number | undefined {
    return this.index.lookup(name);
  }

  private grow(n: number): void {
    if (n <= this.recentN.length) return;
    let len = Math.max(16, this.recentN.length);
    while (len < n) len *= 2;
    const g = <T extends Uint16Array | Uint32Array | Float32Array | Float64Array>(a: T, per: number): T => {
      const b = new (a.constructor as new (n: number) => T)(len * per);
      b.set(a);
      return b;
    };
    this.cellN = g(this.cellN, HOURS_PER_WEEK);
    this.cellMean = g(this.cellMean, HOURS_PER_WEEK);
    this.cellVar = g(this.cellVar, HOURS_PER_WEEK);
    this.recentN = g(this.recentN, 1);
    this.recentMean = g(this.recentMean, 1);
    this.recentVar = g(this.recentVar, 1);
    this.peak = g(this.peak, 1);
  }

  /** Adds one window's value for an entity; `t` is the window's start (record time). */
  observe(entity: number, t: number, value: number): void {
    if (entity < 0) return;
    const c = entity * HOURS_PER_WEEK + hourOfWeek(t);
    const n = Math.min(this.cellN[c] + 1, CELL_CAP);
    this.cellN[c] = n;
    const a = 1 / Math.min(n, this.cellLimit);
    const d = value - this.cellMean[c];
    const inc = a * d;
    this.cellMean[c] += inc;
    this.cellVar[c] = (1 - a) * (this.cellVar[c] + d * inc);
    const rn = this.recentN[entity] + 1;
    this.recentN[entity] = rn;
    const ra = 1 / Math.min(rn, this.recentLimit);
    const rd = value - this.recentMean[entity];
    const rinc = ra * rd;
    this.recentMean[entity] += rinc;
    this.recentVar[entity] = (1 - ra) * (this.recentVar[entity] + rd * rinc);
    this.peak[entity] = Math.max(value, this.peak[entity] * this.peakDecay);
    if (t > this.lastWindow) this.lastWindow = t;
  }

  /**
   * Adds a window for every entity: `value(entity)` for each (0 where it had no traffic).
   * Call once per closed window.
   */
  observeWindow(t: number, value: (entity: number) => number): void {
    for (let e = 0; e < this.names.length; e++) this.observe(e, t, value(e));
  }

  /** What the entity's value should be in the window starting at `t`. */
  expected(entity: number, t: number, out: Expectation = { mean: 0, std: 0, peak: 0, samples: 0, source: 'none' }): Expectation {
    out.mean = 0;
    out.std = 0;
    out.peak = 0;
    out.samples = 0;
    out.source = 'none';
    if (entity < 0 || entity >= this.names.length) return out;
    out.peak = this.peak[entity];
    const c = entity * HOURS_PER_WEEK + hourOfWeek(t);
    if (this.cellN[c] >= this.minSamples) {
      out.mean = this.cellMean[c];
      out.std = Math.sqrt(Math.max(0, this.cellVar[c]));
      out.samples = this.cellN[c];
      out.source = 'hour_of_week';
    } else if (this.recentN[entity] >= this.minSamples) {
      out.mean = this.recentMean[entity];
      out.std = Math.sqrt(Math.max(0, this.recentVar[entity]));
      out.samples = this.recentN[entity];
      out.source = 'recent';
    }
    return out;
  }

  /** The profile of one entity as 168 cells (for display and other analyses). */
  profile(entity: number): { hour: number; mean: number; std: number; samples: number }[] {
    const out = [];
    for (let h = 0; h < HOURS_PER_WEEK; h++) {
      const c = entity * HOURS_PER_WEEK + h;
      out.push({ hour: h, mean: this.cellMean[c], std: Math.sqrt(Math.max(0, this.cellVar[c])), samples: this.cellN[c] });
    }
    return out;
  }

  toJSON(): SerializedBaselineSet {
    const n = this.names.length;
    const b64 = (a: ArrayBufferView, per: number, bytesPer: number) => Buffer.from(a.buffer, a.byteOffset, n * per * bytesPer).toString('base64');
    return {
      name: this.name,
      windowSeconds: this.windowSeconds,
      lastWindow: this.lastWindow,
      names: [...this.names],
      cellN: b64(this.cellN, HOURS_PER_WEEK, 2),
      cellMean: b64(this.cellMean, HOURS_PER_WEEK, 4),
      cellVar: b64(this.cellVar, HOURS_PER_WEEK, 4),
      recentN: b64(this.recentN, 1, 4),
      recentMean: b64(this.recentMean, 1, 8),
      recentVar: b64(this.recentVar, 1, 8),
      peak: b64(this.peak, 1, 8),
    };
  }

  /** Restores what toJSON saved; returns false (keeping this set empty) when it does not fit. */
  load(s: SerializedBaselineSet): boolean {
    if (s.windowSeconds !== this.windowSeconds || !Array.isArray(s.names) || this.names.length > 0) return false;
    const n = s.names.length;
    const dec = (text: string, bytes: number) => {
      const buf = Buffer.from(text, 'base64');
      if (buf.length !== bytes) throw new Error('size mismatch');
      const copy = new ArrayBuffer(buf.length);
      new Uint8Array(copy).set(buf);
      return copy;
    };
    try {
      const cellN = new Uint16Array(dec(s.cellN, n * HOURS_PER_WEEK * 2));
      const cellMean = new Float32Array(dec(s.cellMean, n * HOURS_PER_WEEK * 4));
      const cellVar = new Float32Array(dec(s.cellVar, n * HOURS_PER_WEEK * 4));
      const recentN = new Uint32Array(dec(s.recentN, n * 4));
      const recentMean = new Float64Array(dec(s.recentMean, n * 8));
      const recentVar = new Float64Array(dec(s.recentVar, n * 8));
      const peak = s.peak ? new Float64Array(dec(s.peak, n * 8)) : new Float64Array(n);
      for (const name of s.names.slice(0, this.maxEntities)) this.entity(name);
      const m = this.names.length;
      this.cellN.set(cellN.subarray(0, m * HOURS_PER_WEEK));
      this.cellMean.set(cellMean.subarray(0, m * HOURS_PER_WEEK));
      this.cellVar.set(cellVar.subarray(0, m * HOURS_PER_WEEK));
      this.recentN.set(recentN.subarray(0, m));
      this.recentMean.set(recentMean.subarray(0, m));
      this.recentVar.set(recentVar.subarray(0, m));
      this.peak.set(peak.subarray(0, m));
      this.lastWindow = s.lastWindow;
      return true;
    } catch {
      return false;
    }
  }
}

export interface SerializedBaselineSet {
  name: string;
  windowSeconds: number;
  lastWindow: number;
  names: string[];
  cellN: string;
  cellMean: string;
  cellVar: string;
  recentN: string;
  recentMean: string;
  recentVar: string;
  peak?: string;
}

export interface FarAbove {
  /** Times the usual (mean) value. */
  factor: number;
  /** Standard deviations over the mean. */
  sigmas: number;
  /** Times the recent peak; 0 ignores the peak. Heavy-tailed traffic needs it. */
  peakFactor: number;
  /** Never below this (near-silent entities must not alert on small amounts). */
  floor: number;
}

/**
 * The smallest value that is far above what the entity usually does: above every one of the
 * limits in `f`. Infinity while the baseline is not ready.
 */
export function threshold(e: Expectation, f: FarAbove): number {
  if (e.source === 'none') return Infinity;
  return Math.max(f.floor, e.mean * f.factor, e.mean + f.sigmas * e.std, e.peak * f.peakFactor);
}

export function farAbove(value: number, e: Expectation, f: FarAbove): boolean {
  return value >= threshold(e, f);
}
