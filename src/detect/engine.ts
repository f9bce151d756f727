// The detection engine: a pipeline consumer that runs one detector instance per rule over every
// stored batch. Time is record time: each window length in use has a clock that opens the
// window of the earliest record seen and moves forward when records of a later window arrive,
// closing the windows it passes (empty ones too, so baselines see quiet periods). Records of
// windows already closed fold into the open one. A batch spanning several windows is split so
// each part is read in its own window; the same input therefore raises the same findings
// whether it is replayed from a file or arrives live.

import type { InventoryIndex } from '../inventory/inventory-index.js';
import type { IntelIndex } from '../intel/intel-index.js';
import type { MetricsRegistry, Series } from '../metrics/registry.js';
import type { Consumer } from '../pipeline/pipeline.js';
import { parseFilter } from '../query/index.js';
import type { FlowBatch } from '../schema/batch.js';
import type { FlowStore } from '../store/store.js';
import { InputError, errorMessage } from '../util/errors.js';
import { silentLogger, type Logger } from '../util/log.js';
import { BaselineRegistry, type BaselineMetric } from './baselines.js';
import type { BatchFacts, Detector, DetectorEnv, WindowInfo } from './detector.js';
import { hashAddresses } from './hash.js';
import type { Finding, Severity } from './finding.js';
import { InsideRanges, failedAttempt } from './flow-traits.js';
import { DETECTORS } from './registry.js';
import { compileRowFilter, type BatchFilter } from './row-filter.js';

/** One detector configured by a rule (built-in, from the config file or from the API). */
export interface DetectorRule {
  id: string;
  detector: string;
  enabled: boolean;
  /** Overrides the detector's own severity. */
  severity?: Severity;
  /** Window length, seconds. */
  window_s: number;
  /** Only flows matching this filter (query language); empty: all. */
  scope?: string;
  /** The detector's parameters (thresholds); missing ones take their defaults. */
  params?: Record<string, unknown>;
}

/** Where findings go: taken synchronously while a batch is read, then flushed once per batch. */
export interface FindingSink {
  accept(f: Finding): void;
  flush(): Promise<void>;
}

export interface DetectionOptions {
  /** The inventory, or where to read the current one from (it may change while running). */
  inventory?: InventoryIndex | { get(): InventoryIndex | undefined };
  intel?: () => IntelIndex | undefined;
  baselines?: BaselineRegistry;
  metrics?: MetricsRegistry;
  log?: Logger;
  /** Empty windows closed at most when the clock jumps (beyond, baselines see a gap). */
  maxGapWindows?: number;
  /**
   * Live input: records stamped more than this many seconds after the wall clock are read
   * into the open window instead of moving the clock (a broken exporter clock must not close
   * every window for a year). Unset for files, whose times may be anything.
   */
  maxFutureSeconds?: number;
}

interface Instance {
  rule: DetectorRule;
  /** The rule as configured, to tell whether a new rule set changes it. */
  signature: string;
  detector: Detector;
  scope?: BatchFilter;
  params: unknown;
  failed: boolean;
}

interface Clock {
  seconds: number;
  /** Open window number, -1 before the first record. */
  cur: number;
  /** Earliest record start read into the open window. */
  from: number;
  instances: Instance[];
}

/** Checks a rule against its detector's parameter schema; throws InputError naming the rule. */
export function validateRule(rule: DetectorRule): { params: unknown; scope?: BatchFilter } {
  const def = DETECTORS.get(rule.detector);
  if (!def) throw new InputError(`rule '${rule.id}': unknown detector '${rule.detector}' (known: ${[...DETECTORS.keys()].join(', ')})`);
  if (!Number.isInteger(rule.window_s) || rule.window_s < 1 || rule.window_s > 3600) throw new InputError(`rule '${rule.id}': window_s must be a whole number of seconds from 1 to 3600`);
  const r = def.params.safeParse(rule.params ?? {});
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new InputError(`rule '${rule.id}': ${[...issue.path.map(String)].join('.') || 'params'}: ${issue.message}`);
  }
  let scope: BatchFilter | undefined;
  if (rule.scope && rule.scope.trim() !== '') {
    try {
      scope = compileRowFilter(parseFilter(rule.scope));
    } catch (e) {
      throw new InputError(`rule '${rule.id}': scope: ${errorMessage(e)}`);
    }
  }
  return { params: r.data, scope };
}

export class DetectionEngine implements Consumer {
  readonly name = 'detectors';
  readonly baselines: BaselineRegistry;
  private clocks: Clock[] = [];
  private readonly inside = new InsideRanges();
  private readonly inventory: () => InventoryIndex | undefined;
  private insideFrom?: InventoryIndex;
  private readonly log: Logger;
  private winRows = new Float64Array(0);
  private order = new Uint32Array(0);
  private scoped = new Uint32Array(0);
  private facts: BatchFacts = { srcA: new Uint32Array(0), srcB: new Uint32Array(0), dstA: new Uint32Array(0), dstB: new Uint32Array(0), failed: new Uint8Array(0) };
  /** 0, 1, 2 … : the row list of a batch read whole. */
  private identity = new Uint32Array(0);
  private readonly rowsRead?: Series;
  private readonly lateRows?: Series;
  private readonly futureRows?: Series;
  /** When the last batch arrived (wall clock, ms), for closing windows on a quiet input. */
  lastBatchAt = 0;

  constructor(
    rules: readonly DetectorRule[],
    private readonly sink: FindingSink,
    private readonly opts: DetectionOptions = {},
  ) {
    this.log = opts.log ?? silentLogger;
    this.baselines = opts.baselines ?? new BaselineRegistry();
    const inv = opts.inventory;
    this.inventory = inv === undefined ? () => undefined : 'get' in inv && typeof inv.get === 'function' ? () => inv.get() : () => inv as InventoryIndex;
    this.refreshInside();
    const m = opts.metrics;
    if (m) {
      this.rowsRead = m.counter('flowlogs_detector_records_total', 'Flow records read by the detectors').with({});
      this.lateRows = m.counter('flowlogs_detector_late_records_total', 'Records that arrived after their window closed (read into the open window)').with({});
      this.futureRows = m.counter('flowlogs_detector_future_records_total', 'Records stamped too far after the wall clock (read into the open window)').with({});
      const state = m.gauge('flowlogs_detector_state_bytes', 'Memory held by each rule\'s detector state');
      m.onCollect(() => {
        for (const c of this.clocks) for (const i of c.instances) state.set({ rule: i.rule.id }, i.detector.stateBytes());
      });
    }
    this.setRules(rules);
  }

  /** The rules in force; unchanged rules keep their state, changed or new ones start fresh. */
  setRules(rules: readonly DetectorRule[]): void {
    const old = new Map<string, Instance>();
    for (const c of this.clocks) for (const i of c.instances) old.set(i.signature, i);
    const clocks = new Map<number, Clock>(this.clocks.map((c) => [c.seconds, { ...c, instances: [] }]));
    for (const rule of rules) {
      if (!rule.enabled) continue;
      const signature = JSON.stringify([rule.id, rule.detector, rule.severity, rule.window_s, rule.scope ?? '', rule.params ?? {}]);
      let inst = old.get(signature);
      if (!inst) {
        const { params, scope } = validateRule(rule);
        const env = this.env(rule);
        inst = { rule, signature, detector: DETECTORS.get(rule.detector)!.create(params, env), scope, params, failed: false };
      }
      let c = clocks.get(rule.window_s);
      if (!c) clocks.set(rule.window_s, (c = { seconds: rule.window_s, cur: -1, from: Infinity, instances: [] }));
      c.instances.push(inst);
    }
    this.clocks = [...clocks.values()].filter((c) => c.instances.length > 0);
  }

  /** VPC blocks count as inside; follow the inventory when it is replaced. */
  private refreshInside(): void {
    const inv = this.inventory();
    if (inv === this.insideFrom) return;
    this.insideFrom = inv;
    this.inside.set(inv?.vpcs.flatMap((v) => v.ranges) ?? []);
  }

  private env(rule: DetectorRule): DetectorEnv {
    const counter = this.opts.metrics?.counter('flowlogs_findings_total', 'Findings reported, by rule and detector').with({ rule: rule.id, detector: rule.detector });
    return {
      rule: rule.id,
      severity: rule.severity,
      windowSeconds: rule.window_s,
      inventory: this.inventory,
      intel: this.opts.intel ?? (() => undefined),
      baselines: this.baselines,
      inside: this.inside,
      emit: (f) => {
        if (!f.refresh) counter?.inc();
        this.sink.accept(f);
      },
    };
  }

  /** Rules running now. */
  get rules(): DetectorRule[] {
    return this.clocks.flatMap((c) => c.instances.map((i) => i.rule));
  }

  async consume(batch: FlowBatch): Promise<void> {
    this.lastBatchAt = Date.now();
    if (batch.length === 0) return;
    this.rowsRead?.inc(batch.length);
    this.refreshInside();
    this.learnFacts(batch);
    for (const c of this.clocks) this.read(c, batch);
    await this.sink.flush();
  }

  /** Closes every open window (end of a file, or a quiet live input) and reports what they hold. */
  async flush(): Promise<void> {
    for (const c of this.clocks) {
      if (c.cur < 0) continue;
      this.close(c, c.cur);
      c.cur = -1;
      c.from = Infinity;
    }
    await this.sink.flush();
  }

  /**
   * Learns every baseline the rules use from the store's flows of the last `days` days before
   * `now`, for sets that have nothing yet. Returns the windows learned per set.
   */
  async learn(store: FlowStore, now: number, days: number): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    const wanted = new Map<string, { metric: BaselineMetric; seconds: number }>();
    for (const c of this.clocks) {
      for (const i of c.instances) {
        const metrics = DETECTORS.get(i.rule.detector)!.baselines?.(i.params) ?? [];
        for (const m of metrics) wanted.set(BaselineRegistry.setKey(m, c.seconds), { metric: m, seconds: c.seconds });
      }
    }
    for (const [key, { metric, seconds }] of wanted) {
      if (this.baselines.get(metric, seconds).size > 0) continue;
      try {
        out[key] = await this.baselines.learnFromStore(store, metric, seconds, { from: now - days * 86400, to: now });
      } catch (e) {
        this.log.warn({ err: errorMessage(e), baseline: key }, 'could not learn a baseline from stored flows');
      }
    }
    return out;
  }

  stateBytes(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const c of this.clocks) for (const i of c.instances) out[i.rule.id] = i.detector.stateBytes();
    out['(baselines)'] = this.baselines.bytes;
    return out;
  }

  private learnFacts(batch: FlowBatch): void {
    const n = batch.length;
    let h = this.facts;
    if (h.srcA.length < n) {
      const cap = batch.capacity;
      h = this.facts = { srcA: new Uint32Array(cap), srcB: new Uint32Array(cap), dstA: new Uint32Array(cap), dstB: new Uint32Array(cap), failed: new Uint8Array(cap) };
      this.identity = Uint32Array.from({ length: cap }, (_, i) => i);
    }
    const c = batch.cols;
    hashAddresses(c.src_addr, n, h.srcA, h.srcB);
    hashAddresses(c.dst_addr, n, h.dstA, h.dstB);
    const failed = h.failed;
    for (let r = 0; r < n; r++) failed[r] = failedAttempt(c, r) ? 1 : 0;
  }

  private win(c: Clock, index: number): WindowInfo {
    const start = index * c.seconds;
    return { index, start, end: start + c.seconds, seconds: c.seconds, from: Math.min(start, c.from) };
  }

  private close(c: Clock, index: number): void {
    const w = this.win(c, index);
    for (const i of c.instances) {
      try {
        i.detector.closeWindow(w);
      } catch (e) {
        this.fail(i, e);
      }
    }
  }

  private fail(i: Instance, e: unknown): void {
    if (!i.failed) this.log.error({ err: e, rule: i.rule.id }, 'detector failed on a batch; it keeps running on the next ones');
    i.failed = true;
  }

  /** Moves the clock to window `to`, closing the open one and the empty ones in between. */
  private advance(c: Clock, to: number): void {
    this.close(c, c.cur);
    const gap = to - c.cur - 1;
    const max = this.opts.maxGapWindows ?? 10080;
    for (let k = c.cur + 1; k < to && k - c.cur <= max; k++) {
      c.from = Infinity;
      this.close(c, k);
    }
    if (gap > max) this.log.debug({ windows: gap }, 'detector clock jumped; baselines skip the gap');
    c.cur = to;
    c.from = Infinity;
  }

  private observe(c: Clock, batch: FlowBatch, rows: Uint32Array, n: number, minStart: number): void {
    if (n === 0) return;
    if (minStart < c.from) c.from = minStart;
    const w = this.win(c, c.cur);
    for (const i of c.instances) {
      let list = rows;
      let count = n;
      if (i.scope) {
        const test = i.scope(batch);
        if (this.scoped.length < n) this.scoped = new Uint32Array(batch.capacity);
        count = 0;
        for (let k = 0; k < n; k++) if (test(rows[k])) this.scoped[count++] = rows[k];
        list = this.scoped;
      }
      try {
        i.detector.observe(batch, list, count, w, this.facts);
      } catch (e) {
        this.fail(i, e);
      }
    }
  }

  private read(c: Clock, batch: FlowBatch): void {
    const n = batch.length;
    const starts = batch.cols.start;
    const W = c.seconds;
    if (this.winRows.length < n) {
      this.winRows = new Float64Array(batch.capacity);
      this.order = new Uint32Array(batch.capacity);
    }
    // Most batches hold one aggregation window: then every row goes to the same window.
    const s0 = starts[0];
    let same = true;
    for (let r = 1; r < n && same; r++) same = starts[r] === s0;
    const future = this.opts.maxFutureSeconds;
    const lastW = future === undefined ? Infinity : Math.floor((Date.now() / 1000 + future) / W);
    if (same) {
      let w = Math.floor(s0 / W);
      if (w > lastW) {
        this.futureRows?.inc(n);
        w = c.cur >= 0 ? c.cur : lastW;
      }
      if (c.cur < 0) c.cur = w;
      if (w < c.cur) this.lateRows?.inc(n);
      else if (w > c.cur) this.advance(c, w);
      this.observe(c, batch, this.identity, n, s0);
      return;
    }
    const wr = this.winRows;
    let minW = Infinity;
    let maxW = -Infinity;
    let minStart = Infinity;
    let ahead = 0;
    for (let r = 0; r < n; r++) {
      const s = starts[r];
      let w = Math.floor(s / W);
      if (w > lastW) {
        // Folded into the open window (or the batch's first one when none is open yet).
        w = c.cur >= 0 ? c.cur : lastW;
        ahead++;
      }
      wr[r] = w;
      if (w < minW) minW = w;
      if (w > maxW) maxW = w;
      if (s < minStart) minStart = s;
    }
    if (ahead > 0) this.futureRows?.inc(ahead);
    if (c.cur < 0) c.cur = minW;
    if (minW < c.cur) {
      let late = 0;
      for (let r = 0; r < n; r++) if (wr[r] < c.cur) late++;
      this.lateRows?.inc(late);
    }
    const order = this.order;
    if (maxW <= c.cur) {
      this.observe(c, batch, this.identity, n, minStart);
      return;
    }
    // Rows of the open (or earlier) window first, then each later window in turn.
    const counts = new Map<number, number>();
    let early = 0;
    for (let r = 0; r < n; r++) {
      const w = wr[r];
      if (w <= c.cur) early++;
      else counts.set(w, (counts.get(w) ?? 0) + 1);
    }
    const windows = [...counts.keys()].sort((a, b) => a - b);
    const offset = new Map<number, number>();
    let at = early;
    for (const w of windows) {
      offset.set(w, at);
      at += counts.get(w)!;
    }
    let e = 0;
    let earlyMin = Infinity;
    const mins = new Map<number, number>();
    for (let r = 0; r < n; r++) {
      const w = wr[r];
      const s = starts[r];
      if (w <= c.cur) {
        order[e++] = r;
        if (s < earlyMin) earlyMin = s;
      } else {
        const o = offset.get(w)!;
        order[o] = r;
        offset.set(w, o + 1);
        if (s < (mins.get(w) ?? Infinity)) mins.set(w, s);
      }
    }
    this.observe(c, batch, order, early, earlyMin);
    let from = early;
    for (const w of windows) {
      const k = counts.get(w)!;
      this.advance(c, w);
      this.observe(c, batch, order.subarray(from, from + k), k, mins.get(w)!);
      from += k;
    }
  }
}
