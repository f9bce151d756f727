// Text forms of single values, prepared once per batch so that encoding a row is string
// concatenation: dictionary strings are escaped once per batch, not once per row, and
// addresses go through a small cache because flow records repeat the same few endpoints.

import type { FlowBatch, StringColumn } from '../../schema/batch.js';
import { formatIp, formatMac } from '../../schema/ip.js';
import type { FieldDef, FieldName } from '../../schema/fields.js';

const CACHE = 4096;

/** Formats addresses of one column, remembering recent IPv4 values. */
export class IpText {
  private readonly keys = new Float64Array(CACHE).fill(-1);
  private readonly vals: string[] = new Array<string>(CACHE).fill('');

  text(words: Uint32Array, row: number): string {
    const o = row * 4;
    if (words[o] === 0 && words[o + 1] === 0) {
      if (words[o + 2] === 0 && words[o + 3] === 0) return '::';
      if (words[o + 2] !== 0xffff) return formatIp(words, o);
      const v = words[o + 3];
      const slot = (v ^ (v >>> 12) ^ (v >>> 20)) & (CACHE - 1);
      if (this.keys[slot] === v) return this.vals[slot];
      const s = `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
      this.keys[slot] = v;
      this.vals[slot] = s;
      return s;
    }
    return formatIp(words, o);
  }

  /** True for an IPv4 (mapped) address. */
  static isV4(words: Uint32Array, row: number): boolean {
    const o = row * 4;
    return words[o] === 0 && words[o + 1] === 0 && words[o + 2] === 0xffff;
  }

  /** True for the unspecified address (::), which the schema uses for "none". */
  static isUnset(words: Uint32Array, row: number): boolean {
    const o = row * 4;
    return words[o] === 0 && words[o + 1] === 0 && words[o + 2] === 0 && words[o + 3] === 0;
  }
}

const macKeys = new Float64Array(CACHE).fill(-1);
const macVals: string[] = new Array<string>(CACHE).fill('');

/** A MAC address as text (null for 0, "unknown"); recent values come from a cache. */
export function macText(v: number): string | null {
  if (v === 0) return null;
  const slot = (v % 65521) & (CACHE - 1);
  if (macKeys[slot] === v) return macVals[slot];
  const s = formatMac(v);
  macKeys[slot] = v;
  macVals[slot] = s;
  return s;
}

/** JSON string literals of a string column's dictionary, indexed by code. */
export function jsonDict(batch: FlowBatch, field: FieldName): string[] {
  return (batch.cols[field] as StringColumn).dict.values.map((s) => JSON.stringify(s));
}

export function rawDict(batch: FlowBatch, field: FieldName): string[] {
  return (batch.cols[field] as StringColumn).dict.values;
}

/** The enum's value names, JSON-quoted. */
export function jsonEnum(f: FieldDef): string[] {
  return (f.values ?? []).map((v) => JSON.stringify(v));
}

const isoKeys = new Float64Array(256).fill(-1);
const isoVals: string[] = new Array<string>(256).fill('');

/** ISO-8601 UTC with milliseconds, for unix seconds (window bounds repeat: cached). */
export function isoSeconds(s: number): string {
  const slot = s & 255;
  if (isoKeys[slot] === s) return isoVals[slot];
  const v = new Date(s * 1000).toISOString();
  isoKeys[slot] = s;
  isoVals[slot] = v;
  return v;
}

/**
 * Writes text lines straight into ~1 MB buffers as UTF-8. Each line is encoded as soon as it
 * is made, so the strings it was built from die young instead of piling up in a rope.
 */
export class TextChunks {
  private parts: Buffer[] = [];
  private buf: Buffer;
  private len = 0;
  bytes = 0;

  constructor(private readonly target = 1 << 20) {
    this.buf = Buffer.allocUnsafe(target + 4096);
  }

  add(s: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    if (this.len + s.length * 3 > this.buf.length) {
      this.cut();
      if (s.length * 3 > this.buf.length) this.buf = Buffer.allocUnsafe(s.length * 3);
    }
    this.len += this.buf.write(s, this.len, 'utf8');
    if (this.len >= this.target) this.cut();
  }

  private cut(): void {
    if (!this.len) return;
    this.parts.push(this.buf.subarray(0, this.len));
    this.bytes += this.len;
    this.buf = Buffer.allocUnsafe(this.target + 4096);
    this.len = 0;
  }

  finish(): Buffer[] {
    this.cut();
    const p = this.parts;
    this.parts = [];
    return p;
  }
}
