// Comma-separated lists (abuse.ch, vendor exports): RFC 4180 quoting, an optional header row.
// The address column is named by `column` (header name or 0-based number), or else is the
// first column whose first data row holds an address.

import { emptyList, parseEntry, reject, type ListParser } from './entry.js';

/** Splits one CSV record; quotes may hold the separator and doubled quotes. */
export function splitCsv(line: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"') {
        if (line[i + 1] === '"') {
          cur += '"';
          i++;
        } else quoted = false;
      } else cur += ch;
    } else if (ch === '"' && cur === '') quoted = true;
    else if (ch === sep) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((c) => c.trim());
}

export const parseCsv: ListParser = (text, opts) => {
  const out = emptyList();
  const sep = opts.delimiter ?? ',';
  const rows: { cells: string[]; n: number; raw: string }[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '' || line.trimStart().startsWith('#')) return;
    rows.push({ cells: splitCsv(line, sep), n: i + 1, raw: line });
  });
  if (rows.length === 0) return out;
  let col = -1;
  let first = 0;
  const hasAddress = (cells: string[]) => cells.findIndex((c) => parseEntry(c) !== undefined);
  const headerLike = hasAddress(rows[0].cells) < 0;
  if (typeof opts.column === 'number') col = opts.column;
  else if (typeof opts.column === 'string') {
    col = rows[0].cells.findIndex((c) => c.toLowerCase() === String(opts.column).toLowerCase());
    if (col < 0) throw new Error(`no column named '${opts.column}' in the header (${rows[0].cells.join(', ')})`);
  }
  if (headerLike) first = 1;
  if (col < 0) {
    for (let r = first; r < rows.length && col < 0; r++) col = hasAddress(rows[r].cells);
    if (col < 0) col = 0;
  }
  for (let r = first; r < rows.length; r++) {
    const cell = rows[r].cells[col] ?? '';
    const e = parseEntry(cell);
    if (e) out.entries.push(e);
    else reject(out, `line ${rows[r].n}`, rows[r].raw);
  }
  return out;
};
