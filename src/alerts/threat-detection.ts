// Threat detection as one component, for every ingest path (the service, import, capture):
// the threat lists and their enrichment stage, the detectors (one per rule) as a pipeline
// consumer, the baselines they share, the alert center and the notifiers, all reading their
// configuration sections and keeping their state in the data directory.
//
// Wiring: construct, `attach(pipeline)`, `await start()` before sources run; after the
// pipeline has drained, `await stop()` (it closes the open windows, so the last flows are
// judged too, and saves the baselines).

import path from 'node:path';
import { section, type LoadedConfig } from '../config/load.js';
import { BaselineRegistry } from '../detect/baselines.js';
import { DetectionEngine } from '../detect/engine.js';
import { intelConfig, type IntelConfig } from '../intel/config.js';
import { IntelLists } from '../intel/lists.js';
import { IntelStage } from '../intel/stage.js';
import type { InventoryIndex } from '../inventory/inventory-index.js';
import type { MetricsRegistry } from '../metrics/registry.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import type { FlowStore } from '../store/store.js';
import { errorMessage } from '../util/errors.js';
import { silentLogger, type Logger } from '../util/log.js';
import { AlertLog } from './alert-log.js';
import { AlertCenter } from './center.js';
import { alertsConfig, type AlertsConfig } from './config.js';
import { NotificationDispatcher } from './notify/dispatcher.js';
import type { NotifierConfig } from './notify/registry.js';
import { RuleSet } from './rules.js';

export const BASELINES_FILE = path.join('detect', 'baselines.json');
export const INTEL_CACHE_DIR = 'intel';
const BASELINE_SAVE_MS = 10 * 60_000;

export interface ThreatDetectionOptions {
  alerts: AlertsConfig;
  intel: IntelConfig;
  dataDir: string;
  metrics: MetricsRegistry;
  log?: Logger;
  /** Stored history to learn baselines from when none were saved. */
  store?: FlowStore;
  /** The inventory, or where to read the current one (bandwidth caps, VPC blocks, entities). */
  inventory?: InventoryIndex | { get(): InventoryIndex | undefined };
  /** Live sources: close the open windows after `alerts.idle_close_s` without flows. */
  live?: boolean;
}

/** The `alerts` and `intel` sections of a loaded configuration, validated. */
export function detectionSections(cfg: LoadedConfig): { alerts: AlertsConfig; intel: IntelConfig } {
  return { alerts: section(cfg, 'alerts', alertsConfig), intel: section(cfg, 'intel', intelConfig) };
}

export class ThreatDetection {
  readonly name = 'threat detection';
  readonly intel: IntelLists;
  readonly stage: IntelStage;
  readonly engine: DetectionEngine;
  readonly center: AlertCenter;
  readonly rules: RuleSet;
  readonly notifications: NotificationDispatcher;
  private readonly log: Logger;
  private idleTimer?: NodeJS.Timeout;
  private started = false;

  constructor(private readonly opts: ThreatDetectionOptions) {
    this.log = opts.log ?? silentLogger;
    const a = opts.alerts;
    this.intel = new IntelLists(opts.intel, { cacheDir: path.join(opts.dataDir, INTEL_CACHE_DIR), log: this.log, metrics: opts.metrics });
    this.stage = new IntelStage(() => this.intel.current());
    this.rules = new RuleSet(a.rules, a.window_s, opts.dataDir);
    this.center = new AlertCenter(new AlertLog(opts.dataDir), { mergeGapSeconds: a.merge_gap_s, autoResolveSeconds: a.auto_resolve_s, keepResolvedDays: a.keep_resolved_days, maxActivePerRule: a.max_open_per_rule, metrics: opts.metrics, log: this.log });
    this.notifications = new NotificationDispatcher(a.notify as NotifierConfig[], { log: this.log, metrics: opts.metrics });
    this.center.addListener(this.notifications);
    const baselines = new BaselineRegistry();
    baselines.load(path.join(opts.dataDir, BASELINES_FILE));
    this.engine = new DetectionEngine(a.enabled ? this.rules.effective() : [], this.center, {
      inventory: opts.inventory,
      intel: () => this.intel.current(),
      baselines,
      metrics: opts.metrics,
      log: this.log,
      maxFutureSeconds: opts.live ? 3600 : undefined,
    });
    this.rules.onChange((rules) => {
      if (a.enabled) this.engine.setRules(rules);
    });
  }

  /** Adds the enrichment stage (when lists are configured) and the detectors to a pipeline. */
  attach(pipeline: Pipeline): void {
    if (this.opts.intel.lists.length > 0) pipeline.addStage(this.stage);
    if (this.opts.alerts.enabled) pipeline.addConsumer(this.engine);
  }

  async start(): Promise<void> {
    await this.intel.start();
    const a = this.opts.alerts;
    if (this.opts.store && a.enabled && a.learn_days > 0) {
      const learned = await this.engine.learn(this.opts.store, Math.floor(Date.now() / 1000), a.learn_days).catch((e: unknown) => {
        this.log.warn({ err: errorMessage(e) }, 'baselines could not be learned from stored flows');
        return {};
      });
      if (Object.keys(learned).length) this.log.info({ windows: learned }, 'baselines learned from stored flows');
    }
    // The file keeps every change; rewrite it once it is mostly history.
    if (this.center.store.size() > 1_000_000 + this.center.size * 4096) await this.center.compact();
    if (this.opts.live) {
      const idleMs = a.idle_close_s * 1000;
      let lastSave = Date.now();
      this.idleTimer = setInterval(() => {
        const e = this.engine;
        if (e.lastBatchAt > 0 && Date.now() - e.lastBatchAt > idleMs) {
          e.lastBatchAt = 0;
          void e.flush().catch((err: unknown) => this.log.error({ err }, 'closing idle detection windows failed'));
        }
        // What was learned survives a crash, give or take this interval.
        if (Date.now() - lastSave > BASELINE_SAVE_MS) {
          lastSave = Date.now();
          void this.saveBaselines();
        }
      }, Math.min(idleMs, 10_000));
      this.idleTimer.unref();
    }
    this.started = true;
  }

  private saveBaselines(): Promise<void> {
    return this.engine.baselines.save(path.join(this.opts.dataDir, BASELINES_FILE)).catch((e: unknown) => this.log.error({ err: errorMessage(e) }, 'saving baselines failed'));
  }

  /** Judges the open windows, writes what they raised, saves baselines, waits for notifications. */
  async stop(): Promise<void> {
    if (this.idleTimer) clearInterval(this.idleTimer);
    if (!this.started) return;
    this.started = false;
    try {
      await this.engine.flush();
    } finally {
      await this.saveBaselines();
      await this.notifications.stop();
      await this.intel.stop();
    }
  }
}
