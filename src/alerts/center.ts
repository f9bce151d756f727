// The alert center: takes the detectors' findings, folds them into alerts (one per rule and
// key while it is open or acknowledged and keeps recurring), keeps the alerts durable in the
// data directory, moves them through open → acknowledged → resolved, and hands new and
// worsened alerts to the notifiers. Findings are taken synchronously while a batch is read;
// `flush` then writes the changed alerts in one fsynced append and starts the notifications
// (which never hold up the pipeline).

import { mergeEntities, severityRank, type Finding } from '../detect/finding.js';
import type { FindingSink } from '../detect/engine.js';
import type { Metric, MetricsRegistry, Series } from '../metrics/registry.js';
import { InputError } from '../util/errors.js';
import { silentLogger, type Logger } from '../util/log.js';
import { alertId, byRecency, matches, type Alert, type AlertFilter, type AlertStatus } from './alert.js';
import { AlertLog, applyStatus, type StatusChange } from './alert-log.js';

export type AlertEvent = 'opened' | 'escalated' | 'acknowledged' | 'resolved';

/** Receives alert events once they are durable (the notifiers). */
export interface AlertListener {
  onAlert(event: AlertEvent, alert: Alert): void;
}

export interface AlertCenterOptions {
  /** A finding more than this many seconds (record time) after an alert's last window opens a new alert. */
  mergeGapSeconds?: number;
  /** Resolve alerts quiet for this many seconds of record time (0: never). */
  autoResolveSeconds?: number;
  /** Resolved alerts older than this many days are dropped when the file is compacted. */
  keepResolvedDays?: number;
  /** Open alerts one rule may hold; findings about new keys beyond it are counted and dropped. */
  maxActivePerRule?: number;
  metrics?: MetricsRegistry;
  log?: Logger;
  /** Wall clock (tests). */
  now?: () => Date;
}

const MAX_IN_MEMORY = 200_000;

export class AlertCenter implements FindingSink {
  private readonly alerts: Map<string, Alert>;
  /** Open or acknowledged alert by rule and key. */
  private readonly active = new Map<string, Alert>();
  /** Latest alert by rule and key, whatever its status. */
  private readonly latest = new Map<string, Alert>();
  private readonly dirty = new Set<Alert>();
  private readonly events: { event: AlertEvent; alert: Alert }[] = [];
  private readonly listeners: AlertListener[] = [];
  private readonly log: Logger;
  private readonly counters?: { opened: Series; updated: Series };
  private readonly activePerRule = new Map<string, number>();
  private readonly overLimitLogged = new Set<string>();
  private readonly mergeGap: number;
  private writing: Promise<void> = Promise.resolve();
  private droppedMetric?: Metric;
  /** Newest record time seen in findings (drives auto-resolve). */
  private watermark = 0;
  private readonly resolving = new Set<string>();

  constructor(
    readonly store: AlertLog,
    private readonly opts: AlertCenterOptions = {},
  ) {
    this.log = opts.log ?? silentLogger;
    this.mergeGap = opts.mergeGapSeconds ?? 3600;
    this.alerts = store.readAll();
    for (const a of [...this.alerts.values()].sort((x, y) => x.last_seen - y.last_seen)) {
      const k = activeKey(a.rule, a.key);
      this.latest.set(k, a);
      if (a.status !== 'resolved') this.setActive(a);
    }
    const m = opts.metrics;
    if (m) {
      this.counters = {
        opened: m.counter('flowlogs_alerts_opened_total', 'Alerts opened').with({}),
        updated: m.counter('flowlogs_alerts_updated_total', 'Findings folded into an existing alert').with({}),
      };
      this.droppedMetric = m.counter('flowlogs_findings_dropped_total', 'Findings about new keys dropped because their rule holds too many open alerts, by rule');
      const byStatus = m.gauge('flowlogs_alerts', 'Alerts held, by status and severity');
      m.onCollect(() => {
        const counts = new Map<string, number>();
        for (const a of this.alerts.values()) counts.set(`${a.status}|${a.severity}`, (counts.get(`${a.status}|${a.severity}`) ?? 0) + 1);
        for (const [k, v] of counts) {
          const [status, severity] = k.split('|');
          byStatus.set({ status, severity }, v);
        }
      });
    }
  }

  addListener(l: AlertListener): void {
    this.listeners.push(l);
  }

  private nowIso(): string {
    return (this.opts.now?.() ?? new Date()).toISOString();
  }

  accept(f: Finding): void {
    if (f.windowEnd > this.watermark) this.watermark = f.windowEnd;
    const k = activeKey(f.rule, f.key);
    let a = this.active.get(k);
    if (a && f.windowStart > a.last_seen + this.mergeGap) {
      a = undefined;
    }
    if (!a) {
      // The same finding again (a replayed import), or the rest of a window whose alert was
      // resolved meanwhile: it belongs to that alert, resolved or not.
      a = this.alerts.get(alertId(f));
      const last = this.latest.get(k);
      if (!a && f.refresh && last && last.last_window === f.windowStart) a = last;
    }
    if (!a) {
      this.open(f);
      return;
    }
    this.merge(a, f);
  }

  private setActive(a: Alert): void {
    const k = activeKey(a.rule, a.key);
    if (!this.active.has(k)) this.activePerRule.set(a.rule, (this.activePerRule.get(a.rule) ?? 0) + 1);
    this.active.set(k, a);
  }

  private dropActive(a: Alert): void {
    const k = activeKey(a.rule, a.key);
    if (this.active.get(k) !== a) return;
    this.active.delete(k);
    this.activePerRule.set(a.rule, (this.activePerRule.get(a.rule) ?? 1) - 1);
    this.overLimitLogged.delete(a.rule);
  }

  private open(f: Finding): void {
    const limit = this.opts.maxActivePerRule ?? Infinity;
    if ((this.activePerRule.get(f.rule) ?? 0) >= limit && !this.active.has(activeKey(f.rule, f.key))) {
      this.droppedMetric?.inc({ rule: f.rule });
      if (!this.overLimitLogged.has(f.rule)) {
        this.overLimitLogged.add(f.rule);
        this.log.warn({ rule: f.rule, limit }, 'rule holds too many open alerts; findings about new keys are dropped until some are resolved');
      }
      return;
    }
    const now = this.nowIso();
    const a: Alert = {
      id: alertId(f),
      rule: f.rule,
      detector: f.detector,
      severity: f.severity,
      title: f.title,
      key: f.key,
      group: f.group,
      status: 'open',
      entities: structuredClone(f.entities),
      first_seen: f.windowStart,
      last_seen: f.windowEnd,
      windows: 1,
      window_s: f.windowEnd - f.windowStart,
      flows: f.flows,
      metrics: { ...f.metrics },
      evidence: { ...f.evidence },
      created_at: now,
      updated_at: now,
      last_window: f.windowStart,
      window_flows: f.flows,
      rev: 1,
    };
    this.alerts.set(a.id, a);
    this.setActive(a);
    this.latest.set(activeKey(a.rule, a.key), a);
    this.dirty.add(a);
    this.events.push({ event: 'opened', alert: a });
    this.counters?.opened.inc();
  }

  private merge(a: Alert, f: Finding): void {
    if (f.windowStart > a.last_window) {
      a.windows++;
      a.last_window = f.windowStart;
      a.window_flows = 0;
    }
    // Within a window the latest figure replaces the earlier one (it counts the same flows and
    // more); a finding of a window already counted (a replay) adds nothing.
    if (f.windowStart === a.last_window) {
      a.flows += Math.max(0, f.flows - a.window_flows);
      a.window_flows = Math.max(a.window_flows, f.flows);
    }
    a.first_seen = Math.min(a.first_seen, f.windowStart);
    a.last_seen = Math.max(a.last_seen, f.windowEnd);
    a.title = f.title;
    a.metrics = { ...f.metrics };
    mergeEntities(a.entities, f.entities);
    if (f.evidence.query === a.evidence.query) {
      a.evidence.from = Math.min(a.evidence.from, f.evidence.from);
      a.evidence.to = Math.max(a.evidence.to, f.evidence.to);
    } else a.evidence = { query: f.evidence.query, from: Math.min(a.evidence.from, f.evidence.from), to: Math.max(a.evidence.to, f.evidence.to) };
    const worse = severityRank(f.severity) > severityRank(a.severity);
    if (worse) a.severity = f.severity;
    a.updated_at = this.nowIso();
    a.rev++;
    if (!f.refresh) this.counters?.updated.inc();
    this.dirty.add(a);
    if (worse && a.status !== 'resolved') this.events.push({ event: 'escalated', alert: a });
  }

  /** Writes what changed since the last flush and notifies about it. */
  async flush(): Promise<void> {
    this.autoResolve();
    if (this.dirty.size === 0 && this.events.length === 0) return this.writing;
    const changed = [...this.dirty];
    this.dirty.clear();
    const events = this.events.splice(0);
    const write = this.writing.then(async () => {
      // Status changes made meanwhile by another process (the CLI) apply before ours are written.
      this.syncFromDisk();
      await this.store.append(this.store.putLines(changed.map((a) => structuredClone(a))));
    });
    this.writing = write.catch(() => {});
    await write;
    for (const e of events) this.emit(e.event, e.alert);
    this.trim();
  }

  private emit(event: AlertEvent, a: Alert): void {
    for (const l of this.listeners) {
      try {
        l.onAlert(event, structuredClone(a));
      } catch (e) {
        this.log.error({ err: e }, 'alert listener failed');
      }
    }
  }

  /** Reads status changes other processes appended. */
  syncFromDisk(): void {
    const changed = this.store.readNew(this.alerts);
    for (const id of changed) {
      const a = this.alerts.get(id)!;
      if (a.status === 'resolved') this.dropActive(a);
      else if (!this.active.has(activeKey(a.rule, a.key))) this.setActive(a);
    }
  }

  private autoResolve(): void {
    const quiet = this.opts.autoResolveSeconds ?? 0;
    if (quiet <= 0) return;
    for (const a of [...this.active.values()]) {
      if (a.last_seen + quiet >= this.watermark || this.resolving.has(a.id)) continue;
      this.resolving.add(a.id);
      void this.setStatus(a.id, 'resolved', 'auto-resolve', `quiet for ${quiet} s of record time`)
        .catch((e: unknown) => this.log.error({ err: e, alert: a.id }, 'auto-resolving an alert failed'))
        .finally(() => this.resolving.delete(a.id));
    }
  }

  private trim(): void {
    if (this.alerts.size <= MAX_IN_MEMORY) return;
    const resolved = [...this.alerts.values()].filter((a) => a.status === 'resolved').sort(byRecency);
    for (const a of resolved.slice(MAX_IN_MEMORY / 2)) {
      this.alerts.delete(a.id);
    }
  }

  /** Acknowledges or resolves (or reopens) an alert; durable when it resolves. */
  async setStatus(id: string, status: AlertStatus, by: string, note?: string): Promise<Alert> {
    this.syncFromDisk();
    const a = this.alerts.get(id);
    if (!a) throw new InputError(`no alert with id '${id}'`);
    const change: StatusChange = { id, status, by, at: this.nowIso(), note };
    await this.store.setStatus(change);
    applyStatus(a, change);
    a.updated_at = change.at;
    if (status === 'resolved') this.dropActive(a);
    else this.setActive(a);
    if (status === 'acknowledged' || status === 'resolved') this.emit(status, a);
    return structuredClone(a);
  }

  get(id: string): Alert | undefined {
    this.syncFromDisk();
    const a = this.alerts.get(id);
    return a ? structuredClone(a) : undefined;
  }

  list(filter: AlertFilter = {}, limit = 1000): Alert[] {
    this.syncFromDisk();
    return [...this.alerts.values()]
      .filter((a) => matches(a, filter))
      .sort(byRecency)
      .slice(0, limit)
      .map((a) => structuredClone(a));
  }

  get size(): number {
    return this.alerts.size;
  }

  /** Rewrites the alert file without its history of changes (on start, when it has grown). */
  async compact(): Promise<void> {
    const keepDays = this.opts.keepResolvedDays ?? 90;
    const cutoff = (this.opts.now?.() ?? new Date()).getTime() - keepDays * 86400_000;
    await this.writing;
    this.syncFromDisk();
    await this.store.compact(this.alerts.values(), (a) => a.status === 'resolved' && Date.parse(a.resolved_at ?? a.updated_at) < cutoff);
  }
}

function activeKey(rule: string, key: string): string {
  return `${rule}\u0000${key}`;
}
