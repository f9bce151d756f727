// Count-Min sketch (Cormode & Muthukrishnan 2005): approximate per-key sums in fixed memory,
// never below the true sum. Rows are indexed by double hashing (h1 + i·h2), so a key costs
// two hashes whatever the depth. Used to find heavy destinations without a table entry per
// destination.

export class CountMinSketch {
  readonly depth: number;
  readonly width: number;
  private readonly mask: number;
  private readonly cells: Float64Array;

  /** `width` is rounded up to a power of two. */
  constructor(width: number, depth = 4) {
    if (depth < 1 || depth > 16) throw new Error('Count-Min depth must be 1-16');
    let w = 16;
    while (w < width) w *= 2;
    this.width = w;
    this.depth = depth;
    this.mask = w - 1;
    this.cells = new Float64Array(w * depth);
  }

  get bytes(): number {
    return this.cells.byteLength;
  }

  /** Adds `v` to the key and returns its new estimate (conservative update: only the minimum rows grow). */
  add(h1: number, h2: number, v: number): number {
    const c = this.cells;
    const w = this.width;
    const mask = this.mask;
    const at = this.at;
    const step = h2 | 1;
    let min = Infinity;
    for (let i = 0, h = h1; i < this.depth; i++, h = (h + step) | 0) {
      const j = i * w + (h & mask);
      at[i] = j;
      const x = c[j];
      if (x < min) min = x;
    }
    const target = min + v;
    for (let i = 0; i < this.depth; i++) if (c[at[i]] < target) c[at[i]] = target;
    return target;
  }

  /** Cells of the key being added (reused, so add allocates nothing). */
  private readonly at = new Int32Array(16);

  estimate(h1: number, h2: number): number {
    const c = this.cells;
    const w = this.width;
    const step = h2 | 1;
    let min = Infinity;
    for (let i = 0, h = h1; i < this.depth; i++, h = (h + step) | 0) {
      const x = c[i * w + (h & this.mask)];
      if (x < min) min = x;
    }
    return min;
  }

  clear(): void {
    this.cells.fill(0);
  }
}
