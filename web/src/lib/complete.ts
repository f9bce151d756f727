// Autocompletion for the query bar: field names where a field is expected, the field's values
// after `field:` (enum values, protocol names), and field names in the SQL part.

import type { FieldDef } from './types';

export interface Suggestion {
  label: string;
  insert: string;
  detail: string;
}

export interface Completion {
  start: number;
  end: number;
  items: Suggestion[];
}

const STOP = /[\s()!,|]/;

/** Where the SQL part starts: the first `|` outside quotes (-1: none). */
export function pipeIndex(text: string): number {
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '|') return i;
  }
  return -1;
}

export function inSqlPart(text: string, pos: number): boolean {
  const p = pipeIndex(text);
  return p >= 0 && p < pos;
}

/** The query's filter part and SQL part ('' when there is none). */
export function splitQuery(text: string): { filter: string; sql: string } {
  const p = pipeIndex(text);
  return p < 0 ? { filter: text, sql: '' } : { filter: text.slice(0, p), sql: text.slice(p + 1) };
}

export function complete(text: string, caret: number, fields: FieldDef[], protocols: string[]): Completion | undefined {
  let start = caret;
  while (start > 0 && !STOP.test(text[start - 1])) start--;
  let end = caret;
  while (end < text.length && !STOP.test(text[end])) end++;
  const raw = text.slice(start, caret);
  const neg = raw.startsWith('-') ? '-' : '';
  const token = raw.slice(neg.length);
  const lower = token.toLowerCase();
  if (inSqlPart(text, caret)) {
    if (!token) return undefined;
    const items = fields.filter((f) => f.name.startsWith(lower) && f.name !== lower).map((f) => ({ label: f.name, insert: f.name, detail: f.description }));
    return items.length ? { start, end, items: items.slice(0, 12) } : undefined;
  }
  const colon = token.indexOf(':');
  if (colon >= 0) {
    const name = token.slice(0, colon).toLowerCase();
    const prefix = token.slice(colon + 1).toLowerCase();
    const f = fields.find((x) => x.name === name);
    if (!f) return undefined;
    const values = f.values ?? (f.name === 'protocol' ? protocols : []);
    const items = values.filter((v) => v.toLowerCase().startsWith(prefix) && v.toLowerCase() !== prefix).map((v) => ({ label: v, insert: `${neg}${f.name}:${v}`, detail: f.description }));
    return items.length ? { start, end, items } : undefined;
  }
  if (!token) return undefined;
  const starts = fields.filter((f) => f.name.startsWith(lower));
  const contains = fields.filter((f) => !f.name.startsWith(lower) && f.name.includes(lower));
  const items = [...starts, ...contains].map((f) => ({ label: f.name, insert: `${neg}${f.name}:`, detail: `${f.type}${f.unit ? ` (${f.unit})` : ''} · ${f.description}` }));
  return items.length ? { start, end, items: items.slice(0, 12) } : undefined;
}
