// A window's records before they are handed out. Connections produce records on two
// interfaces at once, while the clouds deliver a window's records grouped by interface, so
// each record is staged straight into its interface's bucket: a chain of small chunks taken
// from one pool (grown by doubling, reused across windows). Staging appends to a few dozen
// hot chunks and reading out walks each chain in order, so neither jumps around memory.
//
// A slot is interleaved (all of a record's fields side by side, 96 bytes) rather than one
// array per field, for the same reason.

/** Slot size in 32-bit words (and, halved, in 64-bit words). */
export const SLOT_WORDS = 24;
const SLOT_F64 = SLOT_WORDS / 2;
/** Records per chunk: small, so that an inventory of many quiet interfaces wastes little. */
const CHUNK = 64;

// 32-bit words of a slot.
export const W_ENI = 0;
/** direction | protocol << 8 | tcp flags << 16 */
export const W_DIR_PROTO_FLAGS = 1;
export const W_SRC_PORT = 2;
export const W_DST_PORT = 3;
export const W_DECISION = 4;
/** First and last packet, unix seconds. */
export const W_FIRST = 5;
export const W_LAST = 6;
export const W_SRC = 8;
export const W_DST = 12;
// 64-bit words of a slot.
export const F_PACKETS = 8;
export const F_BYTES = 9;
export const F_SRC_MAC = 10;
export const F_DST_MAC = 11;

export class RecordStage {
  /** Records staged in the current window. */
  length = 0;
  u32 = new Uint32Array(0);
  f64 = new Float64Array(0);
  private chunks = 0;
  private used = 0;
  private next = new Int32Array(0);
  private fill = new Int32Array(0);
  private readonly first: Int32Array;
  private readonly last: Int32Array;

  constructor(
    readonly eniCount: number,
    initialRecords = 4096,
  ) {
    this.first = new Int32Array(eniCount).fill(-1);
    this.last = new Int32Array(eniCount).fill(-1);
    this.grow(Math.max(eniCount + 1, Math.ceil(initialRecords / CHUNK)));
  }

  clear(): void {
    this.length = 0;
    this.used = 0;
    this.first.fill(-1);
    this.last.fill(-1);
  }

  /** Claims a slot in `eni`'s bucket and returns its index (its words hold stale values: set them all). */
  add(eni: number): number {
    let c = this.last[eni];
    if (c < 0 || this.fill[c] === CHUNK) {
      if (this.used === this.chunks) this.grow(this.chunks * 2);
      const fresh = this.used++;
      this.next[fresh] = -1;
      this.fill[fresh] = 0;
      if (c < 0) this.first[eni] = fresh;
      else this.next[c] = fresh;
      this.last[eni] = c = fresh;
    }
    this.length++;
    return c * CHUNK + this.fill[c]++;
  }

  /** The chunks in read-out order: [start slot, count] pairs written into `out`; returns how many pairs. */
  chunkList(out: Int32Array): number {
    let k = 0;
    for (let e = 0; e < this.eniCount; e++) {
      for (let c = this.first[e]; c >= 0; c = this.next[c]) {
        out[k++] = c * CHUNK;
        out[k++] = this.fill[c];
      }
    }
    return k >> 1;
  }

  /** Enough room for chunkList's output. */
  chunkListCapacity(): number {
    return this.used * 2;
  }

  eni(slot: number): number {
    return this.u32[slot * SLOT_WORDS + W_ENI];
  }

  direction(slot: number): number {
    return this.u32[slot * SLOT_WORDS + W_DIR_PROTO_FLAGS] & 255;
  }

  protocol(slot: number): number {
    return (this.u32[slot * SLOT_WORDS + W_DIR_PROTO_FLAGS] >>> 8) & 255;
  }

  srcPort(slot: number): number {
    return this.u32[slot * SLOT_WORDS + W_SRC_PORT];
  }

  dstPort(slot: number): number {
    return this.u32[slot * SLOT_WORDS + W_DST_PORT];
  }

  decision(slot: number): number {
    return this.u32[slot * SLOT_WORDS + W_DECISION];
  }

  packets(slot: number): number {
    return this.f64[slot * SLOT_F64 + F_PACKETS];
  }

  bytes(slot: number): number {
    return this.f64[slot * SLOT_F64 + F_BYTES];
  }

  /** Word offset in `u32` of a record's source address (its destination's is dstOffset). */
  srcOffset(slot: number): number {
    return slot * SLOT_WORDS + W_SRC;
  }

  dstOffset(slot: number): number {
    return slot * SLOT_WORDS + W_DST;
  }

  private grow(chunks: number): void {
    const buf = new ArrayBuffer(chunks * CHUNK * SLOT_WORDS * 4);
    const u32 = new Uint32Array(buf);
    u32.set(this.u32);
    this.u32 = u32;
    this.f64 = new Float64Array(buf);
    const next = new Int32Array(chunks);
    next.set(this.next);
    this.next = next;
    const fill = new Int32Array(chunks);
    fill.set(this.fill);
    this.fill = fill;
    this.chunks = chunks;
  }
}
