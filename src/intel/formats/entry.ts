// What every list format shares: turning one address, block or range as written into an
// entry, and a tally of what could not be read (counted, a few kept as examples).

import { parseCidr, parseIp } from '../../schema/ip.js';
import type { IntelEntry } from '../intel-index.js';

export interface ListOptions {
  /** ipsum: keep addresses listed by at least this many blocklists. */
  min_count?: number;
  /** csv: the column holding the address (header name or 0-based number); default: the first that holds one. */
  column?: string | number;
  /** csv: field separator; default ','. */
  delimiter?: string;
  /** STIX: the time indicators must still be valid at (unix s); default now. */
  now?: number;
}

export interface ParsedList {
  entries: IntelEntry[];
  /** Lines or objects that held no usable address. */
  rejected: number;
  /** The first few of them, with where they were. */
  examples: string[];
  /** Header facts (list name, date) where the format carries them. */
  meta: Record<string, string>;
}

export type ListParser = (text: string, opts: ListOptions) => ParsedList;

export function emptyList(): ParsedList {
  return { entries: [], rejected: 0, examples: [], meta: {} };
}

export function reject(list: ParsedList, where: string, text: string): void {
  list.rejected++;
  if (list.examples.length < 5) list.examples.push(`${where}: '${text.length > 60 ? text.slice(0, 57) + '...' : text}'`);
}

/** An address, a CIDR block or a range `a-b` (same family, a <= b); undefined otherwise. */
export function parseEntry(text: string): IntelEntry | undefined {
  const t = text.trim();
  const dash = t.indexOf('-');
  if (dash > 0) {
    const lo = parseIp(t.slice(0, dash).trim());
    const hi = parseIp(t.slice(dash + 1).trim());
    if (!lo || !hi) return undefined;
    const v4 = (w: Uint32Array) => w[0] === 0 && w[1] === 0 && w[2] === 0xffff;
    if (v4(lo) !== v4(hi)) return undefined;
    for (let k = 0; k < 4; k++) {
      if (lo[k] < hi[k]) break;
      if (lo[k] > hi[k]) return undefined;
    }
    return { lo, hi };
  }
  const c = parseCidr(t);
  return c ? { lo: c.lo, hi: c.hi } : undefined;
}

/** Lines with their 1-based numbers, comments (from any of `comment` to the end) and blanks removed. */
export function* contentLines(text: string, comment: readonly string[]): Generator<{ line: string; n: number; raw: string }> {
  let n = 0;
  let start = 0;
  const len = text.length;
  while (start <= len) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = len;
    n++;
    const raw = text.slice(start, end).replace(/\r$/, '');
    start = end + 1;
    let line = raw;
    for (const c of comment) {
      const at = line.indexOf(c);
      if (at >= 0) line = line.slice(0, at);
    }
    line = line.trim();
    if (line !== '') yield { line, n, raw };
    if (end === len) break;
  }
}
