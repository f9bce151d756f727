// Flow logs in a running service: the registry (watched, so that changes made by the CLI in
// another process apply within a second), the stage in the pipeline, the store filter, and
// the timer that hands closed windows to the pipeline. Stopping it flushes every open window.

import type { InventorySource } from '../inventory/current-inventory.js';
import type { MetricsRegistry } from '../metrics/registry.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import type { FlowBatch } from '../schema/batch.js';
import { silentLogger, type Logger } from '../util/log.js';
import { flowlogsConfig, type FlowLogsConfig } from './config.js';
import { FlowLogRegistry } from './registry.js';
import { FlowLogStage } from './stage.js';
import { flowLogStoreFilter } from './store-filter.js';

/** The pipeline source name of records the flow-log stage emits. */
export const FLOW_LOG_SOURCE = 'flowlogs';

export interface FlowLogsDeps {
  pipeline: Pipeline;
  dataDir: string;
  /** Watched when it can be (CurrentInventory). */
  inventory: InventorySource & { watch?(ms?: number): void; close?(): void };
  metrics: MetricsRegistry;
  log?: Logger;
  /** Defaults to the data directory's registry. */
  registry?: FlowLogRegistry;
  now?: () => number;
}

export class FlowLogsComponent {
  readonly name = 'flow logs';
  readonly registry: FlowLogRegistry;
  readonly stage: FlowLogStage;
  private timer?: NodeJS.Timeout;
  private readonly pending = new Set<Promise<void>>();
  private readonly cfg: FlowLogsConfig;
  private readonly log: Logger;

  constructor(
    private readonly deps: FlowLogsDeps,
    cfg: Partial<FlowLogsConfig> = {},
  ) {
    this.cfg = flowlogsConfig.parse(cfg);
    this.log = deps.log ?? silentLogger;
    this.registry = deps.registry ?? FlowLogRegistry.open(deps.dataDir);
    this.stage = new FlowLogStage({
      flowLogs: this.registry,
      inventory: deps.inventory,
      keepUncovered: this.cfg.keep_uncovered,
      maxRows: this.cfg.max_rows,
      latenessMs: this.cfg.lateness_seconds * 1000,
      metrics: deps.metrics,
      now: deps.now,
    });
  }

  get inventory(): InventorySource {
    return this.deps.inventory;
  }

  async start(): Promise<void> {
    this.deps.pipeline.addStage(this.stage);
    this.deps.pipeline.setStoreFilter(flowLogStoreFilter(this.registry));
    this.registry.watch(500);
    this.deps.inventory.watch?.(1000);
    this.timer = setInterval(() => this.emit(this.stage.flushDue()), this.cfg.flush_interval_ms);
    this.timer.unref();
  }

  private emit(batches: FlowBatch[]): void {
    for (const b of batches) {
      const p: Promise<void> = this.deps.pipeline
        .push(b, FLOW_LOG_SOURCE)
        .catch((e: unknown) => this.log.error({ err: e }, 'storing flow-log records failed'))
        .finally(() => this.pending.delete(p));
      this.pending.add(p);
    }
  }

  /** Emits what is due now and waits until it is stored (tests, and before shutdown). */
  async flushDue(): Promise<void> {
    this.emit(this.stage.flushDue());
    await Promise.all([...this.pending]);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.emit(this.stage.flushDue());
    this.emit(this.stage.flushAll());
    await Promise.all([...this.pending]);
    this.registry.close();
    this.deps.inventory.close?.();
  }
}
