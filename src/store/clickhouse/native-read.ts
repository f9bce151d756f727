// Query results in ClickHouse's Native format, read block by block as they stream in. Native
// is binary and typed (every ClickHouse version has it, unlike RowBinaryWithNamesAndTypes),
// so numbers arrive exact, addresses as their 16 bytes, and nothing is parsed from text.

import { formatIp } from '../../schema/ip.js';
import type { ResultColumn, Row } from '../store.js';

export type ColumnData =
  | { kind: 'fixed'; width: number; bytes: Buffer }
  | { kind: 'string'; values: string[] }
  | { kind: 'nullable'; nulls: Buffer; inner: ColumnData }
  | { kind: 'nothing' };

export interface NativeColumn {
  name: string;
  type: string;
  data: ColumnData;
}

export interface NativeBlock {
  rows: number;
  columns: NativeColumn[];
}

class NeedMore extends Error {}

const FIXED: Record<string, number> = {
  UInt8: 1, Int8: 1, UInt16: 2, Int16: 2, UInt32: 4, Int32: 4, Float32: 4, UInt64: 8, Int64: 8, Float64: 8, Date: 2, DateTime: 4, UUID: 16,
};

function fixedWidth(type: string): number | undefined {
  if (FIXED[type]) return FIXED[type];
  if (type.startsWith('Enum8(')) return 1;
  if (type.startsWith('Enum16(')) return 2;
  if (type.startsWith('DateTime(')) return 4;
  const m = /^FixedString\((\d+)\)$/.exec(type);
  return m ? Number(m[1]) : undefined;
}

class Cursor {
  o = 0;
  constructor(readonly b: Buffer) {}
  need(n: number): void {
    if (this.o + n > this.b.length) throw new NeedMore();
  }
  varint(): number {
    let v = 0;
    let mul = 1;
    for (;;) {
      this.need(1);
      const x = this.b[this.o++];
      v += (x & 0x7f) * mul;
      if (x < 0x80) return v;
      mul *= 128;
      if (mul > 2 ** 56) throw new Error('Native: varint too long');
    }
  }
  string(): string {
    const n = this.varint();
    this.need(n);
    const s = this.b.toString('utf8', this.o, this.o + n);
    this.o += n;
    return s;
  }
  bytes(n: number): Buffer {
    this.need(n);
    const s = this.b.subarray(this.o, this.o + n);
    this.o += n;
    return s;
  }
}

function readColumn(c: Cursor, type: string, rows: number): ColumnData {
  if (type.startsWith('Nullable(')) {
    const nulls = c.bytes(rows);
    return { kind: 'nullable', nulls, inner: readColumn(c, type.slice(9, -1), rows) };
  }
  if (type === 'Nothing') {
    c.bytes(rows);
    return { kind: 'nothing' };
  }
  if (type === 'String') {
    const values = new Array<string>(rows);
    for (let i = 0; i < rows; i++) values[i] = c.string();
    return { kind: 'string', values };
  }
  const w = fixedWidth(type);
  if (w === undefined) throw new Error(`Native: results of type ${type} are not supported`);
  return { kind: 'fixed', width: w, bytes: c.bytes(rows * w) };
}

/** Parses one whole block at the cursor, or throws NeedMore. */
function readBlock(c: Cursor): NativeBlock {
  const ncols = c.varint();
  const rows = c.varint();
  const columns: NativeColumn[] = [];
  for (let k = 0; k < ncols; k++) {
    const name = c.string();
    const type = c.string();
    columns.push({ name, type, data: readColumn(c, type, rows) });
  }
  return { rows, columns };
}

/** An error ClickHouse wrote into the body after it had started sending results. */
function trailingError(b: Buffer): Error | undefined {
  const i = b.indexOf('Code: ');
  return i >= 0 ? new Error(b.toString('utf8', i).trim()) : undefined;
}

/**
 * Blocks from a stream of response chunks. A block is parsed once all of it has arrived;
 * attempts wait for the buffer to double, so a block that arrives in many chunks is still
 * parsed in linear time.
 */
export async function* nativeBlocks(chunks: AsyncIterable<Buffer | Uint8Array>): AsyncGenerator<NativeBlock> {
  let buf = Buffer.alloc(0);
  let pending: Buffer[] = [];
  let pendingLen = 0;
  let retryAt = 0;
  const gather = () => {
    if (pending.length) buf = Buffer.concat([buf, ...pending]);
    pending = [];
    pendingLen = 0;
  };
  for await (const chunk of chunks) {
    pending.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    pendingLen += chunk.byteLength;
    if (buf.length + pendingLen < retryAt) continue;
    gather();
    for (;;) {
      const c = new Cursor(buf);
      try {
        const block = readBlock(c);
        buf = buf.subarray(c.o);
        retryAt = 0;
        yield block;
        if (buf.length === 0) break;
      } catch (e) {
        if (!(e instanceof NeedMore)) throw trailingError(buf) ?? e;
        retryAt = buf.length * 2;
        break;
      }
    }
  }
  gather();
  // Blocks that arrived while waiting for the buffer to double.
  while (buf.length) {
    const c = new Cursor(buf);
    try {
      const block = readBlock(c);
      buf = buf.subarray(c.o);
      yield block;
    } catch (e) {
      throw trailingError(buf) ?? (e instanceof NeedMore ? new Error('Native: the result ended inside a block') : e);
    }
  }
}

// Values to JS.

/** `Enum8('a' = 0, 'b' = 1)` → code → name. */
export function enumNames(type: string): Map<number, string> {
  const out = new Map<number, string>();
  const re = /'((?:[^'\\]|\\.)*)'\s*=\s*(-?\d+)/g;
  for (let m = re.exec(type); m; m = re.exec(type)) out.set(Number(m[2]), m[1].replace(/\\(.)/g, '$1'));
  return out;
}

/**
 * Boolean results travel as this enum: ClickHouse 18.16 has no Bool type, and without a
 * marker a comparison's 1/0 could not be told from a number.
 */
export const BOOL_ENUM = "Enum8('false' = 0, 'true' = 1)";

const ipWords = new Uint32Array(4);

type Value = string | number | boolean | null;

function converter(type: string, data: ColumnData): (i: number) => Value {
  switch (data.kind) {
    case 'nothing':
      return () => null;
    case 'string':
      return (i) => data.values[i];
    case 'nullable': {
      const inner = converter(type.slice(9, -1), data.inner);
      return (i) => (data.nulls[i] ? null : inner(i));
    }
    case 'fixed':
      break;
  }
  const b = data.bytes;
  const base = type.replace(/\(.*$/, '');
  switch (base) {
    case 'UInt8':
      return (i) => b[i];
    case 'Int8':
      return (i) => b.readInt8(i);
    case 'UInt16':
      return (i) => b.readUInt16LE(i * 2);
    case 'Int16':
      return (i) => b.readInt16LE(i * 2);
    case 'UInt32':
      return (i) => b.readUInt32LE(i * 4);
    case 'Int32':
      return (i) => b.readInt32LE(i * 4);
    case 'DateTime':
      return (i) => b.readUInt32LE(i * 4);
    case 'Date':
      return (i) => new Date(b.readUInt16LE(i * 2) * 86400_000).toISOString().slice(0, 10);
    case 'Float32':
    case 'Float64': {
      return base === 'Float32' ? (i) => b.readFloatLE(i * 4) : (i) => b.readDoubleLE(i * 8);
    }
    case 'UInt64':
      return (i) => {
        const lo = b.readUInt32LE(i * 8);
        const hi = b.readUInt32LE(i * 8 + 4);
        return hi < 0x200000 ? hi * 4294967296 + lo : b.readBigUInt64LE(i * 8).toString();
      };
    case 'Int64':
      return (i) => {
        const v = b.readBigInt64LE(i * 8);
        return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString();
      };
    case 'Enum8':
    case 'Enum16': {
      if (type === BOOL_ENUM) return (i) => b[i] === 1;
      const names = enumNames(type);
      return base === 'Enum8' ? (i) => names.get(b.readInt8(i)) ?? null : (i) => names.get(b.readInt16LE(i * 2)) ?? null;
    }
    case 'FixedString': {
      const w = data.width;
      if (w === 16) {
        // The only 16-byte fixed strings in the schema are addresses.
        return (i) => {
          for (let k = 0; k < 4; k++) ipWords[k] = b.readUInt32BE(i * 16 + k * 4);
          return formatIp(ipWords, 0);
        };
      }
      return (i) => b.toString('utf8', i * w, (i + 1) * w).replace(/\0+$/, '');
    }
    case 'UUID':
      return (i) => b.toString('hex', i * 16, (i + 1) * 16);
  }
  throw new Error(`Native: results of type ${type} are not supported`);
}

/** A block's rows as JS values: numbers, text, addresses as text, booleans. */
export function blockRows(block: NativeBlock): Row[] {
  const conv = block.columns.map((c) => converter(c.type, c.data));
  const rows: Row[] = new Array(block.rows);
  for (let i = 0; i < block.rows; i++) {
    const r: Row = new Array(conv.length);
    for (let k = 0; k < conv.length; k++) r[k] = conv[k](i);
    rows[i] = r;
  }
  return rows;
}

export function blockColumns(block: NativeBlock): ResultColumn[] {
  return block.columns.map((c) => ({ name: c.name, type: c.type === BOOL_ENUM ? 'Bool' : c.type === `Nullable(${BOOL_ENUM})` ? 'Nullable(Bool)' : c.type }));
}
