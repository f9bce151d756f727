// Running an answer's queries: each is written in the query language (a filter, then a SQL
// part over `flows`), planned onto rollups where that is exact, limited to the caller's
// accounts, and handed back as evidence the search can open.

import { parseQuery, type FilterNode } from '../query/index.js';
import { prepareQuery } from '../store/prepare.js';
import type { FlowStore, TimeRange } from '../store/store.js';
import type { Evidence } from './analyses.js';

export interface AnswerInput {
  store: FlowStore;
  range: TimeRange;
  /** The caller's tenant scope, ANDed into every query. */
  scope?: FilterNode;
}

export type Row = Record<string, string | number | boolean | null>;

/** Runs `filter | select` over `range` (default the input's), rows as objects keyed by column name. */
export async function queryRows(i: AnswerInput, filter: string, select: string, range: TimeRange = i.range): Promise<Row[]> {
  const q = parseQuery(`${filter} | ${select}`);
  const p = prepareQuery(i.store, q, { scope: i.scope });
  const r = await i.store.sql(p.sql, range, p.sqlOptions);
  const names = r.columns.map((c) => c.name);
  return r.rows.map((row) => {
    const o: Row = {};
    for (let k = 0; k < names.length; k++) o[names[k]] = row[k];
    return o;
  });
}

export function evidenceOf(filter: string, select: string | undefined, range: TimeRange): Evidence {
  const f = filter.trim();
  return { query: select ? `${f}${f ? ' ' : ''}| ${select}` : f, from: range.from, to: range.to };
}

export const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
export const text = (v: unknown): string => (v === null || v === undefined ? '' : String(v));

/**
 * Runs `filter | select` and hands the rows (as arrays, in column order) to `each` batch by
 * batch, streaming where the store can so that large answers never sit in memory at once.
 */
export async function forEachRow(i: AnswerInput, filter: string, select: string, each: (row: readonly unknown[]) => void, range: TimeRange = i.range): Promise<string[]> {
  const q = parseQuery(`${filter} | ${select}`);
  const p = prepareQuery(i.store, q, { scope: i.scope });
  if (i.store.sqlStream) {
    const s = await i.store.sqlStream(p.sql, range, p.sqlOptions);
    try {
      for await (const batch of s.batches) for (const row of batch) each(row);
    } finally {
      s.close();
    }
    return s.columns.map((c) => c.name);
  }
  const r = await i.store.sql(p.sql, range, p.sqlOptions);
  for (const row of r.rows) each(row);
  return r.columns.map((c) => c.name);
}
