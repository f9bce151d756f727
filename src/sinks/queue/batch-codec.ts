// Flow records as bytes for the disk queue: a chunk holds some rows of one batch column by
// column, so writing a whole batch is one memory copy per field and reading it back is the
// same. Strings travel with the batch's dictionary and keep their codes. Byte order is the
// machine's (a queue is read back by the process that wrote it, or its successor on the
// same host).

import { FlowBatch, widthOf, type StringColumn } from '../../schema/batch.js';
import { FIELDS, type FieldDef } from '../../schema/fields.js';

const utf8 = new TextEncoder();
const utf8d = new TextDecoder();

/** A growing byte buffer with little-endian integer writes. */
export class ByteBuffer {
  buf: Uint8Array;
  view: DataView;
  len = 0;

  constructor(initial = 1 << 16) {
    this.buf = new Uint8Array(initial);
    this.view = new DataView(this.buf.buffer);
  }

  ensure(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + extra) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.len, v, true);
    this.len += 4;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  /** Hands the written bytes over and starts again with a fresh buffer. */
  take(): Uint8Array {
    const out = this.buf.subarray(0, this.len);
    this.buf = new Uint8Array(Math.max(1 << 16, this.buf.length));
    this.view = new DataView(this.buf.buffer);
    this.len = 0;
    return out;
  }
}

function bytesOf(a: ArrayBufferView, from: number, to: number): Uint8Array {
  const bpe = (a as Uint8Array).BYTES_PER_ELEMENT;
  return new Uint8Array(a.buffer, a.byteOffset + from * bpe, (to - from) * bpe);
}

/**
 * Appends `n` rows of `batch` as one chunk: rows [from, from + n) when `rows` is null, else
 * the rows listed in `rows[from..from + n)`.
 */
export function encodeChunk(out: ByteBuffer, batch: FlowBatch, rows: Int32Array | null, n: number, from = 0): void {
  out.u32(n);
  for (const f of FIELDS) {
    const col = batch.cols[f.name];
    if (f.type === 'string') {
      // The dictionary as one NUL-separated UTF-8 string: one encoder call per column
      // instead of one per value (dictionaries run to thousands of interface and instance ids).
      const sc = col as StringColumn;
      const values = sc.dict.values;
      let joined = values.length > 1 ? values.slice(1).join('\u0000') : '';
      // A NUL inside a value (never seen in real records) would split it: it becomes U+FFFD.
      if (joined.length > 0 && values.length - 2 !== countNul(joined)) joined = values.slice(1).map((v) => v.replace(/\u0000/g, '\ufffd')).join('\u0000');
      const bytes = utf8.encode(joined);
      out.u32(values.length);
      out.u32(bytes.length);
      out.bytes(bytes);
      writeColumn(out, sc.codes, 1, rows, n, from);
    } else {
      writeColumn(out, col as Uint32Array, widthOf(f), rows, n, from);
    }
  }
}

function writeColumn(out: ByteBuffer, a: Uint8Array | Uint16Array | Uint32Array | Float64Array, w: number, rows: Int32Array | null, n: number, from: number): void {
  if (rows === null) {
    out.bytes(bytesOf(a, from * w, (from + n) * w));
    return;
  }
  const bpe = a.BYTES_PER_ELEMENT;
  out.ensure(n * w * bpe);
  // Gather through a scratch array of the column's type (our buffer's offset may not be aligned).
  const at = out.len;
  const scratch = new (a.constructor as Uint32ArrayConstructor)(n * w);
  if (w === 1) for (let i = 0; i < n; i++) scratch[i] = a[rows[from + i]];
  else
    for (let i = 0; i < n; i++) {
      const s = rows[from + i] * w;
      for (let k = 0; k < w; k++) scratch[i * w + k] = a[s + k];
    }
  out.buf.set(new Uint8Array(scratch.buffer, 0, n * w * bpe), at);
  out.len += n * w * bpe;
}

function countNul(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\u0000'); i >= 0; i = s.indexOf('\u0000', i + 1)) n++;
  return n;
}

function need(src: Uint8Array, off: number, bytes: number): void {
  if (off + bytes > src.length) throw new Error('queue entry ends inside a column');
}

/** Reads `chunks` chunks from `src` into a new batch of `rows` rows (not in shared memory). */
export function decodeChunks(src: Uint8Array, chunks: number, rows: number): FlowBatch {
  const batch = new FlowBatch(Math.max(1, rows), { shared: false });
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  let off = 0;
  for (let c = 0; c < chunks; c++) {
    need(src, off, 4);
    const n = view.getUint32(off, true);
    off += 4;
    if (batch.length + n > rows) throw new Error(`queue entry holds more rows than its header says (${batch.length + n} > ${rows})`);
    const at = batch.length;
    for (const f of FIELDS) {
      const col = batch.cols[f.name];
      if (f.type === 'string') {
        const sc = col as StringColumn;
        need(src, off, 4);
        const count = view.getUint32(off, true);
        need(src, off + 4, 4);
        const len = view.getUint32(off + 4, true);
        off += 8;
        need(src, off, len);
        const remap = new Int32Array(count);
        if (count > 1) {
          const values = utf8d.decode(src.subarray(off, off + len)).split('\u0000');
          if (values.length !== count - 1) throw new Error(`queue entry: ${f.name} dictionary holds ${values.length} values, not ${count - 1}`);
          for (let i = 1; i < count; i++) remap[i] = sc.dict.intern(values[i - 1]);
        }
        off += len;
        const bytes = n * 4;
        need(src, off, bytes);
        bytesOf(sc.codes, at, at + n).set(src.subarray(off, off + bytes));
        off += bytes;
        const codes = sc.codes;
        for (let i = at; i < at + n; i++) {
          const code = codes[i];
          if (code >= count) throw new Error(`queue entry: ${f.name} code ${code} outside its dictionary`);
          codes[i] = remap[code];
        }
      } else {
        const w = widthOf(f as FieldDef);
        const a = col as Uint32Array;
        const bytes = n * w * a.BYTES_PER_ELEMENT;
        need(src, off, bytes);
        bytesOf(a, at * w, (at + n) * w).set(src.subarray(off, off + bytes));
        off += bytes;
      }
    }
    batch.length += n;
  }
  return batch;
}

/** Bytes a chunk of `n` rows takes, dictionaries aside (for queue-size estimates). */
export function fixedBytesPerRow(): number {
  let b = 0;
  for (const f of FIELDS) {
    const w = widthOf(f);
    b += f.type === 'string' ? 4 : w * bytesPerElement(f);
  }
  return b;
}

function bytesPerElement(f: FieldDef): number {
  switch (f.type) {
    case 'u8':
    case 'enum':
      return 1;
    case 'u16':
      return 2;
    case 'u64':
    case 'time_ms':
    case 'mac':
      return 8;
    default:
      return 4;
  }
}
