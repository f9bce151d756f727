// Time arguments as users type them: ISO-8601, unix seconds (or ms), "now", or relative to
// now ("-15m", "-7d", "2h" meaning two hours ago).

import { InputError } from './errors.js';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** Parses a time into unix seconds; `what` names the flag in the error message. */
export function parseTime(text: string, what: string, nowSec = Math.floor(Date.now() / 1000)): number {
  const t = text.trim();
  if (t === 'now') return nowSec;
  const rel = /^-?(\d+(?:\.\d+)?)([smhdw])$/.exec(t);
  if (rel) return Math.floor(nowSec - Number(rel[1]) * UNIT_SECONDS[rel[2]]);
  if (/^\d+(\.\d+)?$/.test(t)) {
    const n = Number(t);
    // 13-digit values are milliseconds.
    return Math.floor(n > 1e11 ? n / 1000 : n);
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(t)) {
    const ms = Date.parse(t);
    if (!Number.isNaN(ms)) return Math.floor(ms / 1000);
  }
  throw new InputError(`${what}: '${text}' is not a time (use ISO-8601 like 2026-11-22T10:00:00Z, unix seconds, 'now' or a relative time like -15m, -7d)`);
}

/** A [from, to) range from optional texts; the default is the last hour. */
export function parseRange(from: string | undefined, to: string | undefined, nowSec = Math.floor(Date.now() / 1000)): { from: number; to: number } {
  const end = to ? parseTime(to, '--to', nowSec) : nowSec + 1;
  const start = from ? parseTime(from, '--from', nowSec) : end - 3600;
  if (start >= end) throw new InputError(`--from (${new Date(start * 1000).toISOString()}) must be before --to (${new Date(end * 1000).toISOString()})`);
  return { from: start, to: end };
}

/** Parses durations such as "30d", "12h", "90s" into seconds. */
export function parseDuration(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)([smhdw])?$/.exec(text.trim());
  if (!m) throw new InputError(`${what}: '${text}' is not a duration (e.g. 30s, 15m, 12h, 7d)`);
  return Number(m[1]) * UNIT_SECONDS[m[2] ?? 's'];
}
