// Text as typed in a query, turned into a value of one field's type: addresses into words,
// enum values into their canonical case, times into seconds, protocol names into numbers.
// Filters and the SQL part share this, so `action:reject` and `action = 'reject'` agree.

import type { FieldDef } from '../schema/fields.js';
import { parseCidr, parseIp, parseMac } from '../schema/ip.js';
import { parseTime } from '../util/time.js';
import type { FilterValue, IpWords } from './ast.js';
import { clip, fail, suggestion } from './errors.js';

const PROTOCOLS: Record<string, number> = { icmp: 1, igmp: 2, tcp: 6, udp: 17, gre: 47, esp: 50, ah: 51, icmpv6: 58, 'ipv6-icmp': 58, ospf: 89, sctp: 132 };

const MAX: Partial<Record<FieldDef['type'], number>> = { u8: 255, u16: 65535, u32: 0xffffffff, time_s: 0xffffffff };

export function isNumericField(def: FieldDef): boolean {
  return def.type !== 'ip' && def.type !== 'string' && def.type !== 'enum';
}

export function words(w: Uint32Array): IpWords {
  return [w[0], w[1], w[2], w[3]];
}

export function enumValue(def: FieldDef, text: string): string | undefined {
  const t = text.trim().toLowerCase();
  return def.values?.find((v) => v.toLowerCase() === t);
}

function wholeNumber(def: FieldDef, text: string, pos: number): number {
  const max = MAX[def.type] ?? Number.MAX_SAFE_INTEGER;
  if (!/^\d+$/.test(text)) fail(pos, `${def.name}: '${clip(text)}' is not a whole number`);
  const n = Number(text);
  if (n > max) fail(pos, `${def.name}: ${clip(text)} is out of range (0-${max})`);
  return n;
}

function timeValue(def: FieldDef, text: string, pos: number): number {
  if (/^\d+$/.test(text)) return wholeNumber(def, text, pos);
  let s: number;
  try {
    s = parseTime(text, def.name);
  } catch {
    return fail(pos, `${def.name}: '${clip(text)}' is not a time (use unix ${def.type === 'time_ms' ? 'milliseconds' : 'seconds'}, ISO-8601 like 2026-11-22T10:00:00Z, or a relative time like -15m)`);
  }
  const v = def.type === 'time_ms' ? s * 1000 : s;
  if (v < 0) fail(pos, `${def.name}: '${clip(text)}' is before 1970`);
  return def.type === 'time_ms' ? v : wholeNumber(def, String(v), pos);
}

/** The value `text` denotes for field `def`; a located error when it denotes none. */
export function fieldValue(def: FieldDef, text: string, pos: number): FilterValue {
  switch (def.type) {
    case 'string':
      return { kind: 'str', value: text };
    case 'enum': {
      const v = enumValue(def, text);
      if (v === undefined) fail(pos, `${def.name}: '${clip(text)}' is not one of ${def.values!.join(', ')}${suggestion(text, def.values!)}`);
      return { kind: 'str', value: v };
    }
    case 'ip': {
      const w = parseIp(text);
      if (!w) fail(pos, `${def.name}: '${clip(text)}' is not an IP address`);
      return { kind: 'ip', words: words(w) };
    }
    case 'mac': {
      const m = parseMac(text);
      if (m === undefined) fail(pos, `${def.name}: '${clip(text)}' is not a MAC address (use aa:bb:cc:dd:ee:ff)`);
      return { kind: 'num', value: m };
    }
    case 'time_s':
    case 'time_ms':
      return { kind: 'num', value: timeValue(def, text, pos) };
    default: {
      if (def.name === 'protocol') {
        const p = PROTOCOLS[text.toLowerCase()];
        if (p !== undefined) return { kind: 'num', value: p };
      }
      return { kind: 'num', value: wholeNumber(def, text, pos) };
    }
  }
}

/** A CIDR block (`10.0.0.0/8`, `2001:db8::/32`); host bits set in the address are ignored. */
export function cidrValue(text: string): { lo: IpWords; hi: IpWords; bits: number } | undefined {
  if (!text.includes('/')) return undefined;
  const c = parseCidr(text.trim());
  return c ? { lo: words(c.lo), hi: words(c.hi), bits: c.bits } : undefined;
}
