// What is normal for an interface, a subnet or a VPC: hour-of-week profiles of bits and
// packets per second, flows and distinct peers per window, learned with the baselines every
// detector shares (src/detect/baseline.ts: exponentially weighted cells and their expectation
// for the hour), plus the median and high quantiles of each cell from the same windows.
// Windows without traffic count as zero, as they do when the baselines learn live.

import { BaselineSet, HOURS_PER_WEEK, hourOfWeek } from '../detect/baseline.js';
import { InputError } from '../util/errors.js';
import type { Evidence } from './analyses.js';
import { evidenceOf, forEachRow, queryRows, text, type AnswerInput } from './answer-query.js';

export const LEVEL_FIELDS = { eni: 'interface_id', subnet: 'subnet_id', vpc: 'vpc_id' } as const;
export type Level = keyof typeof LEVEL_FIELDS;
export const PROFILE_METRICS = ['bps', 'pps', 'flows', 'peers'] as const;
export type ProfileMetric = (typeof PROFILE_METRICS)[number];

export interface ProfileOptions {
  level?: Level;
  /** Entities to profile; default the busiest `limit` by bytes. */
  entities?: string[];
  /** Window, seconds; default 300. */
  window?: number;
  limit?: number;
  /** Weeks a cell remembers (the baselines' setting); default 4. */
  weeks?: number;
}

export interface ProfileCell {
  hour: number;
  /** e.g. "Mon 15:00" (UTC). */
  label: string;
  samples: number;
  mean: number;
  std: number;
  p50: number;
  p95: number;
  p99: number;
}

export interface MetricProfile {
  unit: string;
  cells: ProfileCell[];
  /** The cell with the highest 95th percentile. */
  busiest: { hour: number; label: string; p95: number };
  /** The baseline's expectation for the window after the range. */
  next: { mean: number; std: number; source: string };
}

export interface EntityProfile {
  entity: string;
  level: Level;
  windows: number;
  metrics: Record<ProfileMetric, MetricProfile>;
  evidence: Evidence;
}

export interface ProfilesResult {
  from: number;
  to: number;
  window: number;
  level: Level;
  profiles: EntityProfile[];
  evidence: Evidence;
}

const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
export const hourLabel = (h: number) => `${DAYS[Math.floor(h / 24)]} ${String(h % 24).padStart(2, '0')}:00`;

function quantile(sorted: Float64Array | number[], q: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function checkLevel(level: string): Level {
  if (!(level in LEVEL_FIELDS)) throw new InputError(`level must be one of ${Object.keys(LEVEL_FIELDS).join(', ')}, not '${level}'`);
  return level as Level;
}

export function peerSql(): string {
  return "CASE WHEN direction = 'ingress' THEN src_addr ELSE dst_addr END";
}

/** The busiest entities of a level by bytes (answers from rollups where it can). */
export async function busiest(i: AnswerInput, field: string, limit: number): Promise<string[]> {
  const rows = await queryRows(i, `${field}:*?`, `SELECT ${field} AS entity, sum(bytes) AS total_bytes GROUP BY entity ORDER BY total_bytes DESC, entity LIMIT ${limit}`);
  return rows.map((r) => text(r.entity));
}

export function entityFilter(field: string, ids: readonly string[]): string {
  for (const id of ids) if (!/^[A-Za-z0-9][A-Za-z0-9._:\/-]*$/.test(id)) throw new InputError(`'${id}' is not an id`);
  return `${field}:(${ids.join(' OR ')})`;
}

export async function baselineProfiles(i: AnswerInput, o: ProfileOptions = {}): Promise<ProfilesResult> {
  const level = checkLevel(o.level ?? 'eni');
  const field = LEVEL_FIELDS[level];
  const W = o.window ?? 300;
  if (!Number.isInteger(W) || W < 60 || W > 3600 || 3600 % W !== 0) throw new InputError('window must be a whole number of seconds from 60 to 3600 that divides an hour');
  const entities = o.entities?.length ? o.entities : await busiest(i, field, o.limit ?? 10);
  const from = Math.floor(i.range.from / W) * W;
  const windows = Math.max(0, Math.ceil((i.range.to - from) / W));
  const filter = entities.length ? entityFilter(field, entities) : '';
  const select = `SELECT ${field} AS entity, bucket(start, ${W}) AS w, CAST(sum(bytes) AS DOUBLE) AS b, CAST(sum(packets) AS DOUBLE) AS p, CAST(count(*) AS DOUBLE) AS f, CAST(count(DISTINCT ${peerSql()}) AS DOUBLE) AS n GROUP BY entity, w`;
  // Per entity and metric, one value per window of the range (zero where nothing was seen).
  const index = new Map(entities.map((e, k) => [e, k]));
  const values = entities.map(() => PROFILE_METRICS.map(() => new Float64Array(windows)));
  if (entities.length > 0 && windows > 0) {
    await forEachRow({ ...i, range: { from, to: i.range.to } }, filter, select, (row) => {
      const e = index.get(String(row[0]));
      const w = (Number(row[1]) - from) / W;
      if (e === undefined || w < 0 || w >= windows) return;
      const v = values[e];
      v[0][w] = (Number(row[2]) * 8) / W;
      v[1][w] = Number(row[3]) / W;
      v[2][w] = Number(row[4]);
      v[3][w] = Number(row[5]);
    });
  }
  const units = { bps: 'bit/s', pps: 'packets/s', flows: `flows per ${W} s`, peers: `distinct peers per ${W} s` };
  const sets = PROFILE_METRICS.map((m) => new BaselineSet(`${level}.${m}`, { windowSeconds: W, weeks: o.weeks ?? 4, minSamples: Math.max(1, Math.round(1800 / W)) }));
  for (const s of sets) for (const e of entities) s.entity(e);
  for (let w = 0; w < windows; w++) {
    const t = from + w * W;
    sets.forEach((s, m) => s.observeWindow(t, (e) => values[e][m][w]));
  }
  const next = from + windows * W;
  const profiles = entities.map((entity, e): EntityProfile => {
    const metrics = {} as Record<ProfileMetric, MetricProfile>;
    PROFILE_METRICS.forEach((m, k) => {
      const byHour: number[][] = Array.from({ length: HOURS_PER_WEEK }, () => []);
      const v = values[e][k];
      for (let w = 0; w < windows; w++) byHour[hourOfWeek(from + w * W)].push(v[w]);
      const model = sets[k].profile(sets[k].lookup(entity)!);
      const cells = model.map((c): ProfileCell => {
        const xs = Float64Array.from(byHour[c.hour]).sort();
        return { hour: c.hour, label: hourLabel(c.hour), samples: c.samples, mean: c.mean, std: c.std, p50: quantile(xs, 0.5), p95: quantile(xs, 0.95), p99: quantile(xs, 0.99) };
      });
      const top = cells.reduce((a, b) => (b.p95 > a.p95 ? b : a), cells[0]);
      const x = sets[k].expected(sets[k].lookup(entity)!, next);
      metrics[m] = { unit: units[m], cells, busiest: { hour: top.hour, label: top.label, p95: top.p95 }, next: { mean: x.mean, std: x.std, source: x.source } };
    });
    return { entity, level, windows, metrics, evidence: evidenceOf(`${field}:${entity}`, `SELECT bucket(start, ${W}) AS t, sum(bytes) AS total_bytes, sum(packets) AS total_packets, count(*) AS flows GROUP BY t ORDER BY t`, i.range) };
  });
  return { from: i.range.from, to: i.range.to, window: W, level, profiles, evidence: evidenceOf(filter, select, i.range) };
}
