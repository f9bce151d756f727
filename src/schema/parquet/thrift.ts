// The slice of Thrift's compact protocol that Parquet metadata needs: structs, i32/i64,
// binary, bool and lists, written into a growing byte buffer. Numbers are JS numbers, exact
// for the offsets and counts a file can hold (< 2^53).

export const enum TType {
  True = 1,
  False = 2,
  Byte = 3,
  I16 = 4,
  I32 = 5,
  I64 = 6,
  Double = 7,
  Binary = 8,
  List = 9,
  Struct = 12,
}

const utf8 = new TextEncoder();

export class ByteSink {
  buf: Uint8Array;
  len = 0;

  constructor(initial = 1 << 16) {
    this.buf = new Uint8Array(initial);
  }

  ensure(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + extra) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  /** Unsigned LEB128 of a non-negative integer < 2^53. */
  uvarint(v: number): void {
    this.ensure(10);
    if (v < 0x80000000) {
      while (v >= 0x80) {
        this.buf[this.len++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      this.buf[this.len++] = v;
      return;
    }
    while (v >= 0x80) {
      this.buf[this.len++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.len++] = v;
  }

  /** Zigzag then LEB128, for signed integers with |v| < 2^52. */
  zvarint(v: number): void {
    this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  u32le(v: number): void {
    this.ensure(4);
    const b = this.buf;
    const o = this.len;
    b[o] = v & 255;
    b[o + 1] = (v >>> 8) & 255;
    b[o + 2] = (v >>> 16) & 255;
    b[o + 3] = (v >>> 24) & 255;
    this.len += 4;
  }

  view(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  reset(): void {
    this.len = 0;
  }
}

/** Writes compact-protocol structs; call `begin`/`end` around each nested struct. */
export class CompactWriter {
  private lastId: number[] = [0];

  constructor(readonly out: ByteSink) {}

  private header(id: number, type: number): void {
    const last = this.lastId[this.lastId.length - 1];
    const delta = id - last;
    if (delta > 0 && delta <= 15) this.out.byte((delta << 4) | type);
    else {
      this.out.byte(type);
      this.out.zvarint(id);
    }
    this.lastId[this.lastId.length - 1] = id;
  }

  i32(id: number, v: number): this {
    this.header(id, TType.I32);
    this.out.zvarint(v);
    return this;
  }

  i64(id: number, v: number): this {
    this.header(id, TType.I64);
    this.out.zvarint(v);
    return this;
  }

  i8(id: number, v: number): this {
    this.header(id, TType.Byte);
    this.out.byte(v & 255);
    return this;
  }

  bool(id: number, v: boolean): this {
    this.header(id, v ? TType.True : TType.False);
    return this;
  }

  binary(id: number, v: Uint8Array): this {
    this.header(id, TType.Binary);
    this.out.uvarint(v.length);
    this.out.bytes(v);
    return this;
  }

  string(id: number, v: string): this {
    return this.binary(id, utf8.encode(v));
  }

  /** Opens a nested struct field; close it with `end()`. */
  begin(id: number): this {
    this.header(id, TType.Struct);
    this.lastId.push(0);
    return this;
  }

  /** Closes the struct opened last (or the top-level struct). */
  end(): this {
    this.out.byte(0);
    this.lastId.pop();
    if (this.lastId.length === 0) this.lastId.push(0);
    return this;
  }

  /** A list field header; then write `count` elements of `elemType`. */
  list(id: number, elemType: TType, count: number): this {
    this.header(id, TType.List);
    this.listHeader(elemType, count);
    return this;
  }

  private listHeader(elemType: TType, count: number): void {
    if (count < 15) this.out.byte((count << 4) | elemType);
    else {
      this.out.byte(0xf0 | elemType);
      this.out.uvarint(count);
    }
  }

  /** Starts a struct that is a list element (no field header). */
  beginElement(): this {
    this.lastId.push(0);
    return this;
  }

  elementI32(v: number): this {
    this.out.zvarint(v);
    return this;
  }

  elementString(v: string): this {
    const b = utf8.encode(v);
    this.out.uvarint(b.length);
    this.out.bytes(b);
    return this;
  }
}
