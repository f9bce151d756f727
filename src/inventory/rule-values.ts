// The protocol and port notations rules are written in, turned into numbers. Both clouds'
// consoles accept names and numbers, ALL / -1 for "any", and port lists and ranges.

import { ANY_PROTOCOL, type PortRange } from './model.js';

const PROTOCOL_NAMES: Record<string, number> = {
  all: ANY_PROTOCOL,
  any: ANY_PROTOCOL,
  '-1': ANY_PROTOCOL,
  icmp: 1,
  tcp: 6,
  udp: 17,
  gre: 47,
  esp: 50,
  ah: 51,
  icmpv6: 58,
  icmp6: 58,
  'ipv6-icmp': 58,
  sctp: 132,
};

/** A protocol name or number as a number (ANY_PROTOCOL for all), or a message saying why not. */
export function parseProtocol(v: string | number): number | string {
  if (typeof v === 'number') {
    if (v === -1) return ANY_PROTOCOL;
    if (Number.isInteger(v) && v >= 0 && v <= 255) return v;
    return `protocol ${v} is not a number from 0 to 255`;
  }
  const s = v.trim().toLowerCase();
  if (s in PROTOCOL_NAMES) return PROTOCOL_NAMES[s];
  if (/^\d{1,3}$/.test(s) && Number(s) <= 255) return Number(s);
  return `'${v}' is not a protocol (tcp, udp, icmp, icmpv6, all, or a number from 0 to 255)`;
}

export function protocolName(p: number): string {
  if (p === ANY_PROTOCOL) return 'all';
  for (const [name, n] of Object.entries(PROTOCOL_NAMES)) if (n === p) return name;
  return String(p);
}

/** Protocols whose rules match destination ports. */
export function hasPorts(protocol: number): boolean {
  return protocol === 6 || protocol === 17 || protocol === 132;
}

/** Protocols whose rules match ICMP types (carried in the flow record as type × 256 + code). */
export function isIcmp(protocol: number): boolean {
  return protocol === 1 || protocol === 58;
}

/**
 * Parses ports as written in a rule: a number, `all`, `80-90`, `80,443,8000-8100`, or a list
 * of those. Returns the ranges, or a message saying what is wrong.
 */
export function parsePorts(v: string | number | ReadonlyArray<string | number> | undefined): PortRange[] | string {
  if (v === undefined) return [{ from: 0, to: 65535 }];
  const items: Array<string | number> = Array.isArray(v) ? [...v] : typeof v === 'string' ? v.split(',') : [v as number];
  if (items.length === 0) return 'empty port list';
  const out: PortRange[] = [];
  for (const item of items) {
    if (typeof item === 'number') {
      if (item === -1) return [{ from: 0, to: 65535 }];
      if (!Number.isInteger(item) || item < 0 || item > 65535) return `port ${item} is not from 0 to 65535`;
      out.push({ from: item, to: item });
      continue;
    }
    const s = item.trim().toLowerCase();
    if (s === 'all' || s === 'any' || s === '-1') return [{ from: 0, to: 65535 }];
    const m = /^(\d{1,5})(?:\s*-\s*(\d{1,5}))?$/.exec(s);
    if (!m) return `'${item}' is not a port, a range (1024-65535) or all`;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (from > 65535 || to > 65535) return `'${item}': ports go from 0 to 65535`;
    if (to < from) return `'${item}': range ends before it starts`;
    out.push({ from, to });
  }
  return out;
}
