// One configured sink: a pipeline tap that picks the records meant for it, copies them into
// its disk queue in delivery-sized batches, and a delivery loop that sends the queue to the
// target strictly in order, retrying with exponential backoff until the target takes each
// batch. Nothing is lost while the target is down: the queue grows (up to its cap, with an
// alarm before it is full) and drains in order when the target is back, also after a restart.

import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Tap } from '../pipeline/pipeline.js';
import type { FlowBatch } from '../schema/batch.js';
import type { MetricsRegistry, Series } from '../metrics/registry.js';
import { parseFilter } from '../query/index.js';
import { InputError, errorMessage } from '../util/errors.js';
import { silentLogger, type Logger } from '../util/log.js';
import type { CommonSettings } from './config.js';
import { isPermanent, type Destination, type DeliveryBatch } from './destination.js';
import { encodeLines, textFormat } from './formats/index.js';
import { ByteBuffer, decodeChunks, encodeChunk } from './queue/batch-codec.js';
import { CorruptEntryError, DiskQueue, type QueueEntry } from './queue/disk-queue.js';
import { compileRowFilter, type RowPredicate } from './row-filter.js';

/** Which sinks a flow log sends its records to (implemented by the flow-log registry). */
export interface DestinationLookup {
  destinationsOf(flowLogId: string): string[];
}

export interface BatchDefaults {
  max_records: number;
  max_wait_ms: number;
}

export interface SinkDeps {
  /** The sink's own directory in the data directory (queue, state, rejected batches). */
  stateDir: string;
  metrics: MetricsRegistry;
  log?: Logger;
  lookup?: DestinationLookup;
}

interface SinkCounters {
  accepted: Series;
  delivered: Series;
  deliveredBatches: Series;
  retried: Series;
  droppedOldest: Series;
  droppedNewest: Series;
  corrupt: Series;
  rejected: Series;
}

function sleep(ms: number, wake: Promise<void>): Promise<void> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([new Promise<void>((r) => (t = setTimeout(r, ms))), wake]).finally(() => clearTimeout(t));
}

export class Sink implements Tap {
  private queue!: DiskQueue;
  private readonly builder = new ByteBuffer(1 << 20);
  private builderRows = 0;
  private builderChunks = 0;
  private builderArrival = 0;
  private readonly maxRecords: number;
  private readonly maxWaitMs: number;
  private readonly filter: RowPredicate | undefined;
  private readonly ids: Set<string>;
  private lookup: DestinationLookup | undefined;
  private readonly counters: SinkCounters;
  private readonly log: Logger;
  private timer: NodeJS.Timeout | undefined;
  private loop: Promise<void> | undefined;
  private stopping = false;
  private wake!: () => void;
  private woken: Promise<void>;
  private recoveredThrough = 0;
  private failingSince = 0;
  private failures = 0;
  private lastFailureLog = 0;
  private lastDropLog = 0;
  private rowsScratch = new Int32Array(1024);
  private started = false;

  constructor(
    readonly name: string,
    private readonly settings: CommonSettings,
    private readonly destination: Destination,
    defaults: BatchDefaults,
    private readonly deps: SinkDeps,
  ) {
    this.log = (deps.log ?? silentLogger).child({ sink: name });
    this.maxRecords = settings.batch.max_records ?? defaults.max_records;
    this.maxWaitMs = settings.batch.max_wait_ms ?? defaults.max_wait_ms;
    this.ids = new Set(Array.isArray(settings.flow_logs) ? settings.flow_logs : []);
    this.lookup = deps.lookup;
    try {
      this.filter = settings.filter.trim() ? compileRowFilter(parseFilter(settings.filter)) : undefined;
    } catch (e) {
      throw new InputError(`sinks.${name}.filter: ${errorMessage(e)}`);
    }
    const m = deps.metrics;
    const l = { sink: name };
    this.counters = {
      accepted: m.counter('flowlogs_sink_accepted_records_total', 'Records a sink took into its disk queue').with(l),
      delivered: m.counter('flowlogs_sink_delivered_records_total', 'Records a sink delivered to its target').with(l),
      deliveredBatches: m.counter('flowlogs_sink_delivered_batches_total', 'Batches a sink delivered to its target').with(l),
      retried: m.counter('flowlogs_sink_retries_total', 'Delivery attempts that failed and were retried').with(l),
      droppedOldest: m.counter('flowlogs_sink_dropped_records_total', 'Records a sink gave up, by reason').with({ ...l, reason: 'queue_full_oldest' }),
      droppedNewest: m.counter('flowlogs_sink_dropped_records_total', 'Records a sink gave up, by reason').with({ ...l, reason: 'queue_full_newest' }),
      corrupt: m.counter('flowlogs_sink_dropped_records_total', 'Records a sink gave up, by reason').with({ ...l, reason: 'queue_damaged' }),
      rejected: m.counter('flowlogs_sink_rejected_records_total', 'Records the target refused as invalid (kept under rejected/ in the sink directory)').with(l),
    };
    const queued = m.gauge('flowlogs_sink_queued_bytes', 'Bytes in a sink disk queue not yet delivered').with(l);
    const queuedRows = m.gauge('flowlogs_sink_queued_records', 'Records in a sink disk queue not yet delivered').with(l);
    const cap = m.gauge('flowlogs_sink_queue_capacity_bytes', 'Cap on a sink disk queue').with(l);
    const alarm = m.gauge('flowlogs_sink_queue_alarm', '1 while a sink disk queue is above its alarm level').with(l);
    const age = m.gauge('flowlogs_sink_oldest_undelivered_seconds', 'Age of the oldest record a sink has not delivered yet').with(l);
    const up = m.gauge('flowlogs_sink_up', '1 while the last delivery attempt succeeded').with(l);
    m.onCollect(() => {
      if (!this.queue) return;
      queued.set(this.queue.queuedBytes + this.builder.len);
      queuedRows.set(this.queue.queuedRows + this.builderRows);
      cap.set(this.queue.maxBytes);
      alarm.set(this.queue.alarm ? 1 : 0);
      age.set(this.oldestAgeSeconds());
      up.set(this.failures === 0 ? 1 : 0);
    });
    this.woken = new Promise((r) => (this.wake = r));
  }

  setLookup(lookup: DestinationLookup | undefined): void {
    this.lookup = lookup;
  }

  /** Seconds since the oldest undelivered record arrived (0 when everything is delivered). */
  oldestAgeSeconds(now = Date.now()): number {
    let oldest = this.queue?.oldestArrivalMs;
    if (this.builderRows && (oldest === undefined || this.builderArrival < oldest)) oldest = this.builderArrival;
    return oldest === undefined ? 0 : Math.max(0, (now - oldest) / 1000);
  }

  get queuedRecords(): number {
    return (this.queue?.queuedRows ?? 0) + this.builderRows;
  }

  get queuedBytes(): number {
    return (this.queue?.queuedBytes ?? 0) + this.builder.len;
  }

  async start(): Promise<void> {
    const q = this.settings.queue;
    this.queue = await DiskQueue.open(
      path.join(this.deps.stateDir, 'queue'),
      { maxBytes: q.max_bytes, alarmRatio: q.alarm_at, whenFull: q.when_full, segmentBytes: q.segment_bytes },
      {
        dropped: (rows, reason) => {
          (reason === 'oldest' ? this.counters.droppedOldest : this.counters.droppedNewest).inc(rows);
          this.logDrop(rows, reason);
        },
        alarm: (on, bytes) => {
          if (on) this.log.warn({ queuedBytes: bytes, maxBytes: q.max_bytes, whenFull: q.when_full }, 'sink queue is filling up: the target is down or too slow');
          else this.log.info({ queuedBytes: bytes }, 'sink queue back below its alarm level');
        },
        // A torn tail holds no records anyone was told were queued durably: log it only.
        corrupt: (entries, detail) => this.log.warn({ entries, detail }, 'sink queue: damaged entries skipped'),
      },
      this.log,
    );
    this.recoveredThrough = this.queue.lastSeq;
    if (this.queue.queuedEntries) this.log.info({ records: this.queue.queuedRows, bytes: this.queue.queuedBytes }, 'sink resumes delivery from its queue');
    const tick = Math.max(5, Math.min(200, Math.floor(this.maxWaitMs / 4)));
    this.timer = setInterval(() => {
      if (this.builderRows && Date.now() - this.builderArrival >= this.maxWaitMs) this.seal();
    }, tick);
    this.timer.unref();
    this.started = true;
    this.loop = this.run();
  }

  /**
   * Picks this sink's rows of a batch and copies them into the queue. Never throws on data.
   * Start the sink before the sources: batches tapped before start() are not taken.
   */
  tap(batch: FlowBatch): void {
    if (!this.started || this.stopping || batch.length === 0) return;
    const n = batch.length;
    const take = this.routing(batch);
    let rows: Int32Array | null = null;
    let count = n;
    if (take !== 'all' || this.filter) {
      if (this.rowsScratch.length < n) this.rowsScratch = new Int32Array(n);
      rows = this.rowsScratch;
      count = 0;
      const codes = batch.cols.flow_log_id.codes;
      const f = this.filter;
      for (let r = 0; r < n; r++) {
        if (take !== 'all' && take[codes[r]] === 0) continue;
        if (f && !f(batch, r)) continue;
        rows[count++] = r;
      }
      if (count === 0) return;
      if (count === n) rows = null;
    }
    let done = 0;
    while (done < count) {
      if (this.builderRows >= this.maxRecords) this.seal();
      const part = Math.min(count - done, this.maxRecords - this.builderRows);
      const before = this.builder.len;
      encodeChunk(this.builder, batch, rows, part, done);
      if (!this.queue.makeRoom(this.builder.len)) {
        this.builder.len = before;
        this.counters.droppedNewest.inc(part);
        this.logDrop(part, 'newest');
      } else {
        if (this.builderRows === 0) this.builderArrival = Date.now();
        this.builderRows += part;
        this.builderChunks++;
        this.counters.accepted.inc(part);
      }
      done += part;
    }
    if (this.builderRows >= this.maxRecords) this.seal();
  }

  /** 'all', or per flow_log_id dictionary code: 1 when this sink takes those records. */
  private routing(batch: FlowBatch): 'all' | Uint8Array {
    const mode = this.settings.flow_logs;
    if (mode === 'all') return 'all';
    const values = batch.cols.flow_log_id.dict.values;
    const take = new Uint8Array(values.length);
    let all = true;
    take[0] = this.settings.outside_flow_logs ? 1 : 0;
    for (let i = 1; i < values.length; i++) {
      const id = values[i];
      take[i] = this.ids.has(id) || (this.lookup?.destinationsOf(id).includes(this.name) ?? false) ? 1 : 0;
    }
    // A code that no row uses may say 0 here; that only costs the row-by-row path.
    for (let i = 0; i < take.length; i++) if (take[i] === 0) all = false;
    return all ? 'all' : take;
  }

  private logDrop(rows: number, reason: 'oldest' | 'newest'): void {
    const now = Date.now();
    if (now - this.lastDropLog < 10_000) return;
    this.lastDropLog = now;
    this.log.error(
      { rows, policy: this.settings.queue.when_full, maxBytes: this.settings.queue.max_bytes },
      reason === 'oldest' ? 'sink queue full: dropping the oldest undelivered records' : 'sink queue full: refusing new records',
    );
  }

  /** Closes the batch being built: it becomes a queue entry, durable with the next flush. */
  private seal(): void {
    if (this.builderRows === 0) return;
    const body = this.builder.take();
    this.queue.append(body, this.builderRows, this.builderChunks, this.builderArrival);
    this.builderRows = 0;
    this.builderChunks = 0;
    void this.queue.flush().catch((e: unknown) => this.log.error({ err: e }, 'sink queue: writing to disk failed'));
  }

  private backoff(attempt: number): number {
    const r = this.settings.retry;
    const base = Math.min(r.max_ms, r.initial_ms * 2 ** Math.min(30, attempt - 1));
    return base * (0.75 + Math.random() * 0.25);
  }

  private noteFailure(e: unknown, what: string): void {
    const now = Date.now();
    if (this.failures++ === 0) this.failingSince = now;
    if (now - this.lastFailureLog >= 30_000 || this.failures === 1) {
      this.lastFailureLog = now;
      this.log.warn({ err: errorMessage(e), failures: this.failures, queuedRecords: this.queuedRecords }, `sink ${what} failed; retrying`);
    }
  }

  private noteSuccess(): void {
    if (this.failures) this.log.info({ failures: this.failures, downSeconds: Math.round((Date.now() - this.failingSince) / 1000) }, 'sink target is back; delivering the queue in order');
    this.failures = 0;
  }

  private async run(): Promise<void> {
    let attempt = 0;
    if (this.destination.start) {
      for (;;) {
        if (this.stopping) return;
        try {
          await this.destination.start();
          this.noteSuccess();
          break;
        } catch (e) {
          this.noteFailure(e, 'start');
          await sleep(this.backoff(++attempt), this.woken);
        }
      }
    }
    while (!this.stopping) {
      await Promise.race([this.queue.whenReady(), this.woken]);
      if (this.stopping) break;
      const e = this.queue.peek();
      if (!e) continue;
      let records: FlowBatch;
      try {
        records = decodeChunks(await this.queue.read(e), e.chunks, e.rows);
      } catch (err) {
        this.counters.corrupt.inc(e.rows);
        this.log.error({ err: errorMessage(err), seq: e.seq, rows: e.rows }, err instanceof CorruptEntryError ? 'sink queue entry damaged; skipped' : 'sink queue entry unreadable; skipped');
        this.queue.ack(e);
        continue;
      }
      const done = await this.deliver(e, records);
      if (!done) break;
    }
  }

  /** Delivers one entry until it is taken, set aside or the sink stops; false when stopping. */
  private async deliver(e: QueueEntry, records: FlowBatch): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      const batch: DeliveryBatch = { id: `${this.name}-${this.queue.epoch}-${e.seq}`, seq: e.seq, records, attempt, maybeDelivered: attempt > 0 || e.seq <= this.recoveredThrough };
      try {
        await this.destination.deliver(batch);
        this.noteSuccess();
        this.counters.delivered.inc(e.rows);
        this.counters.deliveredBatches.inc();
        this.queue.ack(e);
        return true;
      } catch (err) {
        if (isPermanent(err)) {
          await this.setAside(batch, err);
          this.queue.ack(e);
          return true;
        }
        this.counters.retried.inc();
        this.noteFailure(err, 'delivery');
        if (this.stopping) return false;
        await sleep(this.backoff(attempt + 1), this.woken);
        if (this.stopping) return false;
      }
    }
  }

  /** Keeps a batch the target refused (as JSON lines) so nothing disappears silently. */
  private async setAside(batch: DeliveryBatch, err: unknown): Promise<void> {
    this.counters.rejected.inc(batch.records.length);
    const dir = path.join(this.deps.stateDir, 'rejected');
    this.log.error({ err: errorMessage(err), batch: batch.id, rows: batch.records.length, dir }, 'sink target refused a batch; kept under rejected/');
    try {
      await fsp.mkdir(dir, { recursive: true });
      const fmt = textFormat('json', { aws_fields: [], ocsf_cloud_provider: '', product_version: '' });
      await fsp.writeFile(path.join(dir, `${batch.id}.jsonl`), Buffer.concat(encodeLines(fmt, batch.records, batch.id)));
      await fsp.writeFile(path.join(dir, `${batch.id}.error.txt`), errorMessage(err) + '\n');
    } catch (e) {
      this.log.error({ err: e }, 'could not keep the refused batch');
    }
  }

  /** Resolves once everything taken so far has been delivered (or `timeoutMs` passed: false). */
  async idle(timeoutMs = 30_000): Promise<boolean> {
    this.seal();
    await this.queue.flush();
    const until = Date.now() + timeoutMs;
    while (this.queue.queuedEntries > 0 || this.builderRows > 0) {
      if (Date.now() > until) return false;
      await new Promise((r) => setTimeout(r, 10));
    }
    return true;
  }

  /** Makes everything taken so far durable in the queue, then stops delivering. */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (!this.started || this.stopping) return;
    if (this.timer) clearInterval(this.timer);
    this.seal();
    this.stopping = true;
    this.wake();
    let t: NodeJS.Timeout | undefined;
    await Promise.race([this.loop, new Promise((r) => (t = setTimeout(r, timeoutMs)))]);
    clearTimeout(t);
    await this.queue.close();
    await this.destination.stop?.().catch((e: unknown) => this.log.warn({ err: e }, 'sink target did not close cleanly'));
  }
}
