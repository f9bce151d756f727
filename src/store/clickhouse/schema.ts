// The flow record as ClickHouse tables, derived from FIELDS, in the types and DDL that
// ClickHouse 18.16 (Debian's package) and current releases both accept.
//
// Single server: `flows` (MergeTree) plus one SummingMergeTree table per rollup tier, filled
// by a materialized view at insert time. Cluster: the same tables with a `_local` suffix on
// every shard (Replicated* engines when a keeper is configured), and Distributed tables under
// the plain names, so readers query `flows` whatever the layout. Rows of one batch go to one
// shard (the sharding key is the batch id), which keeps deduplication by batch id exact.

import { clickhouseType } from '../../schema/clickhouse-types.js';
import { FIELDS, fieldByName } from '../../schema/fields.js';
import { ROLLUP_TIERS, SUMMED, type RollupTier } from '../rollups.js';
import { quoteIdent, quoteString } from './sql.js';

/** The hidden column that names the batch a row arrived in (for deduplication). */
export const BATCH_COLUMN = 'batch_id';

export interface Layout {
  database: string;
  /** remote_servers cluster name: local tables per shard plus Distributed tables. */
  cluster?: string;
  /** Replicated engines, with the servers' {shard} and {replica} macros. */
  replicated?: boolean;
}

/** The partition key: one partition per UTC day of window start. */
export const PARTITION = "toYYYYMMDD(toDateTime(`start`, 'UTC'))";

/** The UTC day (YYYYMMDD) of a window start, as the partition key computes it. */
export function partitionOf(start: number): number {
  const d = new Date(start * 1000);
  return d.getUTCFullYear() * 10000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
}

export function flowColumns(): { name: string; type: string }[] {
  return [...FIELDS.map((f) => ({ name: f.name as string, type: clickhouseType(f) })), { name: BATCH_COLUMN, type: 'String' }];
}

export function tierColumns(t: RollupTier): { name: string; type: string }[] {
  return [
    { name: 'start', type: 'UInt32' },
    ...t.dims.map((d) => ({ name: d as string, type: clickhouseType(fieldByName(d)!) })),
    ...SUMMED.map((m) => ({ name: m as string, type: 'UInt64' })),
    { name: 'flows', type: 'UInt64' },
  ];
}

export interface TableNames {
  /** What queries read (Distributed in a cluster). */
  read: string;
  /** What inserts write to and what lives on each shard. */
  local: string;
}

function names(layout: Layout, base: string): TableNames {
  return { read: base, local: layout.cluster ? `${base}_local` : base };
}

export function flowsTable(layout: Layout): TableNames {
  return names(layout, 'flows');
}

export function tierTable(layout: Layout, t: RollupTier): TableNames {
  return names(layout, `flows_${t.name}`);
}

function q(layout: Layout, table: string): string {
  return `${quoteIdent(layout.database)}.${quoteIdent(table)}`;
}

function columnsDdl(cols: { name: string; type: string }[]): string {
  return cols.map((c) => `${quoteIdent(c.name)} ${c.type}`).join(', ');
}

function engine(layout: Layout, kind: 'MergeTree' | 'SummingMergeTree', table: string, args: string[] = []): string {
  if (!layout.replicated) return `${kind}(${args.join(', ')})`;
  const path = quoteString(`/clickhouse/tables/{shard}/${layout.database}/${table}`);
  return `Replicated${kind}(${[path, "'{replica}'", ...args].join(', ')})`;
}

/**
 * Statements that create everything on one server (a shard, in a cluster), each idempotent,
 * in dependency order.
 */
export function schemaStatements(layout: Layout): string[] {
  const out = [`CREATE DATABASE IF NOT EXISTS ${quoteIdent(layout.database)}`];
  const flows = flowsTable(layout);
  // Time first (ranges prune whole granules), then interface: per-ENI questions read less.
  out.push(
    `CREATE TABLE IF NOT EXISTS ${q(layout, flows.local)} (${columnsDdl(flowColumns())}) ENGINE = ${engine(layout, 'MergeTree', flows.local)} ` +
      `PARTITION BY ${PARTITION} ORDER BY (intDiv(\`start\`, 3600), \`interface_id\`, \`start\`)`,
  );
  if (layout.cluster) out.push(distributed(layout, flows, flowColumns(), `sipHash64(${quoteIdent(BATCH_COLUMN)})`));
  // Every tier is fed from the raw inserts: ClickHouse 18.16 does not cascade a materialized
  // view's output into the views of its target table, so a coarse tier cannot be fed from a
  // finer one there.
  for (const t of ROLLUP_TIERS) {
    const tt = tierTable(layout, t);
    const cols = tierColumns(t);
    const sums = `(${[...SUMMED, 'flows'].map(quoteIdent).join(', ')})`;
    out.push(
      `CREATE TABLE IF NOT EXISTS ${q(layout, tt.local)} (${columnsDdl(cols)}) ENGINE = ${engine(layout, 'SummingMergeTree', tt.local, [sums])} ` +
        `PARTITION BY ${PARTITION} ORDER BY (${['start', ...t.dims].map(quoteIdent).join(', ')})`,
    );
    if (layout.cluster) out.push(distributed(layout, tt, cols, 'rand()'));
    out.push(`CREATE MATERIALIZED VIEW IF NOT EXISTS ${q(layout, `${tt.local}_mv`)} TO ${q(layout, tt.local)} AS ${tierSelect(t, q(layout, flows.local))}`);
  }
  return out;
}

function distributed(layout: Layout, t: TableNames, cols: { name: string; type: string }[], key: string): string {
  return (
    `CREATE TABLE IF NOT EXISTS ${q(layout, t.read)} (${columnsDdl(cols)}) ` +
    `ENGINE = Distributed(${quoteIdent(layout.cluster!)}, ${quoteIdent(layout.database)}, ${quoteIdent(t.local)}, ${key})`
  );
}

/**
 * Raw records of `source` aggregated into a tier's rows. The bucket's alias shadows `start`
 * on purpose: GROUP BY start groups by bucket, and inside the alias `start` is the column.
 * (It would shadow `start` in a WHERE too: filter inside `source`, never here.)
 */
export function tierSelect(t: RollupTier, source: string): string {
  const dims = t.dims.map(quoteIdent);
  const sums = SUMMED.map((m) => `sum(${quoteIdent(m)}) AS ${quoteIdent(m)}`);
  return (
    `SELECT toUInt32(intDiv(\`start\`, ${t.grain}) * ${t.grain}) AS \`start\`, ${dims.join(', ')}, ${sums.join(', ')}, count() AS \`flows\` ` +
    `FROM ${source} GROUP BY \`start\`${dims.length ? ', ' + dims.join(', ') : ''}`
  );
}

/** Tables (local names) whose columns follow FIELDS and may need columns added. */
export function migratableTables(layout: Layout): string[] {
  const flows = flowsTable(layout);
  return layout.cluster ? [flows.local, flows.read] : [flows.local];
}

/** ALTERs that add the columns of FIELDS a table lacks (fields added since it was created). */
export function addColumnStatements(layout: Layout, table: string, have: ReadonlySet<string>): string[] {
  return flowColumns()
    .filter((c) => !have.has(c.name))
    .map((c) => `ALTER TABLE ${q(layout, table)} ADD COLUMN ${quoteIdent(c.name)} ${c.type}`);
}

export function qualified(layout: Layout, table: string): string {
  return q(layout, table);
}
