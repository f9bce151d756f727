// A rollup tier as DuckDB SQL: the aggregate that builds it from raw records, and the columns
// a tier's files hold (its dimensions, the bucket start and the summed measures).

import type { RollupTier } from '../rollups.js';
import { SUMMED } from '../rollups.js';
import { quoteIdent } from './sql.js';

/** Raw records of `source` (a relation) aggregated into the tier's rows. */
export function rollupSelect(tier: RollupTier, source: string, where = ''): string {
  const dims = tier.dims.map(quoteIdent);
  const sums = SUMMED.map((m) => `CAST(sum(${quoteIdent(m)}) AS BIGINT) AS ${quoteIdent(m)}`);
  return (
    `SELECT CAST(("start" // ${tier.grain}) * ${tier.grain} AS UINTEGER) AS "start", ${dims.join(', ')}, ${sums.join(', ')}, count(*) AS "flows" ` +
    `FROM ${source}${where ? ` WHERE ${where}` : ''} GROUP BY ALL`
  );
}

/** The columns of a tier's files, in order. */
export function rollupColumns(tier: RollupTier): string {
  return ['start', ...tier.dims, ...SUMMED, 'flows'].map(quoteIdent).join(', ');
}
