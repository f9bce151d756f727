// An open-addressing hash table for detector state: 64-bit hashed keys (two u32 halves)
// mapping to a fixed number of u32 (and optionally f64) values per slot, all in typed arrays.
// It grows by doubling up to a hard capacity and then refuses new keys (counted in `refused`),
// which is what bounds a detector's memory however many distinct sources arrive.
//
// A slot's key and u32 values sit next to each other in `u32` (one cache line for the usual
// few values: lookups in a table of millions of keys are memory-bound): slot s occupies
// u32[s·stride … s·stride + stride), key first, values from `at(s)`. f64 values, where used,
// are in `f64` at s·f64Width. Growth replaces the arrays, so read `table.u32` again after an
// insert rather than keeping the array in a local across inserts.

export interface KeyTableOptions {
  /** Values per slot. */
  f64Width: number;
  u32Width: number;
  /** Starting slot count (rounded up to a power of two). */
  initialCapacity?: number;
  /** Slot count it never grows past (rounded up to a power of two). */
  maxCapacity: number;
}

const MAX_LOAD = 0.7;

function pow2(n: number): number {
  let c = 16;
  while (c < n) c *= 2;
  return c;
}

export class KeyTable {
  /** Per slot: key (two words), then the u32 values. */
  u32: Uint32Array;
  f64: Float64Array;
  readonly f64Width: number;
  readonly u32Width: number;
  readonly stride: number;
  readonly maxCapacity: number;
  capacity: number;
  size = 0;
  /** Inserts refused because the table was at its hard capacity. */
  refused = 0;
  /** Whether the last upsert created its slot. */
  inserted = false;
  private mask: number;
  private limit: number;

  constructor(opts: KeyTableOptions) {
    this.f64Width = opts.f64Width;
    this.u32Width = opts.u32Width;
    this.stride = 2 + opts.u32Width;
    this.maxCapacity = pow2(opts.maxCapacity);
    this.capacity = Math.min(this.maxCapacity, pow2(opts.initialCapacity ?? 1024));
    this.mask = this.capacity - 1;
    this.limit = Math.floor(this.capacity * MAX_LOAD);
    this.u32 = new Uint32Array(this.capacity * this.stride);
    this.f64 = new Float64Array(this.capacity * this.f64Width);
  }

  /** Index in `u32` of slot s's first value. */
  at(s: number): number {
    return s * this.stride + 2;
  }

  /** Bytes held by the table's arrays. */
  get bytes(): number {
    return this.u32.byteLength + this.f64.byteLength;
  }

  /** The slot of key (h1, h2), or -1. */
  find(h1: number, h2: number): number {
    h2 = (h2 | 1) >>> 0;
    h1 = h1 >>> 0;
    const u = this.u32;
    const stride = this.stride;
    const mask = this.mask;
    let s = h1 & mask;
    for (;;) {
      const o = s * stride;
      const b = u[o + 1];
      if (b === 0) return -1;
      if (b === h2 && u[o] === h1) return s;
      s = (s + 1) & mask;
    }
  }

  /**
   * The slot of key (h1, h2), inserting it with zeroed values when absent; -1 when the table
   * is full. `inserted` tells whether the last call created the slot.
   */
  upsert(h1: number, h2: number): number {
    h2 = (h2 | 1) >>> 0;
    h1 = h1 >>> 0;
    let u = this.u32;
    const stride = this.stride;
    let mask = this.mask;
    let s = h1 & mask;
    for (;;) {
      const o = s * stride;
      const b = u[o + 1];
      if (b === 0) break;
      if (b === h2 && u[o] === h1) {
        this.inserted = false;
        return s;
      }
      s = (s + 1) & mask;
    }
    if (this.size >= this.limit) {
      if (this.capacity >= this.maxCapacity) {
        this.refused++;
        this.inserted = false;
        return -1;
      }
      this.resize(this.capacity * 2);
      u = this.u32;
      mask = this.mask;
      s = h1 & mask;
      while (u[s * stride + 1] !== 0) s = (s + 1) & mask;
    }
    u[s * stride] = h1;
    u[s * stride + 1] = h2;
    this.size++;
    this.inserted = true;
    return s;
  }

  /** Whether slot s holds a key (for iteration over 0 … capacity-1). */
  occupied(s: number): boolean {
    return this.u32[s * this.stride + 1] !== 0;
  }

  /** Empties the table, keeping its capacity. */
  clear(): void {
    if (this.size === 0) return;
    this.u32.fill(0);
    this.f64.fill(0);
    this.size = 0;
  }

  /** Keeps only the slots for which `keep(slot)` is true (rehashing them). */
  retain(keep: (slot: number) => boolean): void {
    const old = { u32: this.u32, f64: this.f64, cap: this.capacity };
    const keepers: number[] = [];
    for (let s = 0; s < old.cap; s++) if (old.u32[s * this.stride + 1] !== 0 && keep(s)) keepers.push(s);
    this.alloc(this.capacity);
    for (const s of keepers) this.moveIn(old, s);
  }

  private resize(capacity: number): void {
    const old = { u32: this.u32, f64: this.f64, cap: this.capacity };
    this.alloc(capacity);
    for (let s = 0; s < old.cap; s++) if (old.u32[s * this.stride + 1] !== 0) this.moveIn(old, s);
  }

  private alloc(capacity: number): void {
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.limit = Math.floor(capacity * MAX_LOAD);
    this.u32 = new Uint32Array(capacity * this.stride);
    this.f64 = new Float64Array(capacity * this.f64Width);
    this.size = 0;
  }

  private moveIn(old: { u32: Uint32Array; f64: Float64Array }, s: number): void {
    const stride = this.stride;
    let d = old.u32[s * stride] & this.mask;
    while (this.u32[d * stride + 1] !== 0) d = (d + 1) & this.mask;
    this.u32.set(old.u32.subarray(s * stride, s * stride + stride), d * stride);
    const fw = this.f64Width;
    for (let i = 0; i < fw; i++) this.f64[d * fw + i] = old.f64[s * fw + i];
    this.size++;
  }
}
