// What will saturate, and who is making it grow: per interface (or subnet, VPC) the rate in
// each window against the bandwidth cap, a straight-line trend of the daily 95th percentile
// with the days left until it reaches the cap, and the contributors whose traffic grew most
// between the first and the last quarter of the range.

import type { InventoryIndex } from '../inventory/inventory-index.js';
import { InputError } from '../util/errors.js';
import type { Evidence } from './analyses.js';
import { evidenceOf, forEachRow, num, queryRows, text, type AnswerInput } from './answer-query.js';
import { busiest, checkLevel, entityFilter, LEVEL_FIELDS, peerSql, type Level } from './profiles.js';

export interface CapacityOptions {
  level?: Level;
  entities?: string[];
  /** Window the rates are measured over, seconds; default 3600. */
  window?: number;
  limit?: number;
}

export interface DailyRate {
  day: number;
  p95_bps: number;
  peak_bps: number;
}

export interface CapacityRow {
  entity: string;
  level: Level;
  /** The bandwidth cap, for interfaces that have one. */
  cap_mbps: number | null;
  /** Busier direction of each window; 95th percentile and peak over the range. */
  p95_bps: number;
  peak_bps: number;
  utilisation_p95: number | null;
  utilisation_peak: number | null;
  /** Slope of the daily 95th percentile, bits/s per day (least squares); null with fewer than 3 days. */
  trend_bps_per_day: number | null;
  /** Days from the end of the range until the trend reaches the cap; 0 when already there; null when not rising or no cap. */
  days_to_saturation: number | null;
  daily: DailyRate[];
  evidence: Evidence;
}

export interface GrowthRow {
  key: string;
  early_bps: number;
  late_bps: number;
  growth_bps: number;
  /** Of the whole scope's growth. */
  share: number | null;
}

export interface CapacityResult {
  from: number;
  to: number;
  window: number;
  level: Level;
  rows: CapacityRow[];
  growth: { by: string; early: { from: number; to: number }; late: { from: number; to: number }; rows: GrowthRow[]; evidence: Evidence };
  evidence: Evidence;
}

function quantile(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Least-squares line through (x, y); null with fewer than 3 points. */
export function fitLine(xs: readonly number[], ys: readonly number[]): { slope: number; intercept: number } | null {
  const n = xs.length;
  if (n < 3) return null;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let k = 0; k < n; k++) {
    sxy += (xs[k] - mx) * (ys[k] - my);
    sxx += (xs[k] - mx) ** 2;
  }
  if (sxx === 0) return null;
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx };
}

/** Days until a line reaches `cap` from `x` (0 when it already has; null when it never will). */
export function daysToReach(line: { slope: number; intercept: number } | null, x: number, cap: number | null): number | null {
  if (!line || cap === null) return null;
  const now = line.intercept + line.slope * x;
  if (now >= cap) return 0;
  if (line.slope <= 0) return null;
  return (cap - now) / line.slope;
}

async function growth(i: AnswerInput, level: Level, entities: readonly string[], limit: number): Promise<CapacityResult['growth']> {
  const span = i.range.to - i.range.from;
  const q = Math.max(1, Math.floor(span / 4));
  const early = { from: i.range.from, to: i.range.from + q };
  const late = { from: i.range.to - q, to: i.range.to };
  // Of given entities, one level down (a VPC's subnets, a subnet's interfaces, an interface's
  // peers); of everything, the entities of the level themselves.
  const down = entities.length > 0;
  const child = !down ? LEVEL_FIELDS[level] : level === 'vpc' ? 'subnet_id' : level === 'subnet' ? 'interface_id' : peerSql();
  const by = !down ? level : level === 'vpc' ? 'subnet' : level === 'subnet' ? 'eni' : 'peer';
  const filter = entities.length ? entityFilter(LEVEL_FIELDS[level], entities) : '';
  const select = `SELECT ${child} AS key, sum(CASE WHEN start < ${early.to} THEN bytes ELSE 0 END) AS early_bytes, sum(CASE WHEN start >= ${late.from} THEN bytes ELSE 0 END) AS late_bytes GROUP BY key`;
  const rows = await queryRows(i, filter, select);
  const out = rows.map((r) => {
    const e = (num(r.early_bytes) * 8) / q;
    const l = (num(r.late_bytes) * 8) / q;
    return { key: text(r.key), early_bps: e, late_bps: l, growth_bps: l - e, share: null as number | null };
  });
  const total = out.reduce((n, r) => n + r.growth_bps, 0);
  for (const r of out) r.share = total > 0 ? r.growth_bps / total : null;
  out.sort((a, b) => b.growth_bps - a.growth_bps || a.key.localeCompare(b.key));
  return { by, early, late, rows: out.slice(0, limit), evidence: evidenceOf(filter, select, i.range) };
}

export async function capacity(i: AnswerInput & { inventory?: InventoryIndex }, o: CapacityOptions = {}): Promise<CapacityResult> {
  const level = checkLevel(o.level ?? 'eni');
  const field = LEVEL_FIELDS[level];
  const W = o.window ?? 3600;
  const limit = o.limit ?? 20;
  if (!Number.isInteger(W) || W < 60 || 86400 % W !== 0) throw new InputError('window must be a whole number of seconds from 60 that divides a day');
  const entities = o.entities?.length ? o.entities : await busiest(i, field, limit);
  const from = Math.floor(i.range.from / W) * W;
  const windows = Math.max(0, Math.ceil((i.range.to - from) / W));
  const filter = entities.length ? entityFilter(field, entities) : '';
  const select = `SELECT ${field} AS entity, direction, bucket(start, ${W}) AS w, CAST(sum(bytes) AS DOUBLE) AS b GROUP BY entity, direction, w`;
  const index = new Map(entities.map((e, k) => [e, k]));
  // The busier direction of each window (caps apply to each direction).
  const rate = entities.map(() => new Float64Array(windows));
  if (entities.length > 0 && windows > 0) {
    await forEachRow({ ...i, range: { from, to: i.range.to } }, filter, select, (row) => {
      const e = index.get(String(row[0]));
      const w = (Number(row[2]) - from) / W;
      if (e === undefined || w < 0 || w >= windows) return;
      const bps = (Number(row[3]) * 8) / W;
      if (bps > rate[e][w]) rate[e][w] = bps;
    });
  }
  const perDay = 86400 / W;
  const rows = entities.map((entity, e): CapacityRow => {
    const all = Float64Array.from(rate[e]).sort();
    const cap = level === 'eni' ? (i.inventory?.eni(entity)?.bandwidthMbps ?? null) : null;
    const capBps = cap === null ? null : cap * 1e6;
    const daily: DailyRate[] = [];
    for (let d0 = 0; d0 < windows; d0 += perDay) {
      const day = rate[e].slice(d0, Math.min(windows, d0 + perDay));
      if (day.length < perDay / 2) continue; // a stub day at the end would drag the trend down
      const sorted = Float64Array.from(day).sort();
      daily.push({ day: from + d0 * W, p95_bps: quantile(sorted, 0.95), peak_bps: sorted[sorted.length - 1] });
    }
    const xs = daily.map((d) => (d.day - from) / 86400);
    const line = fitLine(xs, daily.map((d) => d.p95_bps));
    const p95 = quantile(all, 0.95);
    const peak = all.length ? all[all.length - 1] : 0;
    return {
      entity,
      level,
      cap_mbps: cap,
      p95_bps: p95,
      peak_bps: peak,
      utilisation_p95: capBps ? p95 / capBps : null,
      utilisation_peak: capBps ? peak / capBps : null,
      trend_bps_per_day: line?.slope ?? null,
      days_to_saturation: daysToReach(line, (windows * W) / 86400, capBps),
      daily,
      evidence: evidenceOf(`${field}:${entity}`, `SELECT direction, bucket(start, ${W}) AS t, sum(bytes) AS total_bytes GROUP BY direction, t ORDER BY t`, i.range),
    };
  });
  rows.sort((a, b) => (a.days_to_saturation ?? Infinity) - (b.days_to_saturation ?? Infinity) || (b.utilisation_p95 ?? -1) - (a.utilisation_p95 ?? -1) || b.p95_bps - a.p95_bps);
  return { from: i.range.from, to: i.range.to, window: W, level, rows, growth: await growth(i, level, o.entities ?? [], limit), evidence: evidenceOf(filter, select, i.range) };
}
