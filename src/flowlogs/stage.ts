// Where flow logs act: a pipeline stage. Sources produce per-interface records that belong to
// no flow log yet; for every record whose interface an enabled flow log covers, the stage
// makes one record per covering flow log, keeps only the traffic that flow log wants, and sums
// it into that flow log's aggregation window (aligned to the clock). A window leaves the stage
// once it is closed (its end plus a lateness allowance has passed), together with NODATA
// records for the covered interfaces that had no traffic in it. Records no flow log covers
// pass on unchanged (or are dropped when configured so).
//
// Emission is driven from outside: `flushDue(now)` hands over the closed windows (a timer
// pushes them into the pipeline, where this stage lets its own batches through) and
// `flushAll()` empties everything at shutdown. The rows held are bounded by `maxRows`; past
// it the oldest windows leave early, counted.

import type { InventoryIndex } from '../inventory/inventory-index.js';
import type { InventorySource } from '../inventory/current-inventory.js';
import type { Eni } from '../inventory/model.js';
import type { MetricsRegistry, Series } from '../metrics/registry.js';
import type { Stage } from '../pipeline/pipeline.js';
import { FlowBatch } from '../schema/batch.js';
import type { FlowLog } from './flow-log.js';
import type { FlowLogSource } from './registry.js';
import { copyRowList } from './select-rows.js';
import { WindowState } from './window-state.js';

const STATUS_OK = 0;
const STATUS_NODATA = 1;
const ACTION_ACCEPT = 0;
/** Record version of NODATA rows: the clouds' default (v2) format, whose fields they fill. */
const NODATA_VERSION = 2;
/** Windows of NODATA caught up after the process was held up (a suspended laptop), at most. */
const MAX_CATCH_UP_WINDOWS = 60;

const EMPTY = new FlowBatch(1, { shared: false });

export interface FlowLogStageOptions {
  flowLogs: FlowLogSource;
  inventory: InventorySource;
  /** Keep records no flow log covers (default true); false drops them, as the clouds do. */
  keepUncovered?: boolean;
  /** Aggregated rows held across open windows before the oldest are emitted early. */
  maxRows?: number;
  /** How long after a window's end records for it are still waited for. */
  latenessMs?: number;
  metrics?: MetricsRegistry;
  /** Clock in unix ms (tests drive it). */
  now?: () => number;
}

/** One flow log's open windows; survives edits of the flow log. */
interface Track {
  readonly id: string;
  windows: Map<number, WindowState>;
  window: number;
  /** Start of the next window whose NODATA records are due. */
  nodataNext: number;
  active: boolean;
}

interface ActiveLog {
  readonly log: FlowLog;
  readonly accept: boolean;
  readonly reject: boolean;
  readonly track: Track;
  /** Interfaces that get NODATA records: the inventory's ENIs in scope, or the ENI named by the scope. */
  readonly covered: readonly string[];
}

interface Plan {
  readonly logs: readonly ActiveLog[];
  readonly inventory: InventoryIndex | undefined;
  /** Interface id → indices into logs. */
  readonly byInterface: Map<string, number[]>;
  /** For interfaces the inventory does not know: the record's own subnet_id / vpc_id. */
  readonly bySubnet: Map<string, number[]>;
  readonly byVpc: Map<string, number[]>;
}

function push(map: Map<string, number[]>, key: string, v: number): void {
  const l = map.get(key);
  if (l) l.push(v);
  else map.set(key, [v]);
}

export class FlowLogStage implements Stage {
  readonly name = 'flow logs';
  private readonly keepUncovered: boolean;
  private readonly maxRows: number;
  private readonly latenessMs: number;
  private readonly now: () => number;
  private readonly tracks = new Map<string, Track>();
  private plan_: Plan | undefined;
  private rows = 0;
  private readonly own = new WeakSet<FlowBatch>();
  private seen = new Int32Array(16);
  private visit = 0;
  private passRows = new Int32Array(1024);
  private readonly emitted = new Map<string, Series>();
  private readonly earlyFlushes?: Series;
  private readonly metrics?: MetricsRegistry;

  constructor(private readonly opts: FlowLogStageOptions) {
    this.keepUncovered = opts.keepUncovered ?? true;
    this.maxRows = opts.maxRows ?? 500_000;
    this.latenessMs = opts.latenessMs ?? 2000;
    this.now = opts.now ?? Date.now;
    this.metrics = opts.metrics;
    opts.flowLogs.onChange(() => (this.plan_ = undefined));
    opts.inventory.onChange(() => (this.plan_ = undefined));
    if (opts.metrics) {
      this.earlyFlushes = opts.metrics.counter('flowlogs_flowlog_early_flushes_total', 'Flow-log windows emitted before they closed because the stage held its maximum of rows').with();
      const open = opts.metrics.gauge('flowlogs_flowlog_open_rows', 'Aggregated flow-log rows held in open windows');
      opts.metrics.onCollect(() => open.set({}, this.rows));
    }
  }

  /** Rows held in open windows. */
  get openRows(): number {
    return this.rows;
  }

  /** Whether a batch came from this stage (it passes through untouched). */
  isOwn(batch: FlowBatch): boolean {
    return this.own.has(batch);
  }

  private plan(): Plan {
    if (this.plan_) return this.plan_;
    const inventory = this.opts.inventory.get();
    const nowMs = this.now();
    const logs: ActiveLog[] = [];
    const byInterface = new Map<string, number[]>();
    const bySubnet = new Map<string, number[]>();
    const byVpc = new Map<string, number[]>();
    for (const t of this.tracks.values()) t.active = false;
    for (const log of this.opts.flowLogs.list()) {
      if (!log.enabled) continue;
      const w = log.window_seconds;
      let track = this.tracks.get(log.id);
      if (!track || track.window !== w) {
        // A new window length starts with the next aligned window; windows already open keep theirs.
        const windows = track?.windows ?? new Map<number, WindowState>();
        track = { id: log.id, windows, window: w, nodataNext: Math.ceil(nowMs / (w * 1000)) * w, active: true };
        this.tracks.set(log.id, track);
      }
      track.active = true;
      const k = logs.length;
      let enis: readonly Eni[] = [];
      if (inventory) {
        if (log.scope_type === 'vpc') enis = inventory.vpc(log.scope_id)?.enis ?? [];
        else if (log.scope_type === 'subnet') enis = inventory.subnet(log.scope_id)?.enis ?? [];
        else {
          const e = inventory.eni(log.scope_id);
          enis = e ? [e] : [];
        }
      }
      const covered = enis.map((e) => e.id);
      if (log.scope_type === 'eni' && covered.length === 0) covered.push(log.scope_id);
      for (const id of covered) push(byInterface, id, k);
      if (log.scope_type === 'subnet') push(bySubnet, log.scope_id, k);
      if (log.scope_type === 'vpc') push(byVpc, log.scope_id, k);
      logs.push({ log, accept: log.traffic_type !== 'REJECT', reject: log.traffic_type !== 'ACCEPT', track, covered });
    }
    if (this.seen.length < logs.length) this.seen = new Int32Array(logs.length * 2);
    this.plan_ = { logs, inventory, byInterface, bySubnet, byVpc };
    return this.plan_;
  }

  process(batch: FlowBatch): FlowBatch | void {
    if (this.own.has(batch)) return;
    const plan = this.plan();
    const n = batch.length;
    if (plan.logs.length === 0 && this.keepUncovered) return;
    const c = batch.cols;
    const flowLogCodes = c.flow_log_id.codes;
    const ifaceCodes = c.interface_id.codes;
    const ifaceNames = c.interface_id.dict.values;
    const subnetCodes = c.subnet_id.codes;
    const vpcCodes = c.vpc_id.codes;
    // Per dictionary code, resolved once per batch.
    const ifaceLogs: (number[] | undefined)[] = new Array(ifaceNames.length);
    const ifaceEni: (Eni | undefined)[] = new Array(ifaceNames.length);
    const ifaceKnown = new Uint8Array(ifaceNames.length);
    for (let code = 1; code < ifaceNames.length; code++) {
      const name = ifaceNames[code];
      ifaceLogs[code] = plan.byInterface.get(name);
      const e = plan.inventory?.eni(name);
      ifaceEni[code] = e;
      ifaceKnown[code] = e || plan.byInterface.has(name) ? 1 : 0;
    }
    const subnetLogs = plan.bySubnet.size ? c.subnet_id.dict.values.map((s) => plan.bySubnet.get(s)) : undefined;
    const vpcLogs = plan.byVpc.size ? c.vpc_id.dict.values.map((s) => plan.byVpc.get(s)) : undefined;

    if (this.passRows.length < n) this.passRows = new Int32Array(Math.max(n, this.passRows.length * 2));
    const pass = this.passRows;
    let passed = 0;
    const seen = this.seen;
    for (let r = 0; r < n; r++) {
      if (flowLogCodes[r] !== 0) {
        pass[passed++] = r;
        continue;
      }
      const ic = ifaceCodes[r];
      let covered = false;
      if (ic !== 0) {
        const stamp = ++this.visit;
        const direct = ifaceLogs[ic];
        if (direct) {
          for (let k = 0; k < direct.length; k++) {
            seen[direct[k]] = stamp;
            this.route(plan, batch, r, direct[k], ifaceEni[ic]);
          }
          covered = true;
        }
        if (ifaceKnown[ic] === 0) {
          const bySubnet = subnetLogs?.[subnetCodes[r]];
          const byVpc = vpcLogs?.[vpcCodes[r]];
          if (bySubnet)
            for (let k = 0; k < bySubnet.length; k++) {
              if (seen[bySubnet[k]] === stamp) continue;
              seen[bySubnet[k]] = stamp;
              this.route(plan, batch, r, bySubnet[k], undefined);
              covered = true;
            }
          if (byVpc)
            for (let k = 0; k < byVpc.length; k++) {
              if (seen[byVpc[k]] === stamp) continue;
              seen[byVpc[k]] = stamp;
              this.route(plan, batch, r, byVpc[k], undefined);
              covered = true;
            }
        }
      }
      if (!covered && this.keepUncovered) pass[passed++] = r;
    }

    let early: FlowBatch[] = [];
    if (this.rows > this.maxRows) early = this.shed();
    if (early.length === 0) {
      if (passed === n) return;
      return passed === 0 ? EMPTY : copyRowList(batch, pass, passed);
    }
    const extra = early.reduce((s, b) => s + b.length, 0);
    const out = passed > 0 ? copyRowList(batch, pass, passed, extra) : new FlowBatch(extra);
    for (const b of early) out.appendRows(b);
    return out;
  }

  private route(plan: Plan, batch: FlowBatch, r: number, k: number, eni: Eni | undefined): void {
    const a = plan.logs[k];
    const c = batch.cols;
    const status = c.log_status[r];
    if (status === STATUS_OK && !(c.action[r] === ACTION_ACCEPT ? a.accept : a.reject)) return;
    const first = c.first_ms[r];
    const t = first > 0 ? Math.floor(first / 1000) : c.start[r];
    const w = a.track.window;
    const ws = t - (t % w);
    let st = a.track.windows.get(ws);
    if (!st) {
      st = new WindowState(a.log.id, ws, ws + w);
      a.track.windows.set(ws, st);
    }
    // A source's NODATA becomes the flow log's only if the interface has no traffic in its window.
    if (status === STATUS_NODATA) st.noteNoData(c.interface_id.dict.values[c.interface_id.codes[r]], eni);
    else this.rows += st.add(batch, r, eni);
  }

  private mark(st: WindowState, flowLogId: string, out: FlowBatch[]): void {
    st.finish(NODATA_VERSION);
    const b = st.batch;
    if (b.length === 0) return;
    this.own.add(b);
    out.push(b);
    if (this.metrics) {
      let s = this.emitted.get(flowLogId);
      if (!s) {
        s = this.metrics.counter('flowlogs_flowlog_records_total', 'Records emitted by each flow log (NODATA included)').with({ flow_log_id: flowLogId });
        this.emitted.set(flowLogId, s);
      }
      s.inc(b.length);
    }
  }

  private take(track: Track, ws: number, st: WindowState, out: FlowBatch[]): void {
    track.windows.delete(ws);
    this.rows -= st.rows;
    this.mark(st, track.id, out);
  }

  /**
   * The windows that are closed at `now` (unix ms), with the NODATA records of the covered
   * interfaces that had no traffic in them. Each returned batch passes through this stage.
   */
  flushDue(now = this.now()): FlowBatch[] {
    const plan = this.plan();
    const out: FlowBatch[] = [];
    const late = this.latenessMs;
    for (const a of plan.logs) {
      const t = a.track;
      const w = t.window;
      const behind = Math.floor((now - late) / 1000 / w) * w - MAX_CATCH_UP_WINDOWS * w;
      if (t.nodataNext < behind) t.nodataNext = behind;
      while ((t.nodataNext + w) * 1000 + late <= now) {
        const ws = t.nodataNext;
        t.nodataNext += w;
        let st = t.windows.get(ws);
        if (!st) {
          if (a.covered.length === 0) continue;
          st = new WindowState(t.id, ws, ws + w, Math.max(1, a.covered.length));
        } else {
          t.windows.delete(ws);
          this.rows -= st.rows;
        }
        for (const iface of a.covered) if (!st.interfaces.has(iface)) st.addNoData(iface, plan.inventory?.eni(iface), NODATA_VERSION);
        this.mark(st, t.id, out);
      }
    }
    for (const t of this.tracks.values()) {
      for (const [ws, st] of t.windows) if (!t.active || st.end * 1000 + late <= now) this.take(t, ws, st, out);
      if (!t.active && t.windows.size === 0) this.tracks.delete(t.id);
    }
    return out;
  }

  /** Every open window as it stands (shutdown); no NODATA for windows not yet closed. */
  flushAll(): FlowBatch[] {
    const out: FlowBatch[] = [];
    for (const t of this.tracks.values()) for (const [ws, st] of t.windows) this.take(t, ws, st, out);
    return out;
  }

  /** Past maxRows: closed windows first, then the oldest open ones until below half the cap. */
  private shed(): FlowBatch[] {
    const out = this.flushDue();
    if (this.rows <= this.maxRows) return out;
    const open: Array<{ t: Track; ws: number; st: WindowState }> = [];
    for (const t of this.tracks.values()) for (const [ws, st] of t.windows) open.push({ t, ws, st });
    open.sort((x, y) => x.ws - y.ws);
    for (const { t, ws, st } of open) {
      if (this.rows <= this.maxRows / 2) break;
      this.take(t, ws, st, out);
      this.earlyFlushes?.inc();
    }
    return out;
  }
}
