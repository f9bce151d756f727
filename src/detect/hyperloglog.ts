// HyperLogLog distinct counting (Flajolet et al. 2007) over 32-bit hashes, as a pool of
// fixed-size register blocks in one Uint8Array: a detector takes a block for a key that turned
// out to be heavy and gives every block back when its window closes. 2^p registers per block;
// the relative error is about 1.04 / sqrt(2^p) (p = 10: 3 %).

const TWO_32 = 4294967296;

export class HllPool {
  readonly p: number;
  readonly m: number;
  readonly blocks: number;
  private readonly regs: Uint8Array;
  private next = 0;
  /** Blocks asked for when none was left. */
  exhausted = 0;
  private readonly alpha: number;

  constructor(blocks: number, p = 10) {
    if (p < 4 || p > 16) throw new Error('HyperLogLog precision must be 4-16');
    this.p = p;
    this.m = 1 << p;
    this.blocks = blocks;
    this.regs = new Uint8Array(blocks * this.m);
    this.alpha = this.m === 16 ? 0.673 : this.m === 32 ? 0.697 : this.m === 64 ? 0.709 : 0.7213 / (1 + 1.079 / this.m);
  }

  get bytes(): number {
    return this.regs.byteLength;
  }

  get used(): number {
    return this.next;
  }

  /** A cleared block's index, or -1 when the pool is used up. */
  take(): number {
    if (this.next >= this.blocks) {
      this.exhausted++;
      return -1;
    }
    return this.next++;
  }

  /** Clears every block taken (at the end of a window). */
  reset(): void {
    if (this.next > 0) this.regs.fill(0, 0, this.next * this.m);
    this.next = 0;
  }

  /** Adds an element by its 32-bit hash; returns true when a register changed. */
  add(block: number, hash: number): boolean {
    const p = this.p;
    const idx = hash >>> (32 - p);
    // Rank of the first set bit in the remaining 32-p bits (a guard bit bounds it).
    const rest = ((hash << p) | (1 << (p - 1))) >>> 0;
    const rank = Math.clz32(rest) + 1;
    const at = block * this.m + idx;
    if (this.regs[at] < rank) {
      this.regs[at] = rank;
      return true;
    }
    return false;
  }

  estimate(block: number): number {
    const m = this.m;
    const base = block * m;
    let sum = 0;
    let zeros = 0;
    for (let i = 0; i < m; i++) {
      const r = this.regs[base + i];
      sum += 1 / (1 << r);
      if (r === 0) zeros++;
    }
    let e = (this.alpha * m * m) / sum;
    if (e <= 2.5 * m && zeros > 0) e = m * Math.log(m / zeros);
    else if (e > TWO_32 / 30) e = -TWO_32 * Math.log(1 - e / TWO_32);
    return e;
  }
}
