// Parquet value encodings written straight from typed arrays: PLAIN, the RLE/bit-packing
// hybrid (dictionary indices) and DELTA_BINARY_PACKED. Loops run over numbers only, so the
// writer allocates per page, never per value.

import type { ByteSink } from './thrift.js';

const P32 = 0x100000000;

export function bitWidth(maxValue: number): number {
  let w = 0;
  while (maxValue >= 1) {
    maxValue = Math.floor(maxValue / 2);
    w++;
  }
  return w;
}

/**
 * Packs `count` values (a multiple of 8) of `w` ≤ 32 bits, least significant bit first;
 * values at or past `end` are written as zero padding.
 */
function bitPack(out: ByteSink, vals: Uint32Array, from: number, count: number, w: number, end: number): void {
  if (w === 0) return;
  out.ensure((count * w) / 8 + 8);
  const b = out.buf;
  let o = out.len;
  // Bits accumulate in a double-free pair: `acc` holds at most 7 pending bits plus one value.
  let acc = 0;
  let bits = 0;
  const stop = Math.min(end, from + count);
  if (w <= 24) {
    for (let i = from; i < stop; i++) {
      acc |= vals[i] << bits;
      bits += w;
      while (bits >= 8) {
        b[o++] = acc;
        acc >>>= 8;
        bits -= 8;
      }
    }
  } else {
    for (let i = from; i < stop; i++) {
      const v = vals[i];
      acc |= (v & 0xffff) << bits;
      bits += 16;
      while (bits >= 8) {
        b[o++] = acc;
        acc >>>= 8;
        bits -= 8;
      }
      acc |= (v >>> 16) << bits;
      bits += w - 16;
      while (bits >= 8) {
        b[o++] = acc;
        acc >>>= 8;
        bits -= 8;
      }
    }
  }
  // Zero padding up to the whole group.
  const totalBytes = (count * w) / 8;
  if (bits > 0) {
    b[o++] = acc;
  }
  while (o < out.len + totalBytes) b[o++] = 0;
  out.len = o;
}

/** The same for widths above 32 bits (INT64 deltas), in 24-bit pieces. */
function bitPackWide(out: ByteSink, vals: Float64Array, from: number, count: number, w: number, end: number): void {
  out.ensure((count * w) / 8 + 8);
  const b = out.buf;
  let o = out.len;
  let acc = 0;
  let bits = 0;
  for (let i = from; i < from + count; i++) {
    let v = i < end ? vals[i] : 0;
    for (let left = w; left > 0; left -= 24) {
      const piece = Math.min(24, left);
      const part = v % 0x1000000;
      v = (v - part) / 0x1000000;
      acc |= part << bits;
      bits += piece;
      while (bits >= 8) {
        b[o++] = acc;
        acc >>>= 8;
        bits -= 8;
      }
    }
  }
  out.len = o;
}

/**
 * The RLE/bit-packing hybrid of `n` values of width `w` (no length prefix). Runs of 8 or more
 * equal values become RLE runs; everything else is bit-packed in groups of 8.
 */
export function writeRleHybrid(out: ByteSink, vals: Uint32Array, n: number, w: number): void {
  const valueBytes = Math.ceil(w / 8);
  let pendingStart = 0;
  let i = 0;
  while (i < n) {
    const v = vals[i];
    let j = i + 1;
    while (j < n && vals[j] === v) j++;
    if (j - i >= 8) {
      const pend = i - pendingStart;
      const borrow = pend % 8 === 0 ? 0 : 8 - (pend % 8);
      if (pend > 0) {
        const count = pend + borrow;
        out.uvarint(((count / 8) << 1) | 1);
        bitPack(out, vals, pendingStart, count, w, n);
      }
      const runStart = i + borrow;
      const runLen = j - runStart;
      if (runLen > 0) {
        out.uvarint(runLen * 2);
        out.ensure(valueBytes);
        let x = v;
        for (let k = 0; k < valueBytes; k++) {
          out.buf[out.len++] = x & 255;
          x >>>= 8;
        }
      }
      pendingStart = j;
    }
    i = j;
  }
  const pend = n - pendingStart;
  if (pend > 0) {
    const count = Math.ceil(pend / 8) * 8;
    out.uvarint(((count / 8) << 1) | 1);
    bitPack(out, vals, pendingStart, count, w, n);
  }
}

// The PLAIN writers store whole words through typed-array views when the output offset is
// 4-byte aligned (it is: pages start at offset 0 of the page buffer), and fall back to bytes
// otherwise. Byte-by-byte stores cost 3-5x more.

function wordsAt(out: ByteSink, n: number): Uint32Array | undefined {
  out.ensure(4 * n);
  return out.len % 4 === 0 ? new Uint32Array(out.buf.buffer, out.buf.byteOffset + out.len, n) : undefined;
}

export function writePlainInt32(out: ByteSink, vals: ArrayLike<number>, from: number, n: number): void {
  const w = wordsAt(out, n);
  if (w && vals instanceof Float64Array) {
    // Float64 → Int32 conversion wraps like ToInt32, which keeps the bits of u32 values.
    new Int32Array(w.buffer, w.byteOffset, n).set(vals.subarray(from, from + n));
    out.len += 4 * n;
    return;
  }
  const b = out.buf;
  let o = out.len;
  for (let i = from; i < from + n; i++) {
    const v = vals[i];
    b[o] = v & 255;
    b[o + 1] = (v >>> 8) & 255;
    b[o + 2] = (v >>> 16) & 255;
    b[o + 3] = (v >>> 24) & 255;
    o += 4;
  }
  out.len = o;
}

/** INT64 little-endian from non-negative doubles (< 2^53). */
export function writePlainInt64(out: ByteSink, vals: ArrayLike<number>, from: number, n: number): void {
  const w = wordsAt(out, 2 * n);
  if (w) {
    for (let i = 0; i < n; i++) {
      const v = vals[from + i];
      const hi = (v / P32) >>> 0;
      w[2 * i] = v - hi * P32;
      w[2 * i + 1] = hi;
    }
    out.len += 8 * n;
    return;
  }
  const b = out.buf;
  let o = out.len;
  for (let i = from; i < from + n; i++) {
    const v = vals[i];
    const hi = (v / P32) >>> 0;
    const lo = v - hi * P32;
    b[o] = lo & 255;
    b[o + 1] = (lo >>> 8) & 255;
    b[o + 2] = (lo >>> 16) & 255;
    b[o + 3] = (lo >>> 24) & 255;
    b[o + 4] = hi & 255;
    b[o + 5] = (hi >>> 8) & 255;
    b[o + 6] = (hi >>> 16) & 255;
    b[o + 7] = (hi >>> 24) & 255;
    o += 8;
  }
  out.len = o;
}

/** 16-byte big-endian addresses from four words per row. */
export function writePlainIp(out: ByteSink, words: Uint32Array, from: number, n: number): void {
  const w = wordsAt(out, 4 * n);
  if (w) {
    for (let i = 0, k = from * 4; i < 4 * n; i++, k++) {
      const v = words[k];
      w[i] = ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
    }
    out.len += 16 * n;
    return;
  }
  const b = out.buf;
  let o = out.len;
  for (let i = from * 4; i < (from + n) * 4; i++) {
    const v = words[i];
    b[o] = v >>> 24;
    b[o + 1] = (v >>> 16) & 255;
    b[o + 2] = (v >>> 8) & 255;
    b[o + 3] = v & 255;
    o += 4;
  }
  out.len = o;
}

const BLOCK = 128;
const MINIBLOCKS = 4;
const MINI = BLOCK / MINIBLOCKS;

const deltas = new Float64Array(BLOCK);
const packed32 = new Uint32Array(BLOCK);
const packedWide = new Float64Array(BLOCK);

/**
 * DELTA_BINARY_PACKED. For INT32 columns (`wrap32`) deltas are taken modulo 2^32 as readers
 * reconstruct them in 32-bit arithmetic; INT64 columns must span less than 2^52.
 */
export function writeDeltaBinaryPacked(out: ByteSink, vals: Float64Array, n: number, wrap32: boolean): void {
  out.uvarint(BLOCK);
  out.uvarint(MINIBLOCKS);
  out.uvarint(n);
  out.zvarint(n > 0 ? (wrap32 ? vals[0] | 0 : vals[0]) : 0);
  const widths = [0, 0, 0, 0];
  for (let k = 1; k < n; k += BLOCK) {
    const cnt = Math.min(BLOCK, n - k);
    let minD = Infinity;
    for (let i = 0; i < cnt; i++) {
      const d = wrap32 ? (vals[k + i] - vals[k + i - 1]) | 0 : vals[k + i] - vals[k + i - 1];
      deltas[i] = d;
      if (d < minD) minD = d;
    }
    out.zvarint(minD);
    for (let m = 0; m < MINIBLOCKS; m++) {
      let max = 0;
      const end = Math.min(cnt, (m + 1) * MINI);
      for (let i = m * MINI; i < end; i++) {
        const p = deltas[i] - minD;
        packedWide[i] = p;
        if (p > max) max = p;
      }
      widths[m] = m * MINI < cnt ? bitWidth(max) : 0;
    }
    for (let m = 0; m < MINIBLOCKS; m++) out.byte(widths[m]);
    for (let m = 0; m < MINIBLOCKS && m * MINI < cnt; m++) {
      const lo = m * MINI;
      if (widths[m] > 32) bitPackWide(out, packedWide, lo, MINI, widths[m], cnt);
      else {
        for (let i = lo; i < Math.min(cnt, lo + MINI); i++) packed32[i] = packedWide[i];
        bitPack(out, packed32, lo, MINI, widths[m], cnt);
      }
    }
  }
}
