// Wire batches (src/bus/wire.ts) as one ClickHouse Native block: the body of
// `INSERT … FORMAT Native` over HTTP. Natural-width columns are copied as the bytes they
// arrived in; narrow numbers and IPv4 addresses are widened, dictionary strings expanded to
// ClickHouse's length-prefixed form. Several batches become one block, so one INSERT (one
// part per partition) carries them all, each row tagged with its batch id.

import { FIELDS } from '../../schema/fields.js';
import { naturalWidth, readUnsigned, type WireBatch, type WireColumn } from '../../bus/wire.js';
import { clickhouseType } from '../../schema/clickhouse-types.js';
import { BATCH_COLUMN } from './schema.js';

const utf8 = new TextEncoder();

function varintLength(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

function writeVarint(out: Uint8Array, o: number, v: number): number {
  while (v >= 0x80) {
    out[o++] = (v & 0x7f) | 0x80;
    v = Math.floor(v / 128);
  }
  out[o++] = v;
  return o;
}

function lengthPrefixed(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(varintLength(b.length) + b.length);
  out.set(b, writeVarint(out, 0, b.length));
  return out;
}

function codesOf(c: WireColumn & { kind: 'dict' }, rows: number): Uint32Array {
  if (c.codeWidth === 4 && c.codes.byteOffset % 4 === 0) return new Uint32Array(c.codes.buffer, c.codes.byteOffset, rows);
  const out = new Uint32Array(rows);
  if (c.codeWidth === 1) out.set(c.codes.subarray(0, rows));
  else for (let i = 0; i < rows; i++) out[i] = readUnsigned(c.codes, c.codeWidth, i);
  return out;
}

/** What one column of one batch adds to the block: its size now, its bytes later. */
interface Piece {
  size: number;
  write(out: Uint8Array, o: number): void;
}

function stringPiece(c: WireColumn, rows: number): Piece {
  if (c.kind === 'zero') return { size: rows, write: (out, o) => out.fill(0, o, o + rows) };
  if (c.kind !== 'dict') throw new Error(`a string column as ${c.kind}`);
  const enc = c.values.map(lengthPrefixed);
  const lens = Uint32Array.from(enc, (e) => e.length);
  const codes = codesOf(c, rows);
  let size = 0;
  for (let i = 0; i < rows; i++) size += lens[codes[i]];
  return {
    size,
    write(out, o) {
      for (let i = 0; i < rows; i++) {
        const e = enc[codes[i]];
        const n = e.length;
        if (n <= 16) for (let j = 0; j < n; j++) out[o++] = e[j];
        else {
          out.set(e, o);
          o += n;
        }
      }
    },
  };
}

function fixedPiece(k: number, c: WireColumn, rows: number): Piece {
  const f = FIELDS[k];
  const width = naturalWidth(f);
  const size = rows * width;
  switch (c.kind) {
    case 'zero':
      return { size, write: (out, o) => out.fill(0, o, o + size) };
    case 'fixed':
      return { size, write: (out, o) => out.set(c.bytes, o) };
    case 'narrow':
      return {
        size,
        write(out, o) {
          // Little-endian: the narrow bytes are the low bytes of the wide value.
          out.fill(0, o, o + size);
          const w = c.width;
          const b = c.bytes;
          for (let i = 0; i < rows; i++) for (let j = 0; j < w; j++) out[o + i * width + j] = b[i * w + j];
        },
      };
    case 'ipv4':
      return {
        size,
        write(out, o) {
          out.fill(0, o, o + size);
          const b = c.bytes;
          for (let i = 0; i < rows; i++) {
            const p = o + i * 16;
            out[p + 10] = 0xff;
            out[p + 11] = 0xff;
            out[p + 12] = b[i * 4];
            out[p + 13] = b[i * 4 + 1];
            out[p + 14] = b[i * 4 + 2];
            out[p + 15] = b[i * 4 + 3];
          }
        },
      };
    case 'dict':
      throw new Error(`${f.name}: a dictionary column for a ${f.type} field`);
  }
}

const HEADERS = FIELDS.map((f) => [lengthPrefixed(utf8.encode(f.name)), lengthPrefixed(utf8.encode(clickhouseType(f)))]);
const BATCH_HEADER = [lengthPrefixed(utf8.encode(BATCH_COLUMN)), lengthPrefixed(utf8.encode('String'))];

/**
 * One Native block holding every row of `parts`, and the columns it holds, for the INSERT to
 * name. Columns that are default in every row are left
 * out (ClickHouse fills in the default): fewer bytes to send and parse. Enums always go, so
 * no default of ClickHouse's is relied on for them.
 */
export function nativeBlock(parts: readonly WireBatch[]): { body: Uint8Array; columns: string[]; rows: number } {
  const rows = parts.reduce((n, p) => n + p.rows, 0);
  const used = FIELDS.map((f, k) => f.type === 'enum' || parts.some((p) => p.rows > 0 && p.columns[k].kind !== 'zero'));
  const columns = FIELDS.filter((_, k) => used[k]).map((f) => f.name as string);
  columns.push(BATCH_COLUMN);
  const head = new Uint8Array(20);
  const headLen = writeVarint(head, writeVarint(head, 0, columns.length), rows);
  const pieces: Piece[] = [{ size: headLen, write: (out, o) => out.set(head.subarray(0, headLen), o) }];
  const bytes = (b: Uint8Array): Piece => ({ size: b.length, write: (out, o) => out.set(b, o) });
  FIELDS.forEach((f, k) => {
    if (!used[k]) return;
    pieces.push(bytes(HEADERS[k][0]), bytes(HEADERS[k][1]));
    for (const p of parts) if (p.rows) pieces.push(f.type === 'string' ? stringPiece(p.columns[k], p.rows) : fixedPiece(k, p.columns[k], p.rows));
  });
  pieces.push(bytes(BATCH_HEADER[0]), bytes(BATCH_HEADER[1]));
  for (const p of parts) {
    const id = lengthPrefixed(utf8.encode(p.id));
    pieces.push({
      size: id.length * p.rows,
      write(out, o) {
        for (let i = 0; i < p.rows; i++) out.set(id, o + i * id.length);
      },
    });
  }
  // One buffer, written once: an HTTP body in many small chunks costs more than the copy.
  const body = new Uint8Array(pieces.reduce((n, x) => n + x.size, 0));
  let o = 0;
  for (const x of pieces) {
    x.write(body, o);
    o += x.size;
  }
  return { body, columns, rows };
}
