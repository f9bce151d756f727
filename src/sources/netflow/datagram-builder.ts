// Builds NetFlow v9 and IPFIX datagrams byte by byte, for tests of cases no capture shows
// (withdrawals, biflows, time encodings), for fuzzing and for the decode benchmark. Field values
// are numbers (big-endian in the field's length), address text, or raw bytes.

import { parseIp, parseMac } from '../../schema/ip.js';
import { VARLEN } from './template.js';

export interface FieldDef {
  id: number;
  length: number;
  /** Enterprise number (IPFIX only). */
  pen?: number;
}

export type FieldValue = number | string | Uint8Array;

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function u16(v: number): Uint8Array {
  return Uint8Array.of((v >>> 8) & 255, v & 255);
}

function u32(v: number): Uint8Array {
  return Uint8Array.of((v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
}

/** One field's bytes: numbers big-endian in `length` bytes, addresses and MACs from text. */
export function encodeValue(v: FieldValue, length: number): Uint8Array {
  if (v instanceof Uint8Array) {
    if (length !== VARLEN) return v;
    const head = v.length < 255 ? Uint8Array.of(v.length) : concat([Uint8Array.of(255), u16(v.length)]);
    return concat([head, v]);
  }
  if (typeof v === 'string') {
    if (length === 6) {
      const m = parseMac(v);
      if (m === undefined) throw new Error(`not a MAC: ${v}`);
      return encodeValue(m, 6);
    }
    const w = parseIp(v);
    if (!w) throw new Error(`not an address: ${v}`);
    if (length === 4) return u32(w[3]);
    return concat([u32(w[0]), u32(w[1]), u32(w[2]), u32(w[3])]);
  }
  const out = new Uint8Array(length);
  let x = v;
  for (let i = length - 1; i >= 0; i--) {
    out[i] = x % 256;
    x = Math.floor(x / 256);
  }
  return out;
}

export function record(fields: readonly FieldDef[], values: readonly FieldValue[]): Uint8Array {
  return concat(fields.map((f, i) => encodeValue(values[i] ?? 0, f.length)));
}

function fieldSpecs(fields: readonly FieldDef[], ipfix: boolean): Uint8Array {
  return concat(
    fields.map((f) => (ipfix && f.pen ? concat([u16(f.id | 0x8000), u16(f.length), u32(f.pen)]) : concat([u16(f.id), u16(f.length)]))),
  );
}

function set(id: number, body: Uint8Array, padTo = 1): Uint8Array {
  const pad = (padTo - ((body.length + 4) % padTo)) % padTo;
  return concat([u16(id), u16(body.length + 4 + pad), body, new Uint8Array(pad)]);
}

/** Template set (v9 flowset 0, IPFIX set 2). */
export function templateSet(version: 9 | 10, templates: ReadonlyArray<{ id: number; fields: readonly FieldDef[] }>): Uint8Array {
  const body = concat(templates.map((t) => concat([u16(t.id), u16(t.fields.length), fieldSpecs(t.fields, version === 10)])));
  return set(version === 9 ? 0 : 2, body);
}

/** Options template set (v9 flowset 1 with scope/option byte lengths, IPFIX set 3 with counts). */
export function optionsTemplateSet(version: 9 | 10, id: number, scope: readonly FieldDef[], options: readonly FieldDef[]): Uint8Array {
  if (version === 9) {
    return set(1, concat([u16(id), u16(scope.length * 4), u16(options.length * 4), fieldSpecs(scope, false), fieldSpecs(options, false)]), 4);
  }
  return set(3, concat([u16(id), u16(scope.length + options.length), u16(scope.length), fieldSpecs([...scope, ...options], true)]));
}

/** IPFIX template withdrawal (field count 0) for `id` in a template (or options template) set. */
export function withdrawalSet(id: number, options = false): Uint8Array {
  return set(options ? 3 : 2, concat([u16(id), u16(0)]));
}

export function dataSet(templateId: number, records: readonly Uint8Array[], padTo = 1): Uint8Array {
  return set(templateId, concat([...records]), padTo);
}

export function v9Datagram(h: { uptimeMs: number; unixSecs: number; sequence: number; sourceId: number; count?: number }, sets: readonly Uint8Array[]): Uint8Array {
  return concat([u16(9), u16(h.count ?? sets.length), u32(h.uptimeMs), u32(h.unixSecs), u32(h.sequence), u32(h.sourceId), ...sets]);
}

export function ipfixDatagram(h: { exportSecs: number; sequence: number; domain: number }, sets: readonly Uint8Array[]): Uint8Array {
  const body = concat([...sets]);
  return concat([u16(10), u16(16 + body.length), u32(h.exportSecs), u32(h.sequence), u32(h.domain), body]);
}

export interface V5Flow {
  src: string;
  dst: string;
  packets: number;
  bytes: number;
  firstUptime: number;
  lastUptime: number;
  srcPort: number;
  dstPort: number;
  protocol: number;
  tcpFlags?: number;
  inIf?: number;
  outIf?: number;
}

export function v5Datagram(h: { uptimeMs: number; unixSecs: number; unixNsecs?: number; sequence: number; engine?: number; samplingInterval?: number }, flows: readonly V5Flow[]): Uint8Array {
  const head = concat([u16(5), u16(flows.length), u32(h.uptimeMs), u32(h.unixSecs), u32(h.unixNsecs ?? 0), u32(h.sequence), u16(h.engine ?? 0), u16(h.samplingInterval ?? 0)]);
  const recs = flows.map((f) =>
    concat([
      encodeValue(f.src, 4),
      encodeValue(f.dst, 4),
      u32(0),
      u16(f.inIf ?? 0),
      u16(f.outIf ?? 0),
      u32(f.packets),
      u32(f.bytes),
      u32(f.firstUptime),
      u32(f.lastUptime),
      u16(f.srcPort),
      u16(f.dstPort),
      Uint8Array.of(0, f.tcpFlags ?? 0, f.protocol, 0),
      u32(0),
      Uint8Array.of(0, 0, 0, 0),
    ]),
  );
  return concat([head, ...recs]);
}
