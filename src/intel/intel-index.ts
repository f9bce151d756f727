// The threat-intelligence index: every address and block of every list flattened once into
// disjoint, sorted ranges, each labelled with the set of lists that cover it. IPv4 lookups
// (nearly all traffic) go through a table of the 65,536 /16 prefixes to a short binary search
// over two Uint32Arrays; IPv6 ranges are searched on four-word keys. Nothing is allocated per
// lookup, so the enrichment stage can ask for both ends of every flow.

export const MAX_LISTS = 32;

export interface IntelEntry {
  /** First and last address of the block, four words each (IPv4 as IPv4-mapped). */
  lo: Uint32Array;
  hi: Uint32Array;
}

export interface IntelListData {
  name: string;
  entries: readonly IntelEntry[];
}

const isV4 = (w: Uint32Array) => w[0] === 0 && w[1] === 0 && w[2] === 0xffff;

function toBig(w: Uint32Array): bigint {
  return (BigInt(w[0]) << 96n) | (BigInt(w[1]) << 64n) | (BigInt(w[2]) << 32n) | BigInt(w[3]);
}

export class IntelIndex {
  /** List names, in order; bit i of a label's mask is list i. */
  readonly lists: string[];
  /** Label id → the names of its lists joined by ','; 0 is '' (no list). */
  readonly labels: string[] = [''];
  private readonly labelMasks: number[] = [0];
  private readonly labelByMask = new Map<number, number>([[0, 0]]);
  private readonly v4Start: Uint32Array;
  private readonly v4End: Uint32Array;
  private readonly v4Label: Uint16Array;
  private readonly v4Bucket: Uint32Array;
  private readonly v6Start: Uint32Array;
  private readonly v6End: Uint32Array;
  private readonly v6Label: Uint16Array;
  /** Entries per list, as given. */
  readonly counts: number[];

  constructor(lists: readonly IntelListData[]) {
    if (lists.length > MAX_LISTS) throw new Error(`at most ${MAX_LISTS} threat-intelligence lists can be active at once`);
    this.lists = lists.map((l) => l.name);
    this.counts = lists.map((l) => l.entries.length);

    // IPv4: a sweep over range boundaries. Each event packs position·64 + list·2 + kind into
    // one exact double (positions < 2^33), so one typed-array sort orders them.
    let n4 = 0;
    for (const l of lists) for (const e of l.entries) if (isV4(e.lo) && isV4(e.hi)) n4++;
    const events = new Float64Array(n4 * 2);
    let k = 0;
    lists.forEach((l, li) => {
      for (const e of l.entries) {
        if (!isV4(e.lo) || !isV4(e.hi)) continue;
        events[k++] = e.lo[3] * 64 + li * 2 + 1; // opens
        events[k++] = (e.hi[3] + 1) * 64 + li * 2; // closes after hi
      }
    });
    events.sort();
    const starts: number[] = [];
    const ends: number[] = [];
    const labs: number[] = [];
    const open = new Int32Array(MAX_LISTS);
    let mask = 0;
    let i = 0;
    while (i < events.length) {
      const pos = Math.floor(events[i] / 64);
      while (i < events.length && Math.floor(events[i] / 64) === pos) {
        const code = events[i] % 64;
        const li = code >> 1;
        open[li] += code & 1 ? 1 : -1;
        if (open[li] > 0) mask |= 1 << li;
        else mask &= ~(1 << li);
        i++;
      }
      mask >>>= 0;
      if (i < events.length && mask !== 0) {
        const next = Math.floor(events[i] / 64);
        const label = this.labelFor(mask);
        const last = starts.length - 1;
        if (last >= 0 && labs[last] === label && ends[last] === pos - 1) ends[last] = next - 1;
        else {
          starts.push(pos);
          ends.push(next - 1);
          labs.push(label);
        }
      }
    }
    this.v4Start = Uint32Array.from(starts);
    this.v4End = Uint32Array.from(ends);
    this.v4Label = Uint16Array.from(labs);
    // v4Bucket[p]: first range that may hold an address of /16 prefix p.
    this.v4Bucket = new Uint32Array(65537);
    let r = 0;
    for (let p = 0; p <= 65536; p++) {
      const base = p * 65536;
      while (r < ends.length && ends[r] < base) r++;
      this.v4Bucket[p] = r;
    }

    // IPv6: the same sweep on bigints (these lists are short).
    const ev6: { pos: bigint; li: number; open: boolean }[] = [];
    lists.forEach((l, li) => {
      for (const e of l.entries) {
        if (isV4(e.lo) && isV4(e.hi)) continue;
        ev6.push({ pos: toBig(e.lo), li, open: true }, { pos: toBig(e.hi) + 1n, li, open: false });
      }
    });
    ev6.sort((a, b) => (a.pos < b.pos ? -1 : a.pos > b.pos ? 1 : 0));
    const s6: bigint[] = [];
    const e6: bigint[] = [];
    const l6: number[] = [];
    const open6 = new Int32Array(MAX_LISTS);
    let mask6 = 0;
    for (let j = 0; j < ev6.length; ) {
      const pos = ev6[j].pos;
      while (j < ev6.length && ev6[j].pos === pos) {
        const ev = ev6[j++];
        open6[ev.li] += ev.open ? 1 : -1;
        if (open6[ev.li] > 0) mask6 |= 1 << ev.li;
        else mask6 &= ~(1 << ev.li);
      }
      mask6 >>>= 0;
      if (j < ev6.length && mask6 !== 0) {
        s6.push(pos);
        e6.push(ev6[j].pos - 1n);
        l6.push(this.labelFor(mask6));
      }
    }
    this.v6Start = new Uint32Array(s6.length * 4);
    this.v6End = new Uint32Array(s6.length * 4);
    const put = (a: Uint32Array, o: number, v: bigint) => {
      for (let w = 3; w >= 0; w--) {
        a[o + w] = Number(v & 0xffffffffn);
        v >>= 32n;
      }
    };
    s6.forEach((v, j) => put(this.v6Start, j * 4, v));
    e6.forEach((v, j) => put(this.v6End, j * 4, v));
    this.v6Label = Uint16Array.from(l6);
  }

  /** Ranges held (IPv4 + IPv6). */
  get ranges(): number {
    return this.v4Start.length + this.v6Label.length;
  }

  get bytes(): number {
    return this.v4Start.byteLength * 2 + this.v4Label.byteLength + this.v4Bucket.byteLength + this.v6Start.byteLength * 2 + this.v6Label.byteLength;
  }

  private labelFor(mask: number): number {
    let id = this.labelByMask.get(mask);
    if (id === undefined) {
      id = this.labels.length;
      this.labels.push(this.lists.filter((_, i) => (mask >>> i) & 1).join(','));
      this.labelMasks.push(mask);
      this.labelByMask.set(mask, id);
    }
    return id;
  }

  /** The label covering both labels' lists (a flow with a listed address at each end). */
  union(a: number, b: number): number {
    if (a === b || b === 0) return a;
    if (a === 0) return b;
    return this.labelFor((this.labelMasks[a] | this.labelMasks[b]) >>> 0);
  }

  /** Label id of an IPv4 address (a 32-bit number); 0 when no list has it. */
  lookupV4(a: number): number {
    const p = a >>> 16;
    let lo = this.v4Bucket[p];
    let hi = Math.min(this.v4Bucket[p + 1], this.v4Start.length - 1);
    const s = this.v4Start;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (s[mid] <= a) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found >= 0 && this.v4End[found] >= a ? this.v4Label[found] : 0;
  }

  /** Label id of the address at w[o..o+3]; 0 when no list has it. */
  lookup(w: Uint32Array, o: number): number {
    if (w[o] === 0 && w[o + 1] === 0 && w[o + 2] === 0xffff) return this.lookupV4(w[o + 3]);
    const n = this.v6Label.length;
    if (n === 0) return 0;
    const s = this.v6Start;
    let lo = 0;
    let hi = n - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (cmp(s, mid * 4, w, o) <= 0) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found >= 0 && cmp(this.v6End, found * 4, w, o) >= 0 ? this.v6Label[found] : 0;
  }

  /** The names of the lists holding an address given as text ([] when none or not an address). */
  listsOf(w: Uint32Array, o = 0): string[] {
    const id = this.lookup(w, o);
    return id === 0 ? [] : this.labels[id].split(',');
  }
}

function cmp(a: Uint32Array, ao: number, b: Uint32Array, bo: number): number {
  for (let i = 0; i < 4; i++) {
    const x = a[ao + i];
    const y = b[bo + i];
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}
