// Answers whose exact shape varies by server version, shown as tables of their fields.

import type { ReactNode } from 'react';
import { fmtCell } from '../lib/format';

export function text(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) return v.map(text).join(', ');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export function KeyValues(props: { data: Record<string, unknown>; label: string }) {
  return (
    <dl className="kv" aria-label={props.label}>
      {Object.entries(props.data).map(([k, v]) => (
        <div key={k}>
          <dt>{k.replace(/_/g, ' ')}</dt>
          <dd>{fmtCell(k, typeof v === 'object' && v !== null ? text(v) : v)}</dd>
        </div>
      ))}
    </dl>
  );
}

export function RowsTable(props: { rows: Record<string, unknown>[]; label: string; render?: (key: string, row: Record<string, unknown>) => ReactNode | undefined; scroll?: boolean }) {
  const keys = [...new Set(props.rows.flatMap((r) => Object.keys(r)))];
  return (
    <div className={props.scroll ? 'table-wrap scroll' : 'table-wrap'}>
      <table aria-label={props.label}>
        <thead>
          <tr>
            {keys.map((k) => (
              <th key={k} scope="col">
                {k.replace(/_/g, ' ')}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((r, i) => (
            <tr key={i}>
              {keys.map((k) => (
                <td key={k}>{props.render?.(k, r) ?? fmtCell(k, typeof r[k] === 'object' && r[k] !== null ? text(r[k]) : r[k])}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The list inside an answer: the answer itself when it is an array, else its first array member. */
export function rowsOf(d: unknown, ...names: string[]): Record<string, unknown>[] {
  if (Array.isArray(d)) return d as Record<string, unknown>[];
  if (d && typeof d === 'object') {
    const o = d as Record<string, unknown>;
    for (const n of names) if (Array.isArray(o[n])) return o[n] as Record<string, unknown>[];
    for (const v of Object.values(o)) if (Array.isArray(v)) return v as Record<string, unknown>[];
  }
  return [];
}
