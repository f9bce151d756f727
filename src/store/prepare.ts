// From a parsed query to a statement for a store: pick a rollup tier when one answers the
// query exactly, then compile for the store's dialect.

import type { FilterNode, Query } from '../query/index.js';
import { compilerFor } from './compile.js';
import type { CompiledQuery } from './duckdb/compile.js';
import { planRollup } from './rollups.js';
import type { FlowStore, SqlOptions } from './store.js';

export interface PreparedQuery extends CompiledQuery {
  /** Options to pass to `store.sql()` / `store.sqlStream()` with `sql`. */
  sqlOptions: SqlOptions;
}

export function prepareQuery(store: FlowStore, q: Query, opts: { scope?: FilterNode; maxRows?: number; rollups?: boolean } = {}): PreparedQuery {
  const tier = store.rollups && opts.rollups !== false ? planRollup(q, opts.scope) : undefined;
  const compiled = compilerFor(store.dialect)(q, { scope: opts.scope, maxRows: opts.maxRows, rollup: tier !== undefined });
  const sqlOptions: SqlOptions = tier ? { tier: tier.name } : {};
  if (compiled.newestFirst !== undefined) sqlOptions.newestFirst = compiled.newestFirst;
  return { ...compiled, sqlOptions };
}
