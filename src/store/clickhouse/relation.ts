// The relation `flows` that statements read, for a time range: the raw records, or a rollup
// tier. ClickHouse 18.16 has no WITH … AS (subquery), so `FROM flows` in the statement is
// replaced by the relation as a subquery (only where `flows` is a table name: never inside
// literals, quoted names or comments).

import { FIELDS } from '../../schema/fields.js';
import { tierByName } from '../rollups.js';
import type { TimeRange } from '../store.js';
import { flowsTable, qualified, tierColumns, tierSelect, tierTable, type Layout } from './schema.js';
import { quoteIdent, rangeBounds, rangeSql } from './sql.js';

const RECORD_COLUMNS = FIELDS.map((f) => quoteIdent(f.name)).join(', ');

/** The `flows` relation for a range, as a parenthesised subquery. */
export function relationSql(layout: Layout, range: TimeRange, tierName?: string): string {
  const raw = qualified(layout, flowsTable(layout).read);
  if (!tierName) return `(SELECT ${RECORD_COLUMNS} FROM ${raw} WHERE ${rangeSql(range)})`;
  const tier = tierByName(tierName);
  if (!tier) throw new Error(`no rollup tier ${tierName}`);
  const { from, to } = rangeBounds(range);
  const g = tier.grain;
  // Whole buckets inside the range come from the tier; the ragged ends from raw records,
  // aggregated the same way, so the answer is exact for any range.
  const lo = Math.ceil(from / g) * g;
  const hi = Math.floor(to / g) * g;
  const cols = tierColumns(tier).map((c) => quoteIdent(c.name)).join(', ');
  const rawCols = ['start', ...tier.dims, 'packets', 'bytes'].map(quoteIdent).join(', ');
  const parts: string[] = [];
  const edges: string[] = [];
  if (lo < hi) {
    parts.push(`SELECT ${cols} FROM ${qualified(layout, tierTable(layout, tier).read)} WHERE ${rangeSql({ from: lo, to: hi })}`);
    if (from < lo) edges.push(`(${rangeSql({ from, to: lo })})`);
    if (hi < to) edges.push(`(${rangeSql({ from: hi, to })})`);
  } else edges.push(`(${rangeSql({ from, to })})`);
  if (edges.length || parts.length === 0) {
    const where = edges.length ? edges.join(' OR ') : '0';
    parts.push(tierSelect(tier, `(SELECT ${rawCols} FROM ${raw} WHERE ${where})`));
  }
  return `(${parts.join(' UNION ALL ')})`;
}

/**
 * `statement` with every `FROM flows` reading `relation` instead. Returns the statement
 * unchanged when it reads no `flows`.
 */
export function substituteFlows(statement: string, relation: string): string {
  let out = '';
  let i = 0;
  let last = 0;
  const n = statement.length;
  const isWord = (c: string | undefined) => c !== undefined && /[A-Za-z0-9_$]/.test(c);
  while (i < n) {
    const c = statement[i];
    if (c === "'" || c === '`' || c === '"') {
      i++;
      while (i < n && statement[i] !== c) {
        if (statement[i] === '\\') i++;
        else if (c === "'" && statement[i] === "'" && statement[i + 1] === "'") i++;
        i++;
      }
      i++;
      continue;
    }
    if (c === '-' && statement[i + 1] === '-') {
      while (i < n && statement[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && statement[i + 1] === '*') {
      const end = statement.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
      continue;
    }
    if ((c === 'f' || c === 'F') && !isWord(statement[i - 1])) {
      const m = /^from(\s+)(flows|`flows`|"flows")(?![A-Za-z0-9_$.])/i.exec(statement.slice(i, i + 64));
      if (m) {
        out += statement.slice(last, i) + `FROM${m[1]}${relation} AS flows`;
        i += m[0].length;
        last = i;
        continue;
      }
    }
    i++;
  }
  return out + statement.slice(last);
}
