// A table of rows with chosen columns. Rows that lead somewhere are links (or buttons), so they
// are reachable with Tab and opened with Enter like everything else.

import type { ReactNode } from 'react';
import { Link } from '../lib/url';

export interface Column<R> {
  key: string;
  label: string;
  render?: (row: R) => ReactNode;
  numeric?: boolean;
}

export function Table<R>(props: {
  columns: Column<R>[];
  rows: R[];
  label: string;
  rowKey?: (row: R, i: number) => string;
  /** Makes the first cell a link. */
  href?: (row: R) => string;
  selected?: (row: R) => boolean;
  onSelect?: (row: R) => void;
  className?: string;
  /** Long tables scroll inside their card. */
  scroll?: boolean;
  /** The first column wraps (long titles). */
  wrapFirst?: boolean;
}) {
  const { columns, rows } = props;
  return (
    <div className={['table-wrap', props.scroll ? 'scroll' : '', props.wrapFirst ? 'wrap-first' : '', props.className ?? ''].filter(Boolean).join(' ')}>
      <table aria-label={props.label}>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.key} scope="col" className={c.numeric ? 'num' : undefined}>
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={props.rowKey ? props.rowKey(r, i) : i} className={props.selected?.(r) ? 'selected' : undefined} aria-selected={props.selected ? props.selected(r) : undefined}>
              {columns.map((c, k) => {
                const content = c.render ? c.render(r) : String((r as Record<string, unknown>)[c.key] ?? '');
                let cell: ReactNode = content;
                if (k === 0 && props.href) cell = <Link href={props.href(r)}>{content}</Link>;
                else if (k === 0 && props.onSelect)
                  cell = (
                    <button type="button" className="linklike" onClick={() => props.onSelect!(r)}>
                      {content}
                    </button>
                  );
                return (
                  <td key={c.key} className={c.numeric ? 'num' : undefined}>
                    {cell}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
