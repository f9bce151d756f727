// The probe's flow table. An entry is one flow as one capture point sees it: the 5-tuple (+
// VLAN) and the interfaces it was attributed to, the sending one (egress) and the receiving
// one (ingress), either of which may be absent; at the window's end it becomes up to two
// records, one per interface, with the same counts and each with its own verdict. A packet
// between two covered ENIs thus costs one lookup, not two.
//
// An entry is one 64-byte row of a Uint32Array (key and counters together, so a packet
// touches one row), found through an open-addressing index that keeps each entry's hash
// beside its number. No allocation per packet. Entries outlive their window: at the window's
// end the counters are written out and zeroed while the key and verdicts stay, so a flow's
// verdict is computed once in its life; entries idle for a whole window are dropped when room
// is needed. The table grows by doubling up to `maxFlows`.

/** Words per row. */
export const ROW = 16;
// Row layout (word offsets).
/** Sending interface + 1 (0: none). */
export const R_SENDER = 0;
/** Receiving interface + 1 (0: none). */
export const R_RECEIVER = 1;
export const R_SRC = 2;
export const R_DST = 6;
export const R_PORTS = 10;
/** protocol | VLAN << 8 */
export const R_META = 11;
export const R_PACKETS = 12;
export const R_BYTES_LO = 13;
/** bytes above 2^32 (24 bits) | TCP flags << 24 */
export const R_BYTES_HI_FLAGS = 14;
/** first packet | last packet << 16, in time units after the window start */
export const R_FIRST_LAST = 15;

const MIN_CAPACITY = 1024;
const TWO32 = 0x100000000;

/**
 * The key's hash: the words that vary most (IPv4 addresses live in the last word of each
 * address) through multiplications, the rest folded in, then one final mix. Three
 * multiplications instead of one per word: hashing is a good part of the per-packet cost.
 */
function hashKey(sender: number, receiver: number, s0: number, s1: number, s2: number, s3: number, d0: number, d1: number, d2: number, d3: number, ports: number, meta: number): number {
  let h = Math.imul(s3 ^ ((d3 << 16) | (d3 >>> 16)) ^ ports, 0x9e3779b1);
  h = (h + Math.imul(sender ^ (receiver << 16) ^ (receiver >>> 16) ^ (meta << 12) ^ s2 ^ d2, 0x85ebca6b)) ^ s0 ^ s1 ^ (d0 << 7) ^ (d1 << 3);
  h ^= h >>> 15;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 13);
}

export class FlowTable {
  /** Entries in use; entry numbers are 0 … size-1. */
  size = 0;
  /** Set by upsert: whether the entry was just created. */
  created = false;
  private cap: number;
  rows!: Uint32Array;
  /** Policy decision codes per entry: [at the sender (egress), at the receiver (ingress)]; -1 none. */
  verdicts!: Int32Array;
  /** MACs of a flow's first packet: [src hi16 << 16 | dst hi16, src lo32, dst lo32]. */
  macs!: Uint32Array;
  /** Pairs of [entry + 1, hash]: most mismatches are rejected without touching a row. 0 marks an empty slot. */
  private slots!: Int32Array;
  /** Each entry's hash, to rehash without recomputing it. */
  private hashes!: Int32Array;
  private mask = 0;

  constructor(readonly maxFlows: number) {
    if (!(maxFlows >= 1)) throw new Error('maxFlows must be at least 1');
    this.cap = Math.min(maxFlows, MIN_CAPACITY);
    this.alloc(this.cap);
  }

  private alloc(cap: number): void {
    const n = this.size;
    const rows = new Uint32Array(cap * ROW);
    const verdicts = new Int32Array(cap * 2);
    const macs = new Uint32Array(cap * 3);
    const hashes = new Int32Array(cap);
    if (n > 0) {
      rows.set(this.rows.subarray(0, n * ROW));
      verdicts.set(this.verdicts.subarray(0, n * 2));
      macs.set(this.macs.subarray(0, n * 3));
      hashes.set(this.hashes.subarray(0, n));
    }
    this.rows = rows;
    this.verdicts = verdicts;
    this.macs = macs;
    this.hashes = hashes;
    this.cap = cap;
    this.reindex();
  }

  private reindex(): void {
    let slots = 16;
    while (slots < this.cap * 2) slots *= 2;
    if (!this.slots || this.slots.length !== slots * 2) this.slots = new Int32Array(slots * 2);
    else this.slots.fill(0);
    this.mask = slots - 1;
    for (let e = 0; e < this.size; e++) {
      const h = this.hashes[e];
      let i = h & this.mask;
      while (this.slots[i * 2] !== 0) i = (i + 1) & this.mask;
      this.slots[i * 2] = e + 1;
      this.slots[i * 2 + 1] = h;
    }
  }

  /** Whether a new entry would exceed maxFlows. */
  get full(): boolean {
    return this.size >= this.maxFlows;
  }

  /** Bytes of typed arrays held. */
  get allocatedBytes(): number {
    return this.rows.byteLength + this.verdicts.byteLength + this.macs.byteLength + this.hashes.byteLength + this.slots.byteLength;
  }

  get capacity(): number {
    return this.cap;
  }

  /**
   * The entry for this key, created (counters zero, `created` set) when absent. Returns -1 when
   * it is absent and the table is full. `sender`/`receiver` are interface numbers + 1 (0: none);
   * `meta` is protocol | vlan << 8.
   */
  upsert(sender: number, receiver: number, src: Uint32Array, dst: Uint32Array, ports: number, meta: number): number {
    const h = hashKey(sender, receiver, src[0], src[1], src[2], src[3], dst[0], dst[1], dst[2], dst[3], ports, meta);
    const slots = this.slots;
    const rows = this.rows;
    let i = h & this.mask;
    for (;;) {
      const s = slots[i * 2];
      if (s === 0) break;
      if (slots[i * 2 + 1] === h) {
        const o = (s - 1) * ROW;
        if (
          rows[o + 5] === src[3] &&
          rows[o + 9] === dst[3] &&
          rows[o + 10] === ports &&
          rows[o] === sender &&
          rows[o + 1] === receiver &&
          rows[o + 11] === meta &&
          rows[o + 2] === src[0] &&
          rows[o + 3] === src[1] &&
          rows[o + 4] === src[2] &&
          rows[o + 6] === dst[0] &&
          rows[o + 7] === dst[1] &&
          rows[o + 8] === dst[2]
        ) {
          this.created = false;
          return s - 1;
        }
      }
      i = (i + 1) & this.mask;
    }
    if (this.size >= this.cap) {
      if (this.cap >= this.maxFlows) return -1;
      this.alloc(Math.min(this.maxFlows, this.cap * 2));
      return this.upsert(sender, receiver, src, dst, ports, meta);
    }
    const e = this.size++;
    const o = e * ROW;
    rows[o] = sender;
    rows[o + 1] = receiver;
    rows[o + 2] = src[0];
    rows[o + 3] = src[1];
    rows[o + 4] = src[2];
    rows[o + 5] = src[3];
    rows[o + 6] = dst[0];
    rows[o + 7] = dst[1];
    rows[o + 8] = dst[2];
    rows[o + 9] = dst[3];
    rows[o + 10] = ports;
    rows[o + 11] = meta;
    rows[o + 12] = 0;
    rows[o + 13] = 0;
    rows[o + 14] = 0;
    rows[o + 15] = 0;
    slots[i * 2] = e + 1;
    slots[i * 2 + 1] = h;
    this.hashes[e] = h;
    this.verdicts[e * 2] = -1;
    this.verdicts[e * 2 + 1] = -1;
    this.created = true;
    return e;
  }

  /** Adds one packet to an entry; `at` is in time units after the window start (below 2^16). */
  add(e: number, bytes: number, at: number, tcpFlags: number): void {
    const rows = this.rows;
    const o = e * ROW;
    let lo = rows[o + R_BYTES_LO] + bytes;
    let carry = 0;
    if (lo >= TWO32) {
      lo -= TWO32;
      carry = 1;
    }
    rows[o + R_BYTES_LO] = lo;
    const hf = rows[o + R_BYTES_HI_FLAGS];
    rows[o + R_BYTES_HI_FLAGS] = ((((hf >>> 24) | tcpFlags) << 24) | ((hf & 0xffffff) + carry)) >>> 0;
    if (rows[o + R_PACKETS]++ === 0) {
      rows[o + R_FIRST_LAST] = ((at << 16) | at) >>> 0;
      return;
    }
    const fl = rows[o + R_FIRST_LAST];
    const first = fl & 0xffff;
    const last = fl >>> 16;
    if (at < first) rows[o + R_FIRST_LAST] = ((last << 16) | at) >>> 0;
    else if (at > last) rows[o + R_FIRST_LAST] = ((at << 16) | first) >>> 0;
  }

  packets(e: number): number {
    return this.rows[e * ROW + R_PACKETS];
  }

  bytes(e: number): number {
    const o = e * ROW;
    return (this.rows[o + R_BYTES_HI_FLAGS] & 0xffffff) * TWO32 + this.rows[o + R_BYTES_LO];
  }

  tcpFlags(e: number): number {
    return this.rows[e * ROW + R_BYTES_HI_FLAGS] >>> 24;
  }

  first(e: number): number {
    return this.rows[e * ROW + R_FIRST_LAST] & 0xffff;
  }

  last(e: number): number {
    return this.rows[e * ROW + R_FIRST_LAST] >>> 16;
  }

  /** Zeroes an entry's counters for the next window (its key and verdicts stay). */
  resetCounters(e: number): void {
    const o = e * ROW;
    const r = this.rows;
    r[o + 12] = 0;
    r[o + 13] = 0;
    r[o + 14] = 0;
    r[o + 15] = 0;
  }

  /** Drops the entries without packets in the current window. Returns how many went. */
  evictIdle(): number {
    const rows = this.rows;
    let n = 0;
    for (let e = 0; e < this.size; e++) {
      if (rows[e * ROW + R_PACKETS] === 0) continue;
      if (e !== n) {
        rows.copyWithin(n * ROW, e * ROW, e * ROW + ROW);
        this.verdicts[n * 2] = this.verdicts[e * 2];
        this.verdicts[n * 2 + 1] = this.verdicts[e * 2 + 1];
        this.hashes[n] = this.hashes[e];
        this.macs.copyWithin(n * 3, e * 3, e * 3 + 3);
      }
      n++;
    }
    const gone = this.size - n;
    this.size = n;
    if (gone > 0) this.reindex();
    return gone;
  }

  /** Empties the table. */
  clear(): void {
    this.size = 0;
    this.slots.fill(0);
  }
}
