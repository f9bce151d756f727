// Flow records in wire layout: what travels on the bus and what a ClickHouse Native block is
// built from. Numbers are little-endian unsigned integers of the field's storage width (u64
// fields as real 64-bit integers, not JS doubles), addresses are 16 bytes in network order,
// strings are a dictionary plus one code per row. These are ClickHouse's own column layouts,
// so a writer turns a message into an INSERT with few copies and no per-row arithmetic.
// Columns that carry nothing (all rows zero) are not sent at all, narrow values are sent
// narrow, and all-IPv4 address columns as 4 bytes per row.

import { FlowBatch, type StringColumn } from '../schema/batch.js';
import { FIELDS, type FieldDef, type FieldName } from '../schema/fields.js';

export type WireColumn =
  /** Every row holds the field's default (0, '', the first enum value, ::). */
  | { kind: 'zero' }
  /** The field's natural width per row (`naturalWidth`). */
  | { kind: 'fixed'; bytes: Uint8Array }
  /** Unsigned values narrower than natural: `width` bytes per row, little-endian. */
  | { kind: 'narrow'; width: 1 | 2 | 4; bytes: Uint8Array }
  /** IPv4-mapped addresses: the 4 IPv4 bytes per row, network order. */
  | { kind: 'ipv4'; bytes: Uint8Array }
  /** Strings: UTF-8 values (index 0 is ''), one code per row of `codeWidth` bytes. */
  | { kind: 'dict'; values: Uint8Array[]; codeWidth: 1 | 2 | 4; codes: Uint8Array };

export interface WireBatch {
  /** Unique per batch, kept across retries and restarts: the unit of deduplication. */
  id: string;
  rows: number;
  /** One entry per field of FIELDS, in that order. */
  columns: WireColumn[];
}

/** Bytes per row of a field in ClickHouse's layout. */
export function naturalWidth(f: FieldDef): number {
  switch (f.type) {
    case 'u8':
    case 'enum':
      return 1;
    case 'u16':
      return 2;
    case 'u32':
    case 'time_s':
    case 'string':
      return 4;
    case 'u64':
    case 'time_ms':
    case 'mac':
      return 8;
    case 'ip':
      return 16;
  }
}

const utf8 = new TextEncoder();
const utf8d = new TextDecoder();
const TWO32 = 4294967296;

function bytesOf(a: ArrayBufferView, from: number, n: number, bpe: number): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset + from * bpe, n * bpe);
}

function widthFor(max: number): 1 | 2 | 4 | 8 {
  return max < 0x100 ? 1 : max < 0x10000 ? 2 : max < TWO32 ? 4 : 8;
}

/** Unsigned values as `width`-byte little-endian integers (the platform is little-endian). */
function packUnsigned(src: ArrayLike<number>, from: number, n: number, width: 1 | 2 | 4 | 8): Uint8Array {
  if (width === 1) return Uint8Array.from({ length: n }, (_, i) => src[from + i]);
  const buf = new ArrayBuffer(n * width);
  if (width === 2) {
    const d = new Uint16Array(buf);
    for (let i = 0; i < n; i++) d[i] = src[from + i];
  } else if (width === 4) {
    const d = new Uint32Array(buf);
    for (let i = 0; i < n; i++) d[i] = src[from + i];
  } else {
    const d = new Uint32Array(buf);
    for (let i = 0; i < n; i++) {
      const v = src[from + i];
      const hi = Math.floor(v / TWO32);
      d[2 * i] = v - hi * TWO32;
      d[2 * i + 1] = hi;
    }
  }
  return new Uint8Array(buf);
}

function numericColumn(f: FieldDef, col: Uint8Array | Uint16Array | Uint32Array | Float64Array, from: number, n: number): WireColumn {
  let max = 0;
  for (let i = from; i < from + n; i++) if (col[i] > max) max = col[i];
  if (max === 0) return { kind: 'zero' };
  const natural = naturalWidth(f);
  const w = Math.min(widthFor(max), natural) as 1 | 2 | 4 | 8;
  if (w === natural) {
    // Same width and layout as in the batch: a view, except u64 fields held as doubles.
    if (col instanceof Float64Array) return { kind: 'fixed', bytes: packUnsigned(col, from, n, 8) };
    return { kind: 'fixed', bytes: bytesOf(col, from, n, natural) };
  }
  return { kind: 'narrow', width: w as 1 | 2 | 4, bytes: packUnsigned(col, from, n, w) };
}

function ipColumn(w: Uint32Array, from: number, n: number): WireColumn {
  let v4 = true;
  let zero = true;
  for (let i = from * 4; i < (from + n) * 4; i += 4) {
    // :: (the default) is not IPv4-mapped, so one unknown address keeps the column at 16 bytes.
    if (w[i] !== 0 || w[i + 1] !== 0 || w[i + 2] !== 0xffff) v4 = false;
    if ((w[i] | w[i + 1] | w[i + 2] | w[i + 3]) !== 0) zero = false;
    if (!v4 && !zero) break;
  }
  if (zero) return { kind: 'zero' };
  if (v4) {
    const out = new Uint8Array(n * 4);
    const d = new DataView(out.buffer);
    for (let i = 0; i < n; i++) d.setUint32(i * 4, w[(from + i) * 4 + 3]);
    return { kind: 'ipv4', bytes: out };
  }
  const out = new Uint32Array(n * 4);
  for (let i = 0; i < n * 4; i++) {
    const x = w[from * 4 + i];
    out[i] = ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
  }
  return { kind: 'fixed', bytes: new Uint8Array(out.buffer) };
}

function stringColumn(sc: StringColumn, from: number, n: number): WireColumn {
  // Only the values these rows use travel, re-coded densely in order of first use.
  const remap = new Int32Array(sc.dict.size).fill(-1);
  remap[0] = 0;
  const values: Uint8Array[] = [new Uint8Array(0)];
  const codes = new Uint32Array(n);
  let any = false;
  for (let i = 0; i < n; i++) {
    const c = sc.codes[from + i];
    let m = remap[c];
    if (m < 0) {
      m = remap[c] = values.length;
      values.push(utf8.encode(sc.dict.values[c]));
    }
    codes[i] = m;
    if (m !== 0) any = true;
  }
  if (!any) return { kind: 'zero' };
  const cw = widthFor(values.length - 1) as 1 | 2 | 4;
  return { kind: 'dict', values, codeWidth: cw, codes: cw === 4 ? new Uint8Array(codes.buffer) : packUnsigned(codes, 0, n, cw) };
}

/** Rows [from, to) of a batch in wire layout. Fixed columns may be views of the batch. */
export function wireFromBatch(batch: FlowBatch, id: string, from = 0, to = batch.length): WireBatch {
  const n = to - from;
  const columns = FIELDS.map((f): WireColumn => {
    const col = batch.cols[f.name];
    if (f.type === 'string') return stringColumn(col as StringColumn, from, n);
    if (f.type === 'ip') return ipColumn(col as Uint32Array, from, n);
    return numericColumn(f, col as Uint8Array, from, n);
  });
  return { id, rows: n, columns };
}

/** Rows [from, to) of a wire batch (views, no copies), under a new id. */
export function sliceWire(w: WireBatch, id: string, from: number, to: number): WireBatch {
  const columns = w.columns.map((c, k): WireColumn => {
    switch (c.kind) {
      case 'zero':
        return c;
      case 'fixed': {
        const nw = naturalWidth(FIELDS[k]);
        return { kind: 'fixed', bytes: c.bytes.subarray(from * nw, to * nw) };
      }
      case 'narrow':
        return { kind: 'narrow', width: c.width, bytes: c.bytes.subarray(from * c.width, to * c.width) };
      case 'ipv4':
        return { kind: 'ipv4', bytes: c.bytes.subarray(from * 4, to * 4) };
      case 'dict':
        return { kind: 'dict', values: c.values, codeWidth: c.codeWidth, codes: c.codes.subarray(from * c.codeWidth, to * c.codeWidth) };
    }
  });
  return { id, rows: to - from, columns };
}

/** Reads a little-endian unsigned integer of `width` bytes at row `i`. */
export function readUnsigned(bytes: Uint8Array, width: number, i: number): number {
  const o = i * width;
  switch (width) {
    case 1:
      return bytes[o];
    case 2:
      return bytes[o] | (bytes[o + 1] << 8);
    case 4:
      return (bytes[o] | (bytes[o + 1] << 8) | (bytes[o + 2] << 16)) + bytes[o + 3] * 0x1000000;
    default:
      return readUnsigned(bytes, 4, 2 * i) + readUnsigned(bytes, 4, 2 * i + 1) * TWO32;
  }
}

/** Back to a FlowBatch (consumers that work on batches: detectors, tests). */
export function batchFromWire(w: WireBatch, opts: { shared?: boolean } = {}): FlowBatch {
  const n = w.rows;
  const b = new FlowBatch(Math.max(1, n), opts);
  b.length = n;
  FIELDS.forEach((f, k) => {
    const c = w.columns[k];
    const col = b.cols[f.name as FieldName];
    if (c.kind === 'zero') return;
    if (f.type === 'string') {
      if (c.kind !== 'dict') throw new Error(`${f.name}: a string column sent as ${c.kind}`);
      const sc = col as StringColumn;
      const map = c.values.map((v) => sc.dict.intern(utf8d.decode(v)));
      for (let i = 0; i < n; i++) sc.codes[i] = map[readUnsigned(c.codes, c.codeWidth, i)];
      return;
    }
    if (f.type === 'ip') {
      const a = col as Uint32Array;
      if (c.kind === 'ipv4') {
        for (let i = 0; i < n; i++) {
          a[i * 4 + 2] = 0xffff;
          a[i * 4 + 3] = ((c.bytes[i * 4] << 24) | (c.bytes[i * 4 + 1] << 16) | (c.bytes[i * 4 + 2] << 8) | c.bytes[i * 4 + 3]) >>> 0;
        }
      } else if (c.kind === 'fixed') {
        const by = c.bytes;
        for (let i = 0; i < n * 4; i++) a[i] = ((by[i * 4] << 24) | (by[i * 4 + 1] << 16) | (by[i * 4 + 2] << 8) | by[i * 4 + 3]) >>> 0;
      } else throw new Error(`${f.name}: an address column sent as ${c.kind}`);
      return;
    }
    if (c.kind !== 'fixed' && c.kind !== 'narrow') throw new Error(`${f.name}: a number column sent as ${c.kind}`);
    const width = c.kind === 'narrow' ? c.width : naturalWidth(f);
    const a = col as Uint32Array;
    for (let i = 0; i < n; i++) a[i] = readUnsigned(c.bytes, width, i);
  });
  return b;
}
