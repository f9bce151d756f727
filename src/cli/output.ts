// Query results (any columns) as text: aligned table, JSON Lines or CSV.

import type { QueryResult } from '../store/store.js';
import { renderTable } from './table.js';

export type ResultFormat = 'table' | 'jsonl' | 'csv';

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function formatResult(res: QueryResult, format: ResultFormat): string {
  const names = res.columns.map((c) => c.name);
  switch (format) {
    case 'table':
      return renderTable(names, res.rows);
    case 'jsonl':
      return res.rows.map((r) => JSON.stringify(Object.fromEntries(names.map((n, i) => [n, r[i]])))).join('\n') + (res.rows.length ? '\n' : '');
    case 'csv':
      return [names.map(csvCell).join(','), ...res.rows.map((r) => r.map(csvCell).join(','))].join('\n') + '\n';
  }
}
