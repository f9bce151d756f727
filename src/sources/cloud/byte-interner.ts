// Turns a token's bytes into a dictionary code without making a string: ENI, account and VPC
// ids repeat on nearly every line, so after the first sighting a lookup is a hash and a byte
// compare. It follows one string column; when that column's dictionary is replaced or
// cleared (a new batch), the cache starts over so codes never point into the wrong dictionary.

import type { StringColumn, StringDict } from '../../schema/batch.js';
import { tokenText } from './bytes.js';

const SLOTS = 4096; // power of two
const MAX_ENTRIES = SLOTS >> 1;
const ARENA = 64 * 1024;

export class ByteInterner {
  private dict: StringDict | undefined;
  private dictSize = 0;
  /** slot → entry + 1 (0 = empty). */
  private readonly slots = new Int32Array(SLOTS);
  private readonly offs = new Int32Array(MAX_ENTRIES);
  private readonly lens = new Int32Array(MAX_ENTRIES);
  private readonly codes = new Uint32Array(MAX_ENTRIES);
  private readonly hashes = new Int32Array(MAX_ENTRIES);
  private readonly arena = new Uint8Array(ARENA);
  private entries = 0;
  private used = 0;
  /** The entry hit last: consecutive records mostly repeat the same id. */
  private last = -1;

  private reset(dict: StringDict): void {
    this.dict = dict;
    this.slots.fill(0);
    this.entries = 0;
    this.used = 0;
    this.last = -1;
  }

  /** The code of `b[s..e)` in `col`'s dictionary, interning it on first sight. */
  code(col: StringColumn, b: Uint8Array, s: number, e: number): number {
    return this.codeHashed(col, b, s, e, hashBytes(b, s, e));
  }

  /** As `code`, with the token's hashBytes value already computed (while scanning it). */
  codeHashed(col: StringColumn, b: Uint8Array, s: number, e: number, hash: number): number {
    const h = hash | 0;
    const dict = col.dict;
    if (dict !== this.dict || dict.size < this.dictSize) this.reset(dict);
    const len = e - s;
    const arena = this.arena;
    const last = this.last;
    // Compared from the end: ids of one kind share their prefix and differ in the tail.
    if (last >= 0 && this.lens[last] === len) {
      const o = this.offs[last];
      let i = len - 1;
      while (i >= 0 && arena[o + i] === b[s + i]) i--;
      if (i < 0) return this.codes[last];
    }
    let slot = h & (SLOTS - 1);
    for (;;) {
      const ent = this.slots[slot];
      if (ent === 0) break;
      const k = ent - 1;
      if (this.hashes[k] === h && this.lens[k] === len) {
        const o = this.offs[k];
        let i = len - 1;
        while (i >= 0 && arena[o + i] === b[s + i]) i--;
        if (i < 0) {
          this.last = k;
          return this.codes[k];
        }
      }
      slot = (slot + 1) & (SLOTS - 1);
    }
    const code = dict.intern(tokenText(b, s, e));
    this.dictSize = dict.size;
    if (len > 256) return code;
    // A full cache is simply emptied: correctness never depends on it, only speed.
    if (this.entries >= MAX_ENTRIES || this.used + len > ARENA) {
      this.reset(dict);
      this.dictSize = dict.size;
      slot = h & (SLOTS - 1);
    }
    const k = this.entries++;
    this.offs[k] = this.used;
    this.lens[k] = len;
    this.codes[k] = code;
    this.hashes[k] = h;
    arena.set(b.subarray(s, e), this.used);
    this.used += len;
    this.slots[slot] = k + 1;
    this.last = k;
    return code;
  }
}

/** FNV-1a over the token's bytes. */
export function hashBytes(b: Uint8Array, s: number, e: number): number {
  let h = FNV_BASIS;
  for (let i = s; i < e; i++) h = Math.imul(h ^ b[i], FNV_PRIME);
  return h;
}

export const FNV_BASIS = 0x811c9dc5;
export const FNV_PRIME = 0x01000193;
