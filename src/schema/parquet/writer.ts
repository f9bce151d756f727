// Flow records as a Parquet file, written from FlowBatch columns without going through rows.
// Each column chunk picks the cheapest of a few encodings by looking at its values once:
// constant → one-entry dictionary; few distinct values → dictionary + RLE/bit-packed codes;
// otherwise DELTA_BINARY_PACKED for integers and PLAIN for addresses. Pages are not compressed:
// this is the fast, durable first form of the data; the store compacts it later.

import { FIELDS, type FieldDef } from '../fields.js';
import type { FlowBatch, StringColumn } from '../batch.js';
import { ByteSink, CompactWriter, TType } from './thrift.js';
import { bitWidth, writeDeltaBinaryPacked, writePlainInt32, writePlainInt64, writePlainIp, writeRleHybrid } from './encodings.js';
import { IpDictionary, NumberDictionary } from './dictionary.js';

const enum PType {
  Int32 = 1,
  Int64 = 2,
  ByteArray = 6,
  Flba = 7,
}
const enum Enc {
  Plain = 0,
  Rle = 3,
  DeltaBinaryPacked = 5,
  RleDictionary = 8,
}
const enum PageType {
  Data = 0,
  Dictionary = 2,
}

interface Physical {
  type: PType;
  /** bit width of the unsigned integer logical type; 0 for strings and addresses */
  intBits: number;
}

function physicalOf(f: FieldDef): Physical {
  switch (f.type) {
    case 'u8':
      return { type: PType.Int32, intBits: 8 };
    case 'u16':
      return { type: PType.Int32, intBits: 16 };
    case 'u32':
    case 'time_s':
      return { type: PType.Int32, intBits: 32 };
    case 'u64':
    case 'time_ms':
    case 'mac':
      return { type: PType.Int64, intBits: 64 };
    case 'ip':
      return { type: PType.Flba, intBits: 0 };
    case 'string':
    case 'enum':
      return { type: PType.ByteArray, intBits: 0 };
  }
}

const utf8 = new TextEncoder();

interface ChunkMeta {
  field: FieldDef;
  phys: Physical;
  encodings: number[];
  numValues: number;
  dictOffset: number; // -1 when none
  dataOffset: number;
  size: number;
  min?: Uint8Array;
  max?: Uint8Array;
}

/** Reused across calls: the writer is synchronous and single-threaded. */
const scratch = {
  page: new ByteSink(1 << 20),
  codes: new Uint32Array(1 << 16),
  values: new Float64Array(1 << 16),
  numDict: new NumberDictionary(),
  ipDict: new IpDictionary(),
};

/** A column slice as doubles: every numeric loop below then sees one array type only. */
function valuesOf(col: Uint8Array | Uint16Array | Uint32Array | Float64Array, from: number, n: number): Float64Array {
  if (col instanceof Float64Array) return col.subarray(from, from + n);
  if (scratch.values.length < n) scratch.values = new Float64Array(n);
  const v = scratch.values;
  v.set(col.subarray(from, from + n));
  return v;
}

/** A one-value dictionary and a single RLE run: the common case of a column nobody filled. */
function writeConstantCodesPage(file: ByteSink, n: number): void {
  scratch.page.byte(1);
  scratch.page.uvarint(n * 2);
  scratch.page.byte(0);
  emitPage(file, PageType.Data, n, Enc.RleDictionary);
}

function codesFor(n: number): Uint32Array {
  if (scratch.codes.length < n) scratch.codes = new Uint32Array(n);
  return scratch.codes;
}

function writePageHeader(out: ByteSink, type: PageType, size: number, numValues: number, encoding: Enc): void {
  const w = new CompactWriter(out);
  w.i32(1, type).i32(2, size).i32(3, size);
  if (type === PageType.Dictionary) w.begin(7).i32(1, numValues).i32(2, Enc.Plain).end();
  else w.begin(5).i32(1, numValues).i32(2, encoding).i32(3, Enc.Rle).i32(4, Enc.Rle).end();
  w.end();
}

/** Appends a page (header + body) taken from `scratch.page` to the file. */
function emitPage(file: ByteSink, type: PageType, numValues: number, encoding: Enc): void {
  const body = scratch.page.view();
  writePageHeader(file, type, body.length, numValues, encoding);
  file.bytes(body);
  scratch.page.reset();
}

function intStatBytes(v: number, bits: number): Uint8Array {
  const s = new ByteSink(8);
  if (bits === 64) writePlainInt64(s, [v], 0, 1);
  else writePlainInt32(s, [v], 0, 1);
  return s.view().slice();
}

function writeDictCodesPage(file: ByteSink, codes: Uint32Array, n: number, dictSize: number): void {
  const w = Math.max(1, bitWidth(dictSize - 1));
  scratch.page.byte(w);
  writeRleHybrid(scratch.page, codes, n, w);
  emitPage(file, PageType.Data, n, Enc.RleDictionary);
}

/**
 * How hard to work at making the file small. `fast` (the store's first, short-lived form of
 * the data) only takes what is nearly free: constant columns, strings, narrow-range numbers;
 * `small` also hashes wide values into dictionaries and delta-packs the rest.
 */
export type Effort = 'fast' | 'small';

type IntColumn = Uint8Array | Uint16Array | Uint32Array | Float64Array;

// One min/max loop per array type: a loop shared by several typed-array types runs several
// times slower in V8 than one that only ever sees one type.
function minMaxF64(a: Float64Array, from: number, n: number, out: Float64Array): void {
  let min = a[from];
  let max = min;
  for (let i = from + 1; i < from + n; i++) {
    const v = a[i];
    if (v < min) min = v;
    else if (v > max) max = v;
  }
  out[0] = min;
  out[1] = max;
}
function minMaxU32(a: Uint32Array, from: number, n: number, out: Float64Array): void {
  let min = a[from];
  let max = min;
  for (let i = from + 1; i < from + n; i++) {
    const v = a[i];
    if (v < min) min = v;
    else if (v > max) max = v;
  }
  out[0] = min;
  out[1] = max;
}
function minMaxU16(a: Uint16Array, from: number, n: number, out: Float64Array): void {
  let min = a[from];
  let max = min;
  for (let i = from + 1; i < from + n; i++) {
    const v = a[i];
    if (v < min) min = v;
    else if (v > max) max = v;
  }
  out[0] = min;
  out[1] = max;
}
function minMaxU8(a: Uint8Array, from: number, n: number, out: Float64Array): void {
  let min = a[from];
  let max = min;
  for (let i = from + 1; i < from + n; i++) {
    const v = a[i];
    if (v < min) min = v;
    else if (v > max) max = v;
  }
  out[0] = min;
  out[1] = max;
}

const range = new Float64Array(2);

function minMax(col: IntColumn, from: number, n: number): void {
  if (n === 0) range[0] = range[1] = 0;
  else if (col instanceof Float64Array) minMaxF64(col, from, n, range);
  else if (col instanceof Uint32Array) minMaxU32(col, from, n, range);
  else if (col instanceof Uint16Array) minMaxU16(col, from, n, range);
  else minMaxU8(col, from, n, range);
}

/** PLAIN INT32 straight from the column: a copy for u32, a native widening for u8/u16. */
function writePlainInt32From(out: ByteSink, col: Uint8Array | Uint16Array | Uint32Array, from: number, n: number): void {
  out.ensure(4 * n + 4);
  if (out.len % 4 !== 0) {
    writePlainInt32(out, valuesOf(col, from, n), 0, n);
    return;
  }
  const dst = new Int32Array(out.buf.buffer, out.buf.byteOffset + out.len, n);
  if (col instanceof Uint32Array) dst.set(new Int32Array(col.buffer, col.byteOffset + 4 * from, n));
  else dst.set(col.subarray(from, from + n));
  out.len += 4 * n;
}

function writeNumericChunk(file: ByteSink, phys: Physical, col: IntColumn, from: number, n: number, meta: ChunkMeta, effort: Effort): void {
  minMax(col, from, n);
  const min = range[0];
  const max = range[1];
  meta.min = intStatBytes(min, phys.intBits);
  meta.max = intStatBytes(max, phys.intBits);
  const plain = phys.intBits === 64 ? writePlainInt64 : writePlainInt32;
  meta.encodings = [Enc.Plain, Enc.Rle, Enc.RleDictionary];
  if (min === max) {
    meta.dictOffset = file.len;
    plain(scratch.page, constantValue(min), 0, 1);
    emitPage(file, PageType.Dictionary, 1, Enc.Plain);
    meta.dataOffset = file.len;
    writeConstantCodesPage(file, n);
    return;
  }
  const wide = max - min >= 65536;
  if (!wide || effort === 'small') {
    const vals = valuesOf(col, from, n);
    const codes = codesFor(n);
    const dict = scratch.numDict;
    // A dictionary pays when values repeat: allow at most one distinct value per 8 rows.
    const limit = Math.max(1, Math.min(65536, n >> 3));
    if (wide ? dict.build(vals, n, codes, limit) : dict.buildSmallRange(vals, n, min, codes, limit)) {
      meta.dictOffset = file.len;
      plain(scratch.page, dict.values, 0, dict.size);
      emitPage(file, PageType.Dictionary, dict.size, Enc.Plain);
      meta.dataOffset = file.len;
      writeDictCodesPage(file, codes, n, dict.size);
      return;
    }
    if (effort === 'small' && max - min < 2 ** 52) {
      meta.dataOffset = file.len;
      writeDeltaBinaryPacked(scratch.page, vals, n, phys.intBits !== 64);
      emitPage(file, PageType.Data, n, Enc.DeltaBinaryPacked);
      meta.encodings = [Enc.DeltaBinaryPacked, Enc.Rle];
      return;
    }
  }
  meta.dataOffset = file.len;
  if (col instanceof Float64Array) writePlainInt64(scratch.page, col, from, n);
  else writePlainInt32From(scratch.page, col, from, n);
  emitPage(file, PageType.Data, n, Enc.Plain);
  meta.encodings = [Enc.Plain, Enc.Rle];
}

const one = new Float64Array(1);
function constantValue(v: number): Float64Array {
  one[0] = v;
  return one;
}

function ipBytes(w: Uint32Array, row: number): Uint8Array {
  const s = new ByteSink(16);
  writePlainIp(s, w, row, 1);
  return s.view().slice();
}

function constantIp(w: Uint32Array, from: number, n: number): boolean {
  const o = from * 4;
  const a = w[o];
  const b = w[o + 1];
  const c = w[o + 2];
  const d = w[o + 3];
  for (let i = o + 4; i < (from + n) * 4; i += 4) if (w[i + 3] !== d || w[i + 2] !== c || w[i + 1] !== b || w[i] !== a) return false;
  return true;
}

function writeIpChunk(file: ByteSink, words: Uint32Array, from: number, n: number, meta: ChunkMeta, effort: Effort): void {
  if (n > 0 && constantIp(words, from, n)) {
    meta.min = meta.max = ipBytes(words, from);
    meta.dictOffset = file.len;
    writePlainIp(scratch.page, words, from, 1);
    emitPage(file, PageType.Dictionary, 1, Enc.Plain);
    meta.dataOffset = file.len;
    writeConstantCodesPage(file, n);
    meta.encodings = [Enc.Plain, Enc.Rle, Enc.RleDictionary];
    return;
  }
  const codes = codesFor(n);
  const dict = scratch.ipDict;
  const limit = effort === 'small' ? Math.max(1, Math.min(65536, n >> 2)) : 0;
  if (n > 0 && limit > 0 && dict.build(words, from, n, codes, limit)) {
    // Min and max over the dictionary only: cheap, and lets readers skip row groups by CIDR.
    let lo = 0;
    let hi = 0;
    const dw = dict.words;
    for (let k = 1; k < dict.size; k++) {
      if (cmpWords(dw, k, dw, lo) < 0) lo = k;
      if (cmpWords(dw, k, dw, hi) > 0) hi = k;
    }
    meta.min = ipBytes(dw, lo);
    meta.max = ipBytes(dw, hi);
    meta.dictOffset = file.len;
    writePlainIp(scratch.page, dw, 0, dict.size);
    emitPage(file, PageType.Dictionary, dict.size, Enc.Plain);
    meta.dataOffset = file.len;
    writeDictCodesPage(file, codes, n, dict.size);
    meta.encodings = [Enc.Plain, Enc.Rle, Enc.RleDictionary];
    return;
  }
  meta.dataOffset = file.len;
  writePlainIp(scratch.page, words, from, n);
  emitPage(file, PageType.Data, n, Enc.Plain);
  meta.encodings = [Enc.Plain, Enc.Rle];
}

function cmpWords(a: Uint32Array, ai: number, b: Uint32Array, bi: number): number {
  for (let k = 0; k < 4; k++) {
    const d = a[ai * 4 + k] - b[bi * 4 + k];
    if (d !== 0) return d;
  }
  return 0;
}

function writeStringDictPage(file: ByteSink, values: readonly string[]): void {
  for (const v of values) {
    const b = utf8.encode(v);
    scratch.page.u32le(b.length);
    scratch.page.bytes(b);
  }
  emitPage(file, PageType.Dictionary, values.length, Enc.Plain);
}

function writeStringChunk(file: ByteSink, col: StringColumn, from: number, n: number, meta: ChunkMeta): void {
  meta.encodings = [Enc.Plain, Enc.Rle, Enc.RleDictionary];
  const src = col.codes;
  const first = n > 0 ? src[from] : 0;
  let constant = true;
  for (let i = from + 1; i < from + n; i++) {
    if (src[i] !== first) {
      constant = false;
      break;
    }
  }
  meta.dictOffset = file.len;
  if (constant) {
    writeStringDictPage(file, [col.dict.values[first]]);
    meta.dataOffset = file.len;
    writeConstantCodesPage(file, n);
    return;
  }
  // Re-code to the values this row range uses, so a shared dictionary never leaks into the file.
  const used = new Int32Array(col.dict.size).fill(-1);
  const values: string[] = [];
  const codes = codesFor(n);
  for (let i = 0; i < n; i++) {
    const c = src[from + i];
    let m = used[c];
    if (m < 0) {
      m = used[c] = values.length;
      values.push(col.dict.values[c]);
    }
    codes[i] = m;
  }
  writeStringDictPage(file, values);
  meta.dataOffset = file.len;
  writeDictCodesPage(file, codes, n, values.length);
}

function writeEnumChunk(file: ByteSink, f: FieldDef, codes8: Uint8Array, from: number, n: number, meta: ChunkMeta): void {
  meta.encodings = [Enc.Plain, Enc.Rle, Enc.RleDictionary];
  meta.dictOffset = file.len;
  writeStringDictPage(file, f.values!);
  meta.dataOffset = file.len;
  const codes = codesFor(n);
  codes.set(codes8.subarray(from, from + n));
  writeDictCodesPage(file, codes, n, f.values!.length);
}

function writeColumnChunk(file: ByteSink, f: FieldDef, batch: FlowBatch, from: number, n: number, effort: Effort): ChunkMeta {
  const phys = physicalOf(f);
  const meta: ChunkMeta = { field: f, phys, encodings: [], numValues: n, dictOffset: -1, dataOffset: 0, size: 0 };
  const start = file.len;
  const col = batch.cols[f.name as keyof typeof batch.cols];
  if (f.type === 'string') writeStringChunk(file, col as StringColumn, from, n, meta);
  else if (f.type === 'enum') writeEnumChunk(file, f, col as Uint8Array, from, n, meta);
  else if (f.type === 'ip') writeIpChunk(file, col as Uint32Array, from, n, meta, effort);
  else writeNumericChunk(file, phys, col as IntColumn, from, n, meta, effort);
  meta.size = file.len - start;
  return meta;
}

function writeSchema(w: CompactWriter, fields: readonly FieldDef[]): void {
  w.list(2, TType.Struct, fields.length + 1);
  w.beginElement().string(4, 'schema').i32(5, fields.length).end();
  for (const f of fields) {
    const p = physicalOf(f);
    w.beginElement().i32(1, p.type);
    if (p.type === PType.Flba) w.i32(2, 16);
    w.i32(3, 0).string(4, f.name);
    if (p.type === PType.ByteArray) w.i32(6, 0).begin(10).begin(1).end().end();
    else if (p.type === PType.Flba) w.begin(10).begin(14).end().end();
    else {
      // 64-bit counters are written signed (INT_64): values stay below 2^53, and engines sum
      // signed 64-bit integers without first widening every value to 128 bits.
      const signed = p.intBits === 64;
      const converted = { 8: 11, 16: 12, 32: 13, 64: 18 }[p.intBits as 8 | 16 | 32 | 64];
      w.i32(6, converted).begin(10).begin(10).i8(1, p.intBits).bool(2, signed).end().end();
    }
    w.end();
  }
}

export interface RowGroupRange {
  batch: FlowBatch;
  from: number;
  to: number;
}

/** Arbitrary string metadata stored in the footer (e.g. time bounds for pruning). */
export type FooterMetadata = Record<string, string>;

/**
 * Encodes row groups into one Parquet file and returns its bytes (a view into a reused
 * buffer when `sink` is passed: copy or write it before the next call).
 */
export function encodeParquet(
  groups: readonly RowGroupRange[],
  fields: readonly FieldDef[] = FIELDS,
  kv: FooterMetadata = {},
  sink = new ByteSink(1 << 20),
  effort: Effort = 'small',
): Uint8Array {
  const file = sink;
  file.reset();
  file.bytes(utf8.encode('PAR1'));
  const rowGroups: { metas: ChunkMeta[]; rows: number; bytes: number }[] = [];
  let totalRows = 0;
  for (const g of groups) {
    const n = g.to - g.from;
    if (n <= 0) continue;
    const start = file.len;
    const metas = fields.map((f) => writeColumnChunk(file, f, g.batch, g.from, n, effort));
    rowGroups.push({ metas, rows: n, bytes: file.len - start });
    totalRows += n;
  }
  const footerStart = file.len;
  const w = new CompactWriter(file);
  w.i32(1, 1);
  writeSchema(w, fields);
  w.i64(3, totalRows);
  w.list(4, TType.Struct, rowGroups.length);
  for (const rg of rowGroups) {
    w.beginElement();
    w.list(1, TType.Struct, rg.metas.length);
    for (const m of rg.metas) {
      w.beginElement();
      w.i64(2, m.dictOffset >= 0 ? m.dictOffset : m.dataOffset);
      w.begin(3);
      w.i32(1, m.phys.type);
      w.list(2, TType.I32, m.encodings.length);
      for (const e of m.encodings) w.elementI32(e);
      w.list(3, TType.Binary, 1).elementString(m.field.name);
      w.i32(4, 0).i64(5, m.numValues).i64(6, m.size).i64(7, m.size).i64(9, m.dataOffset);
      if (m.dictOffset >= 0) w.i64(11, m.dictOffset);
      if (m.min && m.max) w.begin(12).i64(3, 0).binary(5, m.max).binary(6, m.min).end();
      w.end();
      w.end();
    }
    w.i64(2, rg.bytes).i64(3, rg.rows);
    w.end();
  }
  const keys = Object.keys(kv);
  if (keys.length) {
    w.list(5, TType.Struct, keys.length);
    for (const k of keys) w.beginElement().string(1, k).string(2, kv[k]).end();
  }
  w.string(6, 'flowlogs');
  w.end();
  file.u32le(file.len - footerStart);
  file.bytes(utf8.encode('PAR1'));
  return file.view();
}
