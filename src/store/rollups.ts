// Rollups: pre-aggregated tiers of the flow records, built when an hour of records is
// compacted. Each tier keeps a few dimensions and the additive measures (packets, bytes and the
// number of flows); a query the planner proves exact on a tier reads it instead of the raw
// records, which for "top talkers"-style questions is tens of times fewer rows.
// This module only decides; each store builds and reads tiers in its own way.

import type { Expr, FilterNode, Query } from '../query/ast.js';
import type { FieldName } from '../schema/fields.js';

export interface RollupTier {
  name: string;
  /** Width of a tier row's time bucket in seconds. */
  grain: number;
  dims: readonly FieldName[];
}

/** Fields summed in every tier; `flows` counts the records. */
export const SUMMED: readonly FieldName[] = ['packets', 'bytes'];

// No tier keeps ports: half the records carry an ephemeral port, which made a port tier
// nearly as large as the records. Every tier has account_id (tenant scopes filter on it), flow_log_id, direction and action:
// the low-cardinality fields most questions are asked about.
const COMMON: readonly FieldName[] = ['account_id', 'flow_log_id', 'direction', 'action'];

/**
 * Cheapest first: the planner takes the first tier that answers the query exactly. Interfaces
 * are few beside the addresses of the internet, so a question any tier answers (a chart of all
 * traffic) reads the interface tier.
 */
export const ROLLUP_TIERS: readonly RollupTier[] = [
  { name: 'iface_1h', grain: 3600, dims: [...COMMON, 'vpc_id', 'subnet_id', 'interface_id', 'instance_id', 'protocol'] },
  { name: 'src_1h', grain: 3600, dims: [...COMMON, 'src_addr'] },
  { name: 'dst_1h', grain: 3600, dims: [...COMMON, 'dst_addr'] },
  { name: 'iface_1m', grain: 60, dims: [...COMMON, 'vpc_id', 'subnet_id', 'interface_id', 'instance_id', 'protocol'] },
];

export function tierByName(name: string): RollupTier | undefined {
  return ROLLUP_TIERS.find((t) => t.name === name);
}

interface Needs {
  fields: Set<FieldName>;
  /** Widths of bucket(start, w) used; undefined entries mean start was used otherwise. */
  buckets: number[];
  ok: boolean;
}

function filterFields(f: FilterNode, n: Needs): void {
  switch (f.kind) {
    case 'all':
      return;
    case 'test':
      n.fields.add(f.field);
      return;
    case 'not':
      return filterFields(f.item, n);
    default:
      f.items.forEach((i) => filterFields(i, n));
  }
}

const AGG_ON_DIM = new Set(['min', 'max', 'any_value', 'approx_count_distinct']);

/** Walks an expression outside aggregates; aggregates are checked for rollup-safety. */
function exprFields(e: Expr, n: Needs, inAggregate: boolean): void {
  if (!n.ok) return;
  switch (e.kind) {
    case 'field':
      if (e.name === 'start' || e.name === 'end' || SUMMED.includes(e.name)) {
        n.ok = false;
        return;
      }
      n.fields.add(e.name);
      return;
    case 'call': {
      if (e.fn === 'bucket' && e.args[0]?.kind === 'field' && e.args[0].name === 'start' && e.args[1]?.kind === 'num') {
        n.buckets.push(e.args[1].value);
        return;
      }
      if (e.fn === 'count' && e.star && !inAggregate) return;
      if (e.fn === 'sum' && !e.distinct && !inAggregate && e.args[0]?.kind === 'field' && SUMMED.includes(e.args[0].name)) return;
      if (((e.fn === 'count' && e.distinct) || AGG_ON_DIM.has(e.fn)) && !inAggregate && e.args[0]?.kind === 'field') {
        return exprFields(e.args[0], n, true);
      }
      // Any other aggregate (avg, quantile, count(x), sum of anything else) needs raw rows.
      if (['count', 'sum', 'avg', 'stddev', 'quantile', 'percentile', 'median'].includes(e.fn) || AGG_ON_DIM.has(e.fn)) {
        n.ok = false;
        return;
      }
      e.args.forEach((a) => exprFields(a, n, inAggregate));
      return;
    }
    case 'neg':
    case 'not':
    case 'cast':
    case 'isnull':
      return exprFields(e.arg, n, inAggregate);
    case 'arith':
    case 'concat':
    case 'compare':
      exprFields(e.left, n, inAggregate);
      return exprFields(e.right, n, inAggregate);
    case 'logic':
      return e.args.forEach((a) => exprFields(a, n, inAggregate));
    case 'in':
      exprFields(e.arg, n, inAggregate);
      return e.list.forEach((a) => exprFields(a, n, inAggregate));
    case 'between':
      exprFields(e.arg, n, inAggregate);
      exprFields(e.low, n, inAggregate);
      return exprFields(e.high, n, inAggregate);
    case 'like':
      exprFields(e.arg, n, inAggregate);
      return exprFields(e.pattern, n, inAggregate);
    case 'case':
      if (e.operand) exprFields(e.operand, n, inAggregate);
      e.whens.forEach((w) => {
        exprFields(w.when, n, inAggregate);
        exprFields(w.then, n, inAggregate);
      });
      if (e.else) exprFields(e.else, n, inAggregate);
      return;
    default:
      return;
  }
}

/**
 * The tier that answers `q` exactly (with `scope` ANDed in), or undefined when only the raw
 * records can. Exact means: every field the query reads is a dimension of the tier, every
 * aggregate is a sum of packets or bytes, count(*), or min/max/distinct count of a dimension,
 * and time is only used through bucket(start, w) with w a multiple of the tier's grain.
 */
export function planRollup(q: Query, scope?: FilterNode): RollupTier | undefined {
  const sel = q.select;
  if (!sel || !sel.aggregate) return undefined;
  const n: Needs = { fields: new Set(), buckets: [], ok: true };
  filterFields(q.filter, n);
  if (scope) filterFields(scope, n);
  for (const item of sel.items) {
    if (!item.expr) return undefined;
    exprFields(item.expr, n, false);
  }
  if (sel.where) exprFields(sel.where, n, false);
  sel.groupBy.forEach((g) => exprFields(g, n, false));
  if (sel.having) exprFields(sel.having, n, false);
  sel.orderBy.forEach((o) => exprFields(o.expr, n, false));
  if (!n.ok) return undefined;
  return ROLLUP_TIERS.find((t) => [...n.fields].every((f) => t.dims.includes(f)) && n.buckets.every((w) => w % t.grain === 0));
}
