// The baselines every detector (and any analysis) shares: one BaselineSet per metric and
// window length, saved in the data directory so a restart keeps what was learned, and primed
// from the store's history when a set starts empty. A metric says which flows count, how they
// add up and which field names the entity, in the query language, so priming runs the same
// definition on any store.

import fs from 'node:fs';
import path from 'node:path';
import { parseQuery } from '../query/index.js';
import { compilerFor } from '../store/compile.js';
import type { FlowStore } from '../store/store.js';
import { writeFileDurable } from '../util/durable.js';
import { BaselineSet, type BaselineOptions, type SerializedBaselineSet } from './baseline.js';

export type EntityField = 'interface_id' | 'subnet_id' | 'vpc_id' | 'account_id' | 'dst_port' | 'src_port' | 'protocol';

export interface BaselineMetric {
  /** Stable name, e.g. `interface.egress_bytes`. */
  name: string;
  entityField: EntityField;
  /** Which flows count: a filter in the query language ('' for all). */
  filter: string;
  /** How they add up per window: `sum(bytes)`, `sum(packets)` or `count(*)`. */
  value: 'sum(bytes)' | 'sum(packets)' | 'count(*)';
}

const FILE_FORMAT = 'flowlogs-baselines';

export class BaselineRegistry {
  private readonly sets = new Map<string, BaselineSet>();
  private readonly metrics = new Map<string, BaselineMetric>();
  private pending = new Map<string, SerializedBaselineSet>();

  constructor(private readonly defaults: Omit<BaselineOptions, 'windowSeconds'> = {}) {}

  static setKey(metric: BaselineMetric, windowSeconds: number): string {
    return `${metric.name}@${windowSeconds}`;
  }

  /** The set for a metric at a window length, created (or restored from the loaded file) on first use. */
  get(metric: BaselineMetric, windowSeconds: number): BaselineSet {
    const key = BaselineRegistry.setKey(metric, windowSeconds);
    let s = this.sets.get(key);
    if (!s) {
      s = new BaselineSet(key, { ...this.defaults, windowSeconds });
      const saved = this.pending.get(key);
      if (saved) {
        s.load(saved);
        this.pending.delete(key);
      }
      this.sets.set(key, s);
      this.metrics.set(key, metric);
    }
    return s;
  }

  entries(): { key: string; metric: BaselineMetric; set: BaselineSet }[] {
    return [...this.sets].map(([key, set]) => ({ key, set, metric: this.metrics.get(key)! }));
  }

  get bytes(): number {
    let n = 0;
    for (const s of this.sets.values()) n += s.bytes;
    return n;
  }

  /** Reads a file written by save(); sets are restored when first asked for. Missing file: nothing. */
  load(file: string): void {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      return;
    }
    try {
      const d = JSON.parse(text) as { format: string; sets: SerializedBaselineSet[] };
      if (d.format !== FILE_FORMAT || !Array.isArray(d.sets)) return;
      for (const s of d.sets) {
        const live = this.sets.get(s.name);
        if (live) live.load(s);
        else this.pending.set(s.name, s);
      }
    } catch {
      // A damaged file only costs relearning; the detectors fall back to their fixed thresholds meanwhile.
    }
  }

  async save(file: string): Promise<void> {
    const sets = [...this.sets.values()].filter((s) => s.size > 0).map((s) => s.toJSON());
    for (const [, s] of this.pending) sets.push(s);
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    await writeFileDurable(file, JSON.stringify({ format: FILE_FORMAT, saved: new Date().toISOString(), sets }) + '\n');
  }

  /**
   * Learns one set from stored flows in [from, to): one sample per entity per window, zeros for
   * windows where an entity known to the set (or seen earlier in the range) had no flows.
   * Returns the number of windows learned.
   */
  async learnFromStore(store: FlowStore, metric: BaselineMetric, windowSeconds: number, range: { from: number; to: number }): Promise<number> {
    const set = this.get(metric, windowSeconds);
    const W = windowSeconds;
    const from = Math.ceil(range.from / W) * W;
    const to = Math.floor(range.to / W) * W;
    if (to <= from) return 0;
    const text = `${metric.filter} | SELECT ${metric.entityField} AS entity, bucket(start, ${W}) AS w, ${metric.value} AS v GROUP BY entity, w ORDER BY w`;
    const compiled = compilerFor(store.dialect)(parseQuery(text));
    const res = await store.sql(compiled.sql, { from, to });
    const byWindow = new Map<number, Map<number, number>>();
    for (const [entity, w, v] of res.rows) {
      const id = set.entity(String(entity ?? ''));
      if (id < 0) continue;
      const t = Number(w);
      let m = byWindow.get(t);
      if (!m) byWindow.set(t, (m = new Map()));
      m.set(id, Number(v));
    }
    if (byWindow.size === 0) return 0;
    const first = Math.min(...byWindow.keys());
    let windows = 0;
    for (let t = first; t < to; t += W) {
      const m = byWindow.get(t);
      set.observeWindow(t, (e) => m?.get(e) ?? 0);
      windows++;
    }
    return windows;
  }
}
