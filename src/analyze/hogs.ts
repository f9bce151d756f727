// Who is hogging bandwidth: interfaces sending or receiving more than their bandwidth cap (from
// the inventory), or far more than their own history for that hour of the week (the shared
// baselines, learned from the store over a look-back period before the range), with when it
// started, how long it lasted and the peers that took the traffic.

import { threshold, type Expectation, type FarAbove } from '../detect/baseline.js';
import { BaselineRegistry, type BaselineMetric } from '../detect/baselines.js';
import type { InventoryIndex } from '../inventory/inventory-index.js';
import { InputError } from '../util/errors.js';
import type { Evidence } from './analyses.js';
import { evidenceOf, num, queryRows, text, type AnswerInput } from './answer-query.js';

export interface HogOptions {
  /** Bucket the rates are measured over, seconds; default 60. */
  bucket?: number;
  /** Never a hog below this rate, bits/s; default 10 Mbit/s. */
  minBps?: number;
  /** Far above history: factor × the usual, and usual + sigmas × its deviation; defaults 5 and 6. */
  factor?: number;
  sigmas?: number;
  /** History learned before the range, days; default 7 (0: caps only). */
  lookbackDays?: number;
  limit?: number;
}

export interface HogPeer {
  addr: string;
  port: number;
  protocol: number;
  bytes: number;
  share: number;
}

export interface Hog {
  interface_id: string;
  instance_id: string;
  subnet_id: string;
  vpc_id: string;
  direction: 'egress' | 'ingress';
  bandwidth_mbps: number | null;
  reasons: Array<'over_cap' | 'above_history'>;
  peak_bps: number;
  /** Average over the buckets that were over. */
  avg_bps: number;
  /** Peak against the cap (1 = at the cap); null without a cap. */
  utilisation: number | null;
  /** What the interface usually does at that hour, bits/s; null without history. */
  usual_bps: number | null;
  /** Start of the first bucket over, end of the last. */
  started: number;
  ended: number;
  buckets_over: number;
  peers: HogPeer[];
  evidence: Evidence;
}

export interface HogsResult {
  from: number;
  to: number;
  bucket: number;
  /** Where the history came from, and how much there was. */
  history: { from: number; to: number; windows: number };
  hogs: Hog[];
  evidence: Evidence;
}

function metric(direction: 'egress' | 'ingress', ids: readonly string[]): BaselineMetric {
  return { name: `answers.interface.${direction}_bytes`, entityField: 'interface_id', filter: `direction:${direction} AND interface_id:(${ids.join(' OR ')})`, value: 'sum(bytes)' };
}

export async function hogs(i: AnswerInput & { inventory?: InventoryIndex }, opts: HogOptions = {}): Promise<HogsResult> {
  const W = opts.bucket ?? 60;
  const minBps = opts.minBps ?? 10e6;
  const limit = opts.limit ?? 20;
  const lookback = (opts.lookbackDays ?? 7) * 86400;
  if (!Number.isInteger(W) || W < 1) throw new InputError('bucket must be a whole number of seconds');
  const far: FarAbove = { factor: opts.factor ?? 5, sigmas: opts.sigmas ?? 6, peakFactor: 0, floor: (minBps * W) / 8 };
  // Only buckets above the floor can be a hog: the store drops the rest before they reach us.
  const select = `SELECT interface_id, direction, bucket(start, ${W}) AS t, sum(bytes) AS total_bytes, any_value(instance_id) AS instance, any_value(subnet_id) AS subnet, any_value(vpc_id) AS vpc GROUP BY interface_id, direction, t HAVING sum(bytes) >= ${Math.ceil((minBps * W) / 8)} ORDER BY t`;
  const rows = await queryRows(i, "interface_id:*?", select);
  const candidates = [...new Set(rows.map((r) => text(r.interface_id)))];
  const history = { from: i.range.from - lookback, to: i.range.from, windows: 0 };
  const reg = new BaselineRegistry({ minSamples: 30 });
  const sets = new Map<string, ReturnType<BaselineRegistry['get']>>();
  if (lookback > 0 && candidates.length > 0 && candidates.length <= 2000) {
    for (const dir of ['egress', 'ingress'] as const) {
      const m = metric(dir, candidates);
      history.windows = Math.max(history.windows, await reg.learnFromStore(i.store, m, W, history));
      sets.set(dir, reg.get(m, W));
    }
  }
  interface Acc extends Omit<Hog, 'peers' | 'evidence' | 'avg_bps'> {
    sum: number;
  }
  const found = new Map<string, Acc>();
  const e: Expectation = { mean: 0, std: 0, peak: 0, samples: 0, source: 'none' };
  for (const r of rows) {
    const id = text(r.interface_id);
    const direction = text(r.direction) === 'ingress' ? 'ingress' : 'egress';
    const t = num(r.t);
    const bytes = num(r.total_bytes);
    const bps = (bytes * 8) / W;
    const cap = i.inventory?.eni(id)?.bandwidthMbps;
    const reasons: Hog['reasons'] = [];
    if (cap !== undefined && bps > cap * 1e6) reasons.push('over_cap');
    const set = sets.get(direction);
    const ent = set?.lookup(id);
    let usual: number | null = null;
    if (set && ent !== undefined) {
      set.expected(ent, t, e);
      if (e.source !== 'none') {
        usual = (e.mean * 8) / W;
        if (bytes >= threshold(e, far)) reasons.push('above_history');
      }
    }
    if (reasons.length === 0) continue;
    const key = `${id}|${direction}`;
    let h = found.get(key);
    if (!h) {
      h = { interface_id: id, instance_id: text(r.instance), subnet_id: text(r.subnet), vpc_id: text(r.vpc), direction, bandwidth_mbps: cap ?? null, reasons: [], peak_bps: 0, utilisation: null, usual_bps: usual, started: t, ended: t + W, buckets_over: 0, sum: 0 };
      found.set(key, h);
    }
    for (const x of reasons) if (!h.reasons.includes(x)) h.reasons.push(x);
    h.buckets_over++;
    h.sum += bps;
    if (bps > h.peak_bps) {
      h.peak_bps = bps;
      h.usual_bps = usual;
    }
    h.ended = Math.max(h.ended, t + W);
    h.started = Math.min(h.started, t);
  }
  const ranked = [...found.values()].sort((a, b) => b.peak_bps - a.peak_bps || a.interface_id.localeCompare(b.interface_id)).slice(0, limit);
  const out: Hog[] = [];
  for (const { sum, ...h } of ranked) {
    const remote = h.direction === 'egress' ? 'dst' : 'src';
    const filter = `interface_id:${h.interface_id} AND direction:${h.direction}`;
    const peers = await queryRows(i, filter, `SELECT ${remote}_addr AS addr, ${remote}_port AS port, protocol, sum(bytes) AS total_bytes GROUP BY addr, port, protocol ORDER BY total_bytes DESC, addr LIMIT 10`, { from: h.started, to: h.ended });
    const total = peers.reduce((n, p) => n + num(p.total_bytes), 0);
    const all = await queryRows(i, filter, 'SELECT sum(bytes) AS total_bytes', { from: h.started, to: h.ended });
    const whole = num(all[0]?.total_bytes) || total;
    out.push({
      ...h,
      avg_bps: sum / h.buckets_over,
      utilisation: h.bandwidth_mbps ? h.peak_bps / (h.bandwidth_mbps * 1e6) : null,
      peers: peers.map((p) => ({ addr: text(p.addr), port: num(p.port), protocol: num(p.protocol), bytes: num(p.total_bytes), share: whole ? num(p.total_bytes) / whole : 0 })),
      evidence: evidenceOf(filter, undefined, { from: h.started, to: h.ended }),
    });
  }
  return { from: i.range.from, to: i.range.to, bucket: W, history, hogs: out, evidence: evidenceOf('interface_id:*?', select, i.range) };
}
