// Template and options-template sets of NetFlow v9 (RFC 3954 §5.2, §6.1) and IPFIX (RFC 7011
// §3.4): parse the definitions and hand them on. A definition that cannot be right stops the set
// (its length fields are no longer trustworthy) and is counted; those before it stand.

import type { MalformedReason } from './stats.js';
import { type FieldSpec, VARLEN } from './template.js';

export interface TemplateReceiver {
  template(id: number, fields: FieldSpec[], options: boolean, definition: Uint8Array, scopeCount: number, v9Scope: boolean): void;
  /** IPFIX withdrawal; `id` 2 (data) or 3 (options) withdraws every template of that kind. */
  withdraw(id: number, options: boolean): void;
  malformed(reason: MalformedReason): void;
}

/** IPFIX template ids that withdraw all data / all options templates (RFC 7011 §8.1). */
export const WITHDRAW_ALL_DATA = 2;
export const WITHDRAW_ALL_OPTIONS = 3;

function allZero(d: Uint8Array, p: number, end: number): boolean {
  for (; p < end; p++) if (d[p] !== 0) return false;
  return true;
}

function fixedSize(fields: FieldSpec[]): number {
  let n = 0;
  let variable = false;
  for (const f of fields) {
    if (f.length === VARLEN) variable = true;
    else n += f.length;
  }
  return variable ? Math.max(1, n) : n;
}

/** NetFlow v9 template flowset (id 0) body. */
export function v9Templates(d: Uint8Array, p: number, end: number, to: TemplateReceiver): void {
  while (end - p >= 4) {
    const id = (d[p] << 8) | d[p + 1];
    const count = (d[p + 2] << 8) | d[p + 3];
    if (id === 0 && count === 0 && allZero(d, p, end)) return; // padding
    const size = 4 + 4 * count;
    if (id < 256 || count === 0 || end - p < size) return to.malformed('bad_template');
    const fields: FieldSpec[] = new Array(count);
    for (let i = 0, q = p + 4; i < count; i++, q += 4) {
      fields[i] = { id: (d[q] << 8) | d[q + 1], pen: 0, length: (d[q + 2] << 8) | d[q + 3] };
    }
    // v9 has no variable-length encoding, and a 65535-byte field cannot fit in a datagram.
    if (fixedSize(fields) === 0 || fields.some((f) => f.length === VARLEN)) to.malformed('bad_template');
    else to.template(id, fields, false, d.slice(p, p + size), 0, false);
    p += size;
  }
}

/** NetFlow v9 options template flowset (id 1) body. */
export function v9OptionsTemplates(d: Uint8Array, p: number, end: number, to: TemplateReceiver): void {
  while (end - p >= 6) {
    const id = (d[p] << 8) | d[p + 1];
    const scopeLen = (d[p + 2] << 8) | d[p + 3];
    const optLen = (d[p + 4] << 8) | d[p + 5];
    if (id === 0 && allZero(d, p, end)) return;
    const size = 6 + scopeLen + optLen;
    if (id < 256 || scopeLen % 4 !== 0 || optLen % 4 !== 0 || scopeLen + optLen === 0 || end - p < size) {
      return to.malformed('bad_options_template');
    }
    const n = (scopeLen + optLen) / 4;
    const fields: FieldSpec[] = new Array(n);
    for (let i = 0, q = p + 6; i < n; i++, q += 4) {
      fields[i] = { id: (d[q] << 8) | d[q + 1], pen: 0, length: (d[q + 2] << 8) | d[q + 3] };
    }
    if (fixedSize(fields) === 0 || fields.some((f) => f.length === VARLEN)) to.malformed('bad_options_template');
    else to.template(id, fields, true, d.slice(p, p + size), scopeLen / 4, true);
    p += size;
  }
}

/** IPFIX template set (id 2) or options template set (id 3) body. */
export function ipfixTemplates(d: Uint8Array, p: number, end: number, options: boolean, to: TemplateReceiver): void {
  const reason: MalformedReason = options ? 'bad_options_template' : 'bad_template';
  while (end - p >= 4) {
    const start = p;
    const id = (d[p] << 8) | d[p + 1];
    const count = (d[p + 2] << 8) | d[p + 3];
    if (count === 0) {
      if (id === 0 && allZero(d, p, end)) return;
      const all = options ? WITHDRAW_ALL_OPTIONS : WITHDRAW_ALL_DATA;
      if (id < 256 && id !== all) return to.malformed(reason);
      to.withdraw(id, options);
      p += 4;
      continue;
    }
    if (id < 256) return to.malformed(reason);
    p += 4;
    let scopeCount = 0;
    if (options) {
      if (end - p < 2) return to.malformed(reason);
      scopeCount = (d[p] << 8) | d[p + 1];
      p += 2;
      if (scopeCount === 0 || scopeCount > count) return to.malformed(reason);
    }
    const fields: FieldSpec[] = new Array(count);
    for (let i = 0; i < count; i++) {
      if (end - p < 4) return to.malformed(reason);
      let id2 = (d[p] << 8) | d[p + 1];
      const length = (d[p + 2] << 8) | d[p + 3];
      p += 4;
      let pen = 0;
      if (id2 & 0x8000) {
        if (end - p < 4) return to.malformed(reason);
        id2 &= 0x7fff;
        pen = ((d[p] << 24) | (d[p + 1] << 16) | (d[p + 2] << 8) | d[p + 3]) >>> 0;
        p += 4;
      }
      fields[i] = { id: id2, pen, length };
    }
    if (fixedSize(fields) === 0) to.malformed(reason);
    else to.template(id, fields, options, d.slice(start, p), scopeCount, false);
  }
}
