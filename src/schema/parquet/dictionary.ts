// Dictionary builders for numeric and address columns: open-addressing tables over typed
// arrays, so that finding a column's distinct values costs a few nanoseconds per row and no
// allocation. They give up (return false) once the column is too diverse for a dictionary to
// pay, and the caller falls back to another encoding.

function nextPow2(n: number): number {
  let c = 16;
  while (c < n) c *= 2;
  return c;
}

/** Distinct numbers (non-negative integers < 2^53) in first-seen order, with per-row codes. */
export class NumberDictionary {
  values = new Float64Array(64);
  size = 0;
  private keys = new Float64Array(0);
  private slots = new Int32Array(0);
  private mask = 0;

  /**
   * Fills `codes[i]` for rows [from, from+n) and returns true, or returns false as soon as
   * more than `limit` distinct values appear.
   */
  build(vals: Float64Array, n: number, codes: Uint32Array, limit: number): boolean {
    const cap = nextPow2(Math.min(limit, n) * 2 + 2);
    if (this.slots.length < cap) {
      this.slots = new Int32Array(cap);
      this.keys = new Float64Array(cap);
    }
    const slots = this.slots;
    const keys = this.keys;
    slots.fill(-1, 0, cap);
    this.mask = cap - 1;
    this.size = 0;
    for (let i = 0; i < n; i++) {
      const v = vals[i];
      // Integer halves without `%` (a slow floating-point remainder): v < 2^53, so hi fits.
      const hi = (v / 0x100000000) | 0;
      const lo = (v - hi * 0x100000000) | 0;
      let h = (Math.imul(lo ^ (lo >>> 15), 0x9e3779b1) ^ Math.imul(hi, 0x85ebca77)) & this.mask;
      for (;;) {
        const s = slots[h];
        if (s < 0) {
          if (this.size >= limit) return false;
          slots[h] = this.size;
          keys[h] = v;
          this.push(v);
          codes[i] = this.size - 1;
          break;
        }
        if (keys[h] === v) {
          codes[i] = s;
          break;
        }
        h = (h + 1) & this.mask;
      }
    }
    return true;
  }

  private stamp = new Int32Array(65536);
  private stampCode = new Uint32Array(65536);
  private generation = 0;

  /**
   * The same for values within 65536 of `min`: a direct-indexed table instead of hashing.
   * Entries are marked with a generation number, so the table is never cleared.
   */
  buildSmallRange(vals: Float64Array, n: number, min: number, codes: Uint32Array, limit: number): boolean {
    const stamp = this.stamp;
    const stampCode = this.stampCode;
    const gen = ++this.generation;
    if (gen === 0x7fffffff) {
      stamp.fill(0);
      this.generation = 1;
    }
    this.size = 0;
    for (let i = 0; i < n; i++) {
      const v = vals[i];
      const k = v - min;
      if (stamp[k] !== this.generation) {
        if (this.size >= limit) return false;
        stamp[k] = this.generation;
        stampCode[k] = this.size;
        this.push(v);
      }
      codes[i] = stampCode[k];
    }
    return true;
  }

  private push(v: number): void {
    if (this.size === this.values.length) {
      const next = new Float64Array(this.values.length * 2);
      next.set(this.values);
      this.values = next;
    }
    this.values[this.size++] = v;
  }
}

/** Distinct 128-bit addresses (four words per row) in first-seen order, with per-row codes. */
export class IpDictionary {
  words = new Uint32Array(256);
  size = 0;
  private slots = new Int32Array(0);

  build(w: Uint32Array, from: number, n: number, codes: Uint32Array, limit: number): boolean {
    const cap = nextPow2(Math.min(limit, n) * 2 + 2);
    if (this.slots.length < cap) this.slots = new Int32Array(cap);
    const slots = this.slots;
    slots.fill(-1, 0, cap);
    const mask = cap - 1;
    this.size = 0;
    for (let i = 0; i < n; i++) {
      const o = (from + i) * 4;
      const a = w[o];
      const b = w[o + 1];
      const c = w[o + 2];
      const d = w[o + 3];
      let h = (Math.imul(d, 0x9e3779b1) ^ Math.imul(c ^ (b << 7) ^ (a << 13), 0x85ebca77)) & mask;
      for (;;) {
        const s = slots[h];
        if (s < 0) {
          if (this.size >= limit) return false;
          slots[h] = this.size;
          this.push(a, b, c, d);
          codes[i] = this.size - 1;
          break;
        }
        const p = s * 4;
        const dw = this.words;
        if (dw[p + 3] === d && dw[p + 2] === c && dw[p + 1] === b && dw[p] === a) {
          codes[i] = s;
          break;
        }
        h = (h + 1) & mask;
      }
    }
    return true;
  }

  private push(a: number, b: number, c: number, d: number): void {
    if (this.size * 4 === this.words.length) {
      const next = new Uint32Array(this.words.length * 2);
      next.set(this.words);
      this.words = next;
    }
    const p = this.size * 4;
    this.words[p] = a;
    this.words[p + 1] = b;
    this.words[p + 2] = c;
    this.words[p + 3] = d;
    this.size++;
  }
}
