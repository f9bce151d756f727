// The pipeline: every source hands its batches here. Stages enrich them (inventory, geo,
// intel) or reshape them (flow-log routing and aggregation may add, drop or re-window rows);
// taps (sinks with their own disk queues) then take a copy; what is meant for the built-in
// store goes there; once durable, consumers (detectors) see the stored batch.
// Live sources cannot wait (a UDP socket that is not read drops in the kernel), so `offer`
// drops and counts when the store falls behind; file sources `push` and wait instead.

import type { FlowBatch } from '../schema/batch.js';
import type { MetricsRegistry, Series } from '../metrics/registry.js';
import type { FlowStore } from '../store/store.js';
import { silentLogger, type Logger } from '../util/log.js';

/**
 * Works on a batch before it is stored. Returns nothing when it changed the batch in place,
 * or a replacement batch (rows added, dropped or re-aggregated); an empty batch ends the trip.
 */
export interface Stage {
  readonly name: string;
  process(batch: FlowBatch): FlowBatch | void;
}

/** Takes a copy of every batch before it is stored (sinks); must not keep or modify the batch. */
export interface Tap {
  readonly name: string;
  tap(batch: FlowBatch): void;
}

/** Receives every stored batch (detectors); must not modify it. */
export interface Consumer {
  readonly name: string;
  consume(batch: FlowBatch): void | Promise<void>;
}

/** Picks the rows the built-in store keeps (flow logs may send theirs only elsewhere). */
export type StoreFilter = (batch: FlowBatch) => FlowBatch;

export interface PipelineOptions {
  /** Rows accepted but not yet durable, beyond which live sources are told to drop. */
  maxBacklogRows: number;
}

interface SourceCounters {
  received: Series;
  stored: Series;
  dropped: Series;
  failed: Series;
}

export class Pipeline {
  private readonly stages: Stage[] = [];
  private readonly taps: Tap[] = [];
  private readonly consumers: Consumer[] = [];
  private storeFilter?: StoreFilter;
  private backlog = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly counters = new Map<string, SourceCounters>();
  private readonly log: Logger;

  constructor(
    private readonly store: FlowStore,
    private readonly metrics: MetricsRegistry,
    private readonly opts: PipelineOptions = { maxBacklogRows: 1_000_000 },
    log?: Logger,
  ) {
    this.log = log ?? silentLogger;
    const backlog = metrics.gauge('flowlogs_pipeline_backlog_rows', 'Rows accepted but not yet stored durably');
    metrics.onCollect(() => backlog.set({}, this.backlog));
  }

  addStage(s: Stage): void {
    this.stages.push(s);
  }

  addTap(t: Tap): void {
    this.taps.push(t);
  }

  addConsumer(c: Consumer): void {
    this.consumers.push(c);
  }

  setStoreFilter(f: StoreFilter): void {
    this.storeFilter = f;
  }

  private countersFor(source: string): SourceCounters {
    let c = this.counters.get(source);
    if (!c) {
      const m = this.metrics;
      c = {
        received: m.counter('flowlogs_records_received_total', 'Flow records received, by source').with({ source }),
        stored: m.counter('flowlogs_records_stored_total', 'Flow records stored durably, by source').with({ source }),
        dropped: m.counter('flowlogs_records_dropped_total', 'Flow records dropped because the store fell behind, by source').with({ source }),
        failed: m.counter('flowlogs_records_failed_total', 'Flow records the store failed to write, by source').with({ source }),
      };
      this.counters.set(source, c);
    }
    return c;
  }

  get backlogRows(): number {
    return this.backlog;
  }

  /** For live sources: accept now or drop (counted). Returns false when dropped. */
  offer(batch: FlowBatch, source: string): boolean {
    const c = this.countersFor(source);
    c.received.inc(batch.length);
    if (this.backlog + batch.length > this.opts.maxBacklogRows) {
      c.dropped.inc(batch.length);
      return false;
    }
    void this.run(batch, c).catch(() => {});
    return true;
  }

  /** For file sources: waits while the store is behind, then until the batch is durable. */
  async push(batch: FlowBatch, source: string): Promise<void> {
    const c = this.countersFor(source);
    c.received.inc(batch.length);
    while (this.backlog + batch.length > this.opts.maxBacklogRows && this.inFlight.size > 0) await Promise.race(this.inFlight);
    await this.run(batch, c);
  }

  private run(input: FlowBatch, c: SourceCounters): Promise<void> {
    let batch = input;
    for (const s of this.stages) {
      const out = s.process(batch);
      if (out) batch = out;
      if (batch.length === 0) return Promise.resolve();
    }
    for (const t of this.taps) {
      try {
        t.tap(batch);
      } catch (e) {
        this.log.error({ err: e, tap: t.name }, 'flow tap failed');
      }
    }
    const stored = this.storeFilter ? this.storeFilter(batch) : batch;
    const n = stored.length;
    if (n === 0) return Promise.resolve();
    this.backlog += n;
    const p = this.store.append(stored).then(
      async () => {
        c.stored.inc(n);
        for (const k of this.consumers) {
          try {
            await k.consume(stored);
          } catch (e) {
            this.log.error({ err: e, consumer: k.name }, 'flow consumer failed');
          }
        }
      },
      (e: unknown) => {
        c.failed.inc(n);
        this.log.error({ err: e }, 'storing flows failed');
        throw e;
      },
    );
    const tracked: Promise<void> = p
      .catch(() => {})
      .finally(() => {
        this.backlog -= n;
        this.inFlight.delete(tracked);
      });
    this.inFlight.add(tracked);
    return p;
  }

  /** Waits until everything accepted so far is stored and consumed. */
  async drain(): Promise<void> {
    await this.store.flush();
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }
}
