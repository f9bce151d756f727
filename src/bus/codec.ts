// One bus message: a batch of flow records in wire layout (src/bus/wire.ts), self-describing
// and versioned. Columns are named, so a reader with a newer schema gives fields a message
// lacks their default and skips fields it does not know: collectors and writers can be
// upgraded one at a time.
//
// Layout (little-endian):
//   magic u32 "FLWB" | version u8 | flags u8 (0) | columns u16 | rows u32 | id length u16 | id
//   per column: name length u8 | name | kind u8 | body
//     kind 1 fixed:  width u8 | rows × width bytes
//     kind 2 narrow: width u8 | rows × width bytes
//     kind 3 ipv4:   rows × 4 bytes
//     kind 4 dict:   values u32 | per value: length u32 | UTF-8 bytes | code width u8 | rows × width
// All-default columns are left out.

import { FIELDS, type FieldDef } from '../schema/fields.js';
import { naturalWidth, type WireBatch, type WireColumn } from './wire.js';

export const MESSAGE_MAGIC = 0x42574c46; // "FLWB"
export const MESSAGE_VERSION = 1;

/** Header of a message sent again after an unclear failure: writers check before writing it. */
export const MAYBE_DUPLICATE = 'Flowlogs-Maybe-Duplicate';
const HEAD = 14;

const KIND = { fixed: 1, narrow: 2, ipv4: 3, dict: 4 } as const;

const ascii = new TextEncoder();
const text = new TextDecoder();
const NAMES = FIELDS.map((f) => ascii.encode(f.name));
const FIELD_INDEX = new Map<string, number>(FIELDS.map((f, i) => [f.name, i]));

export class MessageError extends Error {
  override readonly name = 'MessageError';
}

function columnBytes(c: WireColumn): number {
  switch (c.kind) {
    case 'zero':
      return 0;
    case 'fixed':
    case 'narrow':
      return 1 + c.bytes.length;
    case 'ipv4':
      return c.bytes.length;
    case 'dict':
      return 4 + c.values.reduce((s, v) => s + 4 + v.length, 0) + 1 + c.codes.length;
  }
}

/** Size of the encoded message, without encoding it. */
export function messageSize(w: WireBatch): number {
  const id = ascii.encode(w.id);
  let n = HEAD + id.length;
  w.columns.forEach((c, k) => {
    if (c.kind !== 'zero') n += 1 + NAMES[k].length + 1 + columnBytes(c);
  });
  return n;
}

export function encodeMessage(w: WireBatch): Uint8Array {
  const id = ascii.encode(w.id);
  if (id.length > 0xffff) throw new Error('batch id too long');
  const out = new Uint8Array(messageSize(w));
  const v = new DataView(out.buffer);
  v.setUint32(0, MESSAGE_MAGIC, true);
  out[4] = MESSAGE_VERSION;
  out[5] = 0;
  v.setUint16(6, w.columns.filter((c) => c.kind !== 'zero').length, true);
  v.setUint32(8, w.rows, true);
  v.setUint16(12, id.length, true);
  out.set(id, HEAD);
  let o = HEAD + id.length;
  w.columns.forEach((c, k) => {
    if (c.kind === 'zero') return;
    out[o++] = NAMES[k].length;
    out.set(NAMES[k], o);
    o += NAMES[k].length;
    out[o++] = KIND[c.kind];
    switch (c.kind) {
      case 'fixed':
        out[o++] = naturalWidth(FIELDS[k]);
        out.set(c.bytes, o);
        o += c.bytes.length;
        break;
      case 'narrow':
        out[o++] = c.width;
        out.set(c.bytes, o);
        o += c.bytes.length;
        break;
      case 'ipv4':
        out.set(c.bytes, o);
        o += c.bytes.length;
        break;
      case 'dict':
        v.setUint32(o, c.values.length, true);
        o += 4;
        for (const s of c.values) {
          v.setUint32(o, s.length, true);
          out.set(s, o + 4);
          o += 4 + s.length;
        }
        out[o++] = c.codeWidth;
        out.set(c.codes, o);
        o += c.codes.length;
        break;
    }
  });
  return out;
}

/** The batch id of a message, read from its header alone. */
export function messageId(buf: Uint8Array): string {
  if (buf.length < HEAD) throw new MessageError('message shorter than its header');
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = v.getUint16(12, true);
  return text.decode(buf.subarray(HEAD, HEAD + n));
}

function kindOk(f: FieldDef, kind: number, width: number): boolean {
  switch (kind) {
    case KIND.fixed:
      return f.type !== 'string' && width === naturalWidth(f);
    case KIND.narrow:
      return f.type !== 'string' && f.type !== 'ip' && (width === 1 || width === 2 || width === 4) && width < naturalWidth(f);
    case KIND.ipv4:
      return f.type === 'ip';
    case KIND.dict:
      return f.type === 'string';
    default:
      return false;
  }
}

/**
 * Reads a message. Column bodies are views of `buf` (no copies). Throws MessageError when the
 * bytes are not a message this version can read.
 */
export function decodeMessage(buf: Uint8Array): WireBatch {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const need = (o: number, n: number) => {
    if (o + n > buf.length) throw new MessageError(`message truncated at byte ${o}`);
  };
  need(0, HEAD);
  if (v.getUint32(0, true) !== MESSAGE_MAGIC) throw new MessageError('not a flow batch message');
  if (buf[4] !== MESSAGE_VERSION) throw new MessageError(`message version ${buf[4]}, this build reads ${MESSAGE_VERSION}`);
  const ncols = v.getUint16(6, true);
  const rows = v.getUint32(8, true);
  const idLen = v.getUint16(12, true);
  need(HEAD, idLen);
  const id = text.decode(buf.subarray(HEAD, HEAD + idLen));
  const columns: WireColumn[] = FIELDS.map(() => ({ kind: 'zero' }));
  let o = HEAD + idLen;
  for (let k = 0; k < ncols; k++) {
    need(o, 1);
    const nl = buf[o++];
    need(o, nl + 1);
    const name = text.decode(buf.subarray(o, o + nl));
    o += nl;
    const kind = buf[o++];
    let width = 0;
    if (kind === KIND.fixed || kind === KIND.narrow) {
      need(o, 1);
      width = buf[o++];
    }
    const idx = FIELD_INDEX.get(name);
    const f = idx === undefined ? undefined : FIELDS[idx];
    let col: WireColumn;
    switch (kind) {
      case KIND.fixed:
      case KIND.narrow:
      case KIND.ipv4: {
        const w = kind === KIND.ipv4 ? 4 : width;
        need(o, rows * w);
        const bytes = buf.subarray(o, o + rows * w);
        o += rows * w;
        col = kind === KIND.fixed ? { kind: 'fixed', bytes } : kind === KIND.ipv4 ? { kind: 'ipv4', bytes } : { kind: 'narrow', width: width as 1 | 2 | 4, bytes };
        break;
      }
      case KIND.dict: {
        need(o, 4);
        const nv = v.getUint32(o, true);
        o += 4;
        const values: Uint8Array[] = [];
        for (let i = 0; i < nv; i++) {
          need(o, 4);
          const len = v.getUint32(o, true);
          need(o + 4, len);
          values.push(buf.subarray(o + 4, o + 4 + len));
          o += 4 + len;
        }
        need(o, 1);
        const cw = buf[o++];
        if (cw !== 1 && cw !== 2 && cw !== 4) throw new MessageError(`${name}: code width ${cw}`);
        need(o, rows * cw);
        const codes = buf.subarray(o, o + rows * cw);
        o += rows * cw;
        // Every code must name a value: checked here once, so readers can index without checks.
        for (let i = 0; i < rows; i++) {
          const c = cw === 1 ? codes[i] : cw === 2 ? codes[2 * i] | (codes[2 * i + 1] << 8) : v.getUint32(codes.byteOffset - buf.byteOffset + 4 * i, true);
          if (c >= nv) throw new MessageError(`${name}: code ${c} beyond its ${nv} values`);
        }
        if (nv === 0 || values[0].length !== 0) throw new MessageError(`${name}: value 0 must be the empty string`);
        col = { kind: 'dict', values, codeWidth: cw, codes };
        break;
      }
      default:
        throw new MessageError(`${name}: unknown column kind ${kind}`);
    }
    if (!f) continue; // a field this build does not know: skipped
    if (!kindOk(f, kind, width)) throw new MessageError(`${name}: column kind ${kind} does not fit a ${f.type} field`);
    columns[idx!] = col;
  }
  if (o !== buf.length) throw new MessageError(`${buf.length - o} bytes after the last column`);
  return { id, rows, columns };
}
