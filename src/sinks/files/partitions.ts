// Hive-style time partitions (`year=2024/month=05/day=17/hour=09`) by each record's window
// start, in UTC: query engines (Athena, Spark, DuckDB) prune on these directory names.

import type { FlowBatch } from '../../schema/batch.js';

export type Partitioning = 'hour' | 'day' | 'none';

const pad = (n: number): string => String(n).padStart(2, '0');

export function partitionPath(startSeconds: number, by: Partitioning): string {
  if (by === 'none') return '';
  const d = new Date(startSeconds * 1000);
  const day = `year=${d.getUTCFullYear()}/month=${pad(d.getUTCMonth() + 1)}/day=${pad(d.getUTCDate())}`;
  return by === 'day' ? day : `${day}/hour=${pad(d.getUTCHours())}`;
}

/** Rows of a batch grouped by partition, in row order within each group. */
export function groupByPartition(b: FlowBatch, by: Partitioning): Map<string, Int32Array> {
  const out = new Map<string, Int32Array>();
  if (b.length === 0) return out;
  if (by === 'none') {
    const all = new Int32Array(b.length);
    for (let i = 0; i < b.length; i++) all[i] = i;
    out.set('', all);
    return out;
  }
  const unit = by === 'day' ? 86400 : 3600;
  const start = b.cols.start;
  const keys = new Float64Array(b.length);
  const counts = new Map<number, number>();
  for (let i = 0; i < b.length; i++) {
    const k = Math.floor(start[i] / unit);
    keys[i] = k;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const lists = new Map<number, { rows: Int32Array; n: number }>();
  for (const [k, n] of counts) lists.set(k, { rows: new Int32Array(n), n: 0 });
  for (let i = 0; i < b.length; i++) {
    const l = lists.get(keys[i])!;
    l.rows[l.n++] = i;
  }
  for (const [k, l] of lists) out.set(partitionPath(k * unit, by), l.rows);
  return out;
}
