// Ready-made analyses: each is built as queries in the query language, so it runs unchanged on
// every store, is planned onto rollups where that is exact, is limited to the caller's
// accounts like any query, and hands back the query it ran as its evidence (the search can
// open it). Dimensions and metrics come from fixed lists; the user's filter is parsed on its
// own and ANDed in, never spliced into query text.

import { andFilters, exactFilter, parseFilter, parseQuery, type FilterNode, type Query } from '../query/index.js';
import { prepareQuery } from '../store/prepare.js';
import type { FlowStore, QueryResult, TimeRange } from '../store/store.js';
import { InputError } from '../util/errors.js';
import { didYouMean } from '../util/suggest.js';

/** What top-N can group by: a name users type → the expression in the SQL part. */
export const DIMENSIONS: Record<string, { expr: string[]; peer: string }> = {
  src: { expr: ['src_addr'], peer: 'dst_addr' },
  dst: { expr: ['dst_addr'], peer: 'src_addr' },
  pair: { expr: ['src_addr', 'dst_addr'], peer: 'dst_port' },
  port: { expr: ['protocol', 'dst_port'], peer: 'src_addr' },
  protocol: { expr: ['protocol'], peer: 'src_addr' },
  eni: { expr: ['interface_id'], peer: 'dst_addr' },
  instance: { expr: ['instance_id'], peer: 'dst_addr' },
  subnet: { expr: ['subnet_id'], peer: 'dst_addr' },
  vpc: { expr: ['vpc_id'], peer: 'dst_addr' },
  src_country: { expr: ['src_country'], peer: 'src_addr' },
  dst_country: { expr: ['dst_country'], peer: 'dst_addr' },
  src_asn: { expr: ['src_asn'], peer: 'src_addr' },
  dst_asn: { expr: ['dst_asn'], peer: 'dst_addr' },
  action: { expr: ['action'], peer: 'src_addr' },
  rule: { expr: ['rule_id'], peer: 'src_addr' },
};

export const METRICS = ['bytes', 'packets', 'flows', 'peers'] as const;
export type Metric = (typeof METRICS)[number];

export interface AnalysisInput {
  store: FlowStore;
  range: TimeRange;
  /** The user's filter in the query language ('' for every flow). */
  filter?: string;
  /** The caller's tenant scope, ANDed into every query. */
  scope?: FilterNode;
}

export interface Evidence {
  /** Query text the search can run to see the rows behind the answer. */
  query: string;
  from: number;
  to: number;
}

function filterOf(text: string | undefined): FilterNode {
  return parseFilter(text ?? '');
}

function withFilter(select: string, filter: FilterNode): Query {
  const q = parseQuery(`| ${select}`);
  return { ...q, filter: andFilters(filter, q.filter) };
}

async function run(i: AnalysisInput, q: Query): Promise<QueryResult> {
  const p = prepareQuery(i.store, q, { scope: i.scope });
  return i.store.sql(p.sql, i.range, p.sqlOptions);
}

function evidence(i: AnalysisInput, select: string): Evidence {
  const f = (i.filter ?? '').trim();
  return { query: `${f}${f ? ' ' : ''}| ${select}`, from: i.range.from, to: i.range.to };
}

function rowsAsObjects(r: QueryResult): Record<string, unknown>[] {
  return r.rows.map((row) => Object.fromEntries(r.columns.map((c, k) => [c.name, row[k]])));
}

export function checkDimension(by: string): { expr: string[]; peer: string } {
  const d = DIMENSIONS[by];
  if (!d) throw new InputError(`unknown dimension '${by}'${didYouMean(by, Object.keys(DIMENSIONS))} (one of ${Object.keys(DIMENSIONS).join(', ')})`);
  return d;
}

export function checkMetric(m: string): Metric {
  if (!(METRICS as readonly string[]).includes(m)) throw new InputError(`unknown metric '${m}'${didYouMean(m, METRICS)} (one of ${METRICS.join(', ')})`);
  return m as Metric;
}

function checkLimit(n: number | undefined, dflt: number, max = 10_000): number {
  const v = n ?? dflt;
  if (!Number.isInteger(v) || v < 1 || v > max) throw new InputError(`limit must be a whole number from 1 to ${max}`);
  return v;
}

export interface TopResult {
  by: string;
  metric: Metric;
  rows: Record<string, unknown>[];
  evidence: Evidence;
}

/** Top-N by a dimension, ranked by bytes, packets, flows or distinct peers. */
export async function top(i: AnalysisInput, p: { by: string; metric?: string; limit?: number }): Promise<TopResult> {
  const dim = checkDimension(p.by);
  const metric = checkMetric(p.metric ?? 'bytes');
  const limit = checkLimit(p.limit, 10);
  const cols = dim.expr.join(', ');
  const measures = ['sum(bytes) AS total_bytes', 'sum(packets) AS total_packets', 'count(*) AS flows'];
  if (metric === 'peers') measures.push(`count(DISTINCT ${dim.peer}) AS peers`);
  const order = { bytes: 'total_bytes', packets: 'total_packets', flows: 'flows', peers: 'peers' }[metric];
  const select = `SELECT ${cols}, ${measures.join(', ')} GROUP BY ${cols} ORDER BY ${order} DESC, ${cols} LIMIT ${limit}`;
  const r = await run(i, withFilter(select, filterOf(i.filter)));
  return { by: p.by, metric, rows: rowsAsObjects(r), evidence: evidence(i, select) };
}

const BUCKETS = [10, 30, 60, 300, 600, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 7 * 86400];

/** A bucket width giving at most `points` points over the range (10 s to a week). */
export function autoBucket(range: TimeRange, points = 240): number {
  const want = (range.to - range.from) / points;
  return BUCKETS.find((b) => b >= want) ?? BUCKETS[BUCKETS.length - 1];
}

export interface SeriesResult {
  bucket: number;
  /** One point per bucket (and per group when split): t, group?, total_bytes, total_packets, flows, bps, pps. */
  points: Record<string, unknown>[];
  evidence: Evidence;
}

/** Traffic over time with an automatic bucket; optionally split by a dimension (its top groups). */
export async function series(i: AnalysisInput, p: { bucket?: number; split?: string; groups?: number }): Promise<SeriesResult> {
  const bucket = p.bucket ?? autoBucket(i.range);
  if (!Number.isInteger(bucket) || bucket < 1) throw new InputError('bucket must be a whole number of seconds');
  let groupExpr = '';
  let filter = filterOf(i.filter);
  if (p.split) {
    const dim = checkDimension(p.split);
    if (dim.expr.length !== 1) throw new InputError(`split by one field: '${p.split}' is a pair`);
    groupExpr = dim.expr[0];
    // Limit the split to the biggest groups, so a chart stays readable.
    const t = await top(i, { by: p.split, metric: 'bytes', limit: checkLimit(p.groups, 8, 50) });
    const values = t.rows.map((r) => r[groupExpr]).filter((v) => v !== null && v !== '').map(String);
    if (values.length) filter = andFilters(filter, exactFilter([{ field: groupExpr, values }]));
  }
  const g = groupExpr ? `, ${groupExpr} AS "group"` : '';
  const select = `SELECT bucket(start, ${bucket}) AS t${g}, sum(bytes) AS total_bytes, sum(packets) AS total_packets, count(*) AS flows GROUP BY 1${g ? ', 2' : ''} ORDER BY 1${g ? ', 2' : ''}`;
  const r = await run(i, withFilter(select, filter));
  const points = rowsAsObjects(r).map((row) => ({ ...row, bps: (Number(row.total_bytes) * 8) / bucket, pps: Number(row.total_packets) / bucket }));
  return { bucket, points, evidence: evidence(i, select) };
}

export interface SankeyResult {
  nodes: { name: string; side: 'source' | 'destination' }[];
  links: { source: number; target: number; bytes: number; flows: number }[];
  evidence: Evidence;
}

/** Traffic between groups (e.g. source country → destination subnet), for a Sankey diagram. */
export async function sankey(i: AnalysisInput, p: { from: string; to: string; limit?: number }): Promise<SankeyResult> {
  const a = checkDimension(p.from);
  const b = checkDimension(p.to);
  if (a.expr.length !== 1 || b.expr.length !== 1) throw new InputError('sankey groups must be single fields');
  const limit = checkLimit(p.limit, 40, 1000);
  const select = `SELECT ${a.expr[0]} AS a, ${b.expr[0]} AS b, sum(bytes) AS total_bytes, count(*) AS flows GROUP BY 1, 2 ORDER BY total_bytes DESC, 1, 2 LIMIT ${limit}`;
  const r = await run(i, withFilter(select, filterOf(i.filter)));
  const nodes: SankeyResult['nodes'] = [];
  const index = new Map<string, number>();
  const node = (name: string, side: 'source' | 'destination') => {
    const key = `${side}:${name}`;
    let k = index.get(key);
    if (k === undefined) {
      k = nodes.length;
      nodes.push({ name, side });
      index.set(key, k);
    }
    return k;
  };
  const links = r.rows.map((row) => ({ source: node(String(row[0] ?? ''), 'source'), target: node(String(row[1] ?? ''), 'destination'), bytes: Number(row[2]), flows: Number(row[3]) }));
  return { nodes, links, evidence: evidence(i, select) };
}

export interface MixResult {
  protocols: Record<string, unknown>[];
  ports: Record<string, unknown>[];
  evidence: Evidence[];
}

/**
 * Protocol mix, and port mix by service port: the lower of the two ports, which for client
 * traffic is the server's (clients pick ephemeral ports above 1024).
 */
export async function mix(i: AnalysisInput, p: { limit?: number }): Promise<MixResult> {
  const limit = checkLimit(p.limit, 15);
  const f = filterOf(i.filter);
  const protoSel = 'SELECT protocol, sum(bytes) AS total_bytes, sum(packets) AS total_packets, count(*) AS flows GROUP BY protocol ORDER BY total_bytes DESC, protocol';
  const portSel = `SELECT protocol, CASE WHEN src_port < dst_port THEN src_port ELSE dst_port END AS port, sum(bytes) AS total_bytes, count(*) AS flows GROUP BY 1, 2 ORDER BY total_bytes DESC, 1, 2 LIMIT ${limit}`;
  const [a, b] = await Promise.all([run(i, withFilter(protoSel, f)), run(i, withFilter(portSel, f))]);
  return { protocols: rowsAsObjects(a), ports: rowsAsObjects(b), evidence: [evidence(i, protoSel), evidence(i, portSel)] };
}

export interface BandwidthRow {
  interface_id: string;
  direction: string;
  avg_bps: number;
  p95_bps: number;
  max_bps: number;
  avg_pps: number;
  max_pps: number;
  minutes: number;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Per-ENI bandwidth from one-minute buckets: average, 95th percentile and peak bps/pps. */
export async function bandwidth(i: AnalysisInput, p: { limit?: number }): Promise<{ rows: BandwidthRow[]; evidence: Evidence }> {
  const limit = checkLimit(p.limit, 20, 100_000);
  const select = 'SELECT interface_id, direction, bucket(start, 60) AS t, sum(bytes) AS total_bytes, sum(packets) AS total_packets GROUP BY 1, 2, 3';
  const r = await run(i, withFilter(select, filterOf(i.filter)));
  // Minutes without traffic count as zero in the average and the percentile.
  const minutes = Math.max(1, Math.ceil((i.range.to - i.range.from) / 60));
  const by = new Map<string, { bps: number[]; pps: number[] }>();
  for (const row of r.rows) {
    const key = `${row[0]}\u0000${row[1]}`;
    let e = by.get(key);
    if (!e) by.set(key, (e = { bps: [], pps: [] }));
    e.bps.push((Number(row[3]) * 8) / 60);
    e.pps.push(Number(row[4]) / 60);
  }
  const rows: BandwidthRow[] = [...by].map(([key, e]) => {
    const [interface_id, direction] = key.split('\u0000');
    const pad = Math.max(0, minutes - e.bps.length);
    const bps = [...e.bps, ...new Array<number>(pad).fill(0)].sort((a, b) => a - b);
    const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
    return {
      interface_id,
      direction,
      avg_bps: sum(e.bps) / minutes,
      p95_bps: quantile(bps, 0.95),
      max_bps: bps[bps.length - 1] ?? 0,
      avg_pps: sum(e.pps) / minutes,
      max_pps: Math.max(0, ...e.pps),
      minutes: e.bps.length,
    };
  });
  rows.sort((a, b) => b.p95_bps - a.p95_bps || a.interface_id.localeCompare(b.interface_id));
  return { rows: rows.slice(0, limit), evidence: evidence(i, select) };
}

export interface RejectedResult {
  total: { flows: number; packets: number; bytes: number };
  sources: Record<string, unknown>[];
  destinations: Record<string, unknown>[];
  ports: Record<string, unknown>[];
  rules: Record<string, unknown>[];
  evidence: Evidence;
}

/** What security groups and ACLs turned away: totals, top sources, destinations, ports, rules. */
export async function rejected(i: AnalysisInput, p: { limit?: number }): Promise<RejectedResult> {
  const limit = checkLimit(p.limit, 10);
  const rej: AnalysisInput = { ...i, filter: `${i.filter?.trim() ? `(${i.filter}) AND ` : ''}action:REJECT` };
  const f = filterOf(rej.filter);
  const sel = (cols: string) => `SELECT ${cols}, count(*) AS flows, sum(packets) AS total_packets GROUP BY ${cols} ORDER BY flows DESC, ${cols} LIMIT ${limit}`;
  const [tot, src, dst, ports, rules] = await Promise.all([
    run(rej, withFilter('SELECT count(*) AS flows, sum(packets) AS total_packets, sum(bytes) AS total_bytes', f)),
    run(rej, withFilter(sel('src_addr'), f)),
    run(rej, withFilter(sel('dst_addr'), f)),
    run(rej, withFilter(sel('protocol, dst_port'), f)),
    run(rej, withFilter(sel('rule_id'), f)),
  ]);
  const t = tot.rows[0] ?? [0, 0, 0];
  return {
    total: { flows: Number(t[0] ?? 0), packets: Number(t[1] ?? 0), bytes: Number(t[2] ?? 0) },
    sources: rowsAsObjects(src),
    destinations: rowsAsObjects(dst),
    ports: rowsAsObjects(ports),
    rules: rowsAsObjects(rules),
    evidence: { query: rej.filter!, from: i.range.from, to: i.range.to },
  };
}
