// The time range every page works on, kept in the URL (`from`, `to`) as the API takes it:
// relative (-1h), ISO-8601 or unix seconds; no `to` means now.

import { setParams, useLocation } from './url';

export const PRESETS = [
  { label: '15 min', from: '-15m' },
  { label: '1 h', from: '-1h' },
  { label: '6 h', from: '-6h' },
  { label: '24 h', from: '-24h' },
  { label: '7 d', from: '-7d' },
] as const;

export const DEFAULT_FROM = '-1h';

export interface Range {
  from: string;
  to: string;
}

export function useRange(): Range & { set(r: Partial<Range>): void } {
  const { params } = useLocation();
  const from = params.get('from') ?? DEFAULT_FROM;
  const to = params.get('to') ?? '';
  return { from, to, set: (r) => setParams({ from: r.from === DEFAULT_FROM ? undefined : r.from, to: r.to }) };
}

/** The range as API parameters. */
export function rangeParams(r: Range): { from: string; to?: string } {
  return r.to ? { from: r.from, to: r.to } : { from: r.from };
}

export function rangeLabel(r: Range): string {
  const p = PRESETS.find((x) => x.from === r.from);
  if (p && !r.to) return `last ${p.label}`;
  return `${r.from} → ${r.to || 'now'}`;
}

const UNIT: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 7 * 86400 };

/**
 * A time as the API reads it (src/util/time.ts), in unix seconds: relative (-15m, -2h, -7d),
 * `now`, unix seconds (milliseconds when 13 digits) or ISO-8601. Undefined for anything else
 * (the server then says what is wrong).
 */
export function resolveTime(text: string, now: number): number | undefined {
  const t = text.trim();
  if (t === 'now') return now;
  const rel = /^-?(\d+(?:\.\d+)?)([smhdw])$/.exec(t);
  if (rel) return Math.floor(now - Number(rel[1]) * UNIT[rel[2]]);
  if (/^\d+(\.\d+)?$/.test(t)) {
    const n = Number(t);
    return Math.floor(n > 1e11 ? n / 1000 : n);
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(t)) {
    const ms = Date.parse(t);
    return Number.isFinite(ms) ? Math.floor(ms / 1000) : undefined;
  }
  return undefined;
}
