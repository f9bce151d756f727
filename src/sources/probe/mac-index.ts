// MAC address → interface index, as an open-addressing table over typed arrays, keyed by the
// address's high 16 and low 32 bits. A Map keyed by the 48-bit value would box the number on
// every lookup (it does not fit a small integer), and this lookup runs twice per packet; the
// probe reads the two parts straight from the frame's bytes where it can.

export class MacIndex {
  private readonly hi: Int32Array;
  private readonly lo: Int32Array;
  private readonly values: Int32Array;
  private readonly mask: number;

  constructor(entries: ReadonlyArray<readonly [mac: number, value: number]>) {
    let size = 16;
    while (size < entries.length * 4) size *= 2;
    this.hi = new Int32Array(size).fill(-1);
    this.lo = new Int32Array(size);
    this.values = new Int32Array(size).fill(-1);
    this.mask = size - 1;
    for (const [mac, value] of entries) {
      const hi = Math.floor(mac / 0x100000000);
      const lo = mac % 0x100000000 | 0;
      let i = this.slot(hi, lo);
      while (this.hi[i] !== -1 && !(this.hi[i] === hi && this.lo[i] === lo)) i = (i + 1) & this.mask;
      this.hi[i] = hi;
      this.lo[i] = lo;
      this.values[i] = value;
    }
  }

  private slot(hi: number, lo: number): number {
    return (Math.imul(lo ^ Math.imul(hi, 0x27d4eb2d), 0x9e3779b1) >>> 16) & this.mask;
  }

  /** The value stored for the MAC whose high 16 bits are `hi` and low 32 bits `lo` (any sign), or -1. */
  getParts(hi: number, lo: number): number {
    lo |= 0;
    let i = this.slot(hi, lo);
    for (;;) {
      const h = this.hi[i];
      if (h === hi && this.lo[i] === lo) return this.values[i];
      if (h === -1) return -1;
      i = (i + 1) & this.mask;
    }
  }

  /** The value stored for a 48-bit MAC, or -1 (0, the unknown MAC, is never stored). */
  get(mac: number): number {
    if (mac === 0) return -1;
    return this.getParts(Math.floor(mac / 0x100000000), mac % 0x100000000);
  }
}
