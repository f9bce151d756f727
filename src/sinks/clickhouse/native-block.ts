// A FlowBatch as one ClickHouse Native-format block (the format of `INSERT … FORMAT Native`
// over HTTP: column count, row count, then per column its name, type and values). Numeric
// columns are copied from the typed arrays as they are (ClickHouse is little-endian too), so
// encoding costs little more than the copy; strings go through their dictionary once.

import type { FlowBatch, StringColumn } from '../../schema/batch.js';
import { clickhouseType as sharedType } from '../../schema/clickhouse-types.js';
import { FIELDS, type FieldDef } from '../../schema/fields.js';

/** The sink's tables show window times as DateTime: they are the user's to read. */
export function clickhouseType(f: FieldDef): string {
  return sharedType(f, { times: 'DateTime' });
}

const utf8 = new TextEncoder();

class Out {
  buf: Uint8Array;
  len = 0;
  constructor(size: number) {
    this.buf = new Uint8Array(size);
  }
  ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  varint(v: number): void {
    this.ensure(10);
    while (v >= 0x80) {
      this.buf[this.len++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.len++] = v;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  string(s: string): void {
    const b = utf8.encode(s);
    this.varint(b.length);
    this.bytes(b);
  }
}

function raw(a: ArrayBufferView, n: number): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, n);
}

export interface ExtraColumn {
  name: string;
  /** A String column with the same value in every row. */
  value: string;
}

let scratch = new Uint32Array(0);

/** The block for all rows of `b`, with the extra constant String columns appended. */
export function nativeBlock(b: FlowBatch, extra: readonly ExtraColumn[] = [], fields: readonly FieldDef[] = FIELDS): Uint8Array {
  const n = b.length;
  const out = new Out(Math.max(1 << 16, n * 160));
  out.varint(fields.length + extra.length);
  out.varint(n);
  for (const f of fields) {
    out.string(f.name);
    out.string(clickhouseType(f));
    const col = b.cols[f.name as keyof FlowBatch['cols']];
    switch (f.type) {
      case 'u8':
      case 'enum':
        out.bytes(raw(col as Uint8Array, n));
        break;
      case 'u16':
        out.bytes(raw(col as Uint16Array, n * 2));
        break;
      case 'u32':
      case 'time_s':
        out.bytes(raw(col as Uint32Array, n * 4));
        break;
      case 'u64':
      case 'time_ms':
      case 'mac': {
        const a = col as Float64Array;
        if (scratch.length < n * 4) scratch = new Uint32Array(n * 4);
        for (let i = 0; i < n; i++) {
          const v = a[i];
          const hi = Math.floor(v / 4294967296);
          scratch[2 * i] = v - hi * 4294967296;
          scratch[2 * i + 1] = hi;
        }
        out.bytes(raw(scratch, n * 8));
        break;
      }
      case 'ip': {
        const w = col as Uint32Array;
        if (scratch.length < n * 4) scratch = new Uint32Array(n * 4);
        // Words are most significant first; each word's bytes go big-endian.
        for (let i = 0; i < n * 4; i++) {
          const x = w[i];
          scratch[i] = ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
        }
        out.bytes(raw(scratch, n * 16));
        break;
      }
      case 'string': {
        // Every dictionary value encoded once (length prefix + UTF-8) into one array; rows
        // then copy their value's bytes with a plain loop (set() costs more for a few bytes).
        const sc = col as StringColumn;
        const dict = new Out(256);
        const at = new Int32Array(sc.dict.values.length + 1);
        sc.dict.values.forEach((s, i) => {
          at[i] = dict.len;
          dict.string(s);
        });
        at[sc.dict.values.length] = dict.len;
        const d = dict.buf;
        const codes = sc.codes;
        let total = 0;
        for (let i = 0; i < n; i++) total += at[codes[i] + 1] - at[codes[i]];
        out.ensure(total);
        const o = out.buf;
        let p = out.len;
        for (let i = 0; i < n; i++) {
          const c = codes[i];
          for (let k = at[c], end = at[c + 1]; k < end; k++) o[p++] = d[k];
        }
        out.len = p;
        break;
      }
    }
  }
  for (const x of extra) {
    out.string(x.name);
    out.string('String');
    const body = utf8.encode(x.value);
    const one = new Out(body.length + 5);
    one.varint(body.length);
    one.bytes(body);
    const e = one.buf.subarray(0, one.len);
    out.ensure(e.length * n);
    for (let i = 0; i < n; i++) {
      out.buf.set(e, out.len);
      out.len += e.length;
    }
  }
  return out.buf.subarray(0, out.len);
}
