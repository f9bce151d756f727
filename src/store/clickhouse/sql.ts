// Building ClickHouse SQL from values: every literal goes through one of these functions.
// ClickHouse 18.16 has no query parameters, and its string literals treat backslash as an
// escape character (unlike standard SQL), so both the quote and the backslash are escaped.

import { InputError } from '../../util/errors.js';
import type { TimeRange } from '../store.js';

export function quoteString(s: string): string {
  if (s.includes('\0')) throw new InputError('text values must not contain NUL characters');
  return `'${s.replace(/[\\']/g, (c) => '\\' + c)}'`;
}

export function quoteIdent(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`not a plain identifier: ${name}`);
  return `\`${name}\``;
}

/** Four 32-bit words (most significant first) as the FixedString(16) that stores an address. */
export function ipLiteral(w: ArrayLike<number>, o = 0): string {
  let h = '';
  for (let k = 0; k < 4; k++) h += (w[o + k] >>> 0).toString(16).padStart(8, '0');
  return `toFixedString(unhex('${h}'), 16)`;
}

export function numLiteral(n: number): string {
  if (!Number.isFinite(n)) throw new InputError(`${n} is not a finite number`);
  return Object.is(n, -0) ? '0' : String(n);
}

export function rangeBounds(r: TimeRange): { from: number; to: number } {
  if (!Number.isFinite(r.from) || !Number.isFinite(r.to)) throw new InputError('time range bounds must be numbers');
  // Window starts are UInt32: clamping keeps the literals in range (and the bounds exact).
  const clamp = (x: number) => Math.min(2 ** 32, Math.max(0, x));
  return { from: clamp(Math.floor(r.from)), to: clamp(Math.ceil(r.to)) };
}

/** `start` within [from, to), as a condition on the stored column. */
export function rangeSql(r: TimeRange, column = '`start`'): string {
  const { from, to } = rangeBounds(r);
  return `${column} >= ${from} AND ${column} < ${to}`;
}
