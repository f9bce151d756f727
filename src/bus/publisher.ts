// The collector's side of the bus: batches become messages (src/bus/codec.ts) with unique
// ids, land in a disk queue (durable when publish() resolves), and a loop sends the queue to
// JetStream strictly in order, each message acknowledged by the stream before the next. While
// NATS is unreachable the queue grows (up to its cap) and drains when NATS is back; a message
// sent again after an unclear failure carries its same id (JetStream drops it inside the
// duplicate window) and a Flowlogs-Maybe-Duplicate header (writers then check ClickHouse).

import { randomBytes } from 'node:crypto';
import type { FlowBatch } from '../schema/batch.js';
import type { MetricsRegistry } from '../metrics/registry.js';
import { CorruptEntryError, DiskQueue } from '../sinks/queue/disk-queue.js';
import { errorMessage } from '../util/errors.js';
import { silentLogger, type Logger } from '../util/log.js';
import { encodeMessage, MAYBE_DUPLICATE, messageId, messageSize } from './codec.js';
import type { BusConfig } from './config.js';
import { connectBus, partitionOf } from './connect.js';
import type { JetStream } from './jetstream.js';
import { sliceWire, wireFromBatch, type WireBatch } from './wire.js';

export interface PublisherOptions {
  bus: BusConfig;
  /** Collector name: the start of every batch id. */
  name: string;
  queueDir: string;
  queueMaxBytes: number;
  metrics: MetricsRegistry;
  log?: Logger;
}

function sleep(ms: number, wake: Promise<void>): Promise<void> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([new Promise<void>((r) => (t = setTimeout(r, ms))), wake]).finally(() => clearTimeout(t));
}

/** Message-sized pieces of a wire batch, each under `limit` bytes, with fresh ids. */
export function splitForBus(w: WireBatch, limit: number, nextId: () => string): WireBatch[] {
  const size = messageSize(w);
  if (size <= limit || w.rows <= 1) return [{ ...w, id: nextId() }];
  const parts = Math.ceil((size / limit) * 1.05);
  const per = Math.ceil(w.rows / parts);
  const out: WireBatch[] = [];
  for (let from = 0; from < w.rows; from += per) out.push(...splitForBus(sliceWire(w, '', from, Math.min(w.rows, from + per)), limit, nextId));
  return out;
}

export class BusPublisher {
  private queue!: DiskQueue;
  private js: JetStream | undefined;
  private loop: Promise<void> | undefined;
  private stopping = false;
  private wake!: () => void;
  private woken!: Promise<void>;
  private readonly log: Logger;
  private readonly instance = randomBytes(4).toString('hex');
  private seq = 0;
  private recoveredThrough = 0;
  private failures = 0;
  private lastFailureLog = 0;
  private readonly limit: number;
  private readonly counters;

  constructor(private readonly o: PublisherOptions) {
    this.log = (o.log ?? silentLogger).child({ component: 'bus-publisher' });
    this.limit = o.bus.max_message_bytes - 1024;
    this.rewake();
    const m = o.metrics;
    this.counters = {
      records: m.counter('flowlogs_bus_published_records_total', 'Records published to the bus (acknowledged by JetStream)').with(),
      messages: m.counter('flowlogs_bus_published_messages_total', 'Messages published to the bus').with(),
      duplicates: m.counter('flowlogs_bus_duplicate_messages_total', 'Messages JetStream had already (sent again after an unclear failure)').with(),
      failures: m.counter('flowlogs_bus_publish_failures_total', 'Publish attempts that failed and will be retried').with(),
      dropped: m.counter('flowlogs_bus_dropped_records_total', 'Records given up by the collector queue, by reason'),
    };
    const queued = m.gauge('flowlogs_bus_queued_records', 'Records waiting in the collector queue for the bus').with();
    const queuedBytes = m.gauge('flowlogs_bus_queued_bytes', 'Bytes waiting in the collector queue for the bus').with();
    const up = m.gauge('flowlogs_bus_up', '1 while the last publish succeeded').with();
    m.onCollect(() => {
      if (!this.queue) return;
      queued.set(this.queue.queuedRows);
      queuedBytes.set(this.queue.queuedBytes);
      up.set(this.failures === 0 && this.js ? 1 : 0);
    });
  }

  private rewake(): void {
    this.woken = new Promise((r) => (this.wake = r));
  }

  get queuedRows(): number {
    return this.queue?.queuedRows ?? 0;
  }

  async start(): Promise<void> {
    this.queue = await DiskQueue.open(
      this.o.queueDir,
      { maxBytes: this.o.queueMaxBytes },
      {
        dropped: (rows, reason) => {
          this.counters.dropped.inc({ reason: reason === 'oldest' ? 'queue_full_oldest' : 'queue_full_newest' }, rows);
          this.log.error({ rows }, 'bus queue full: dropping the oldest unpublished records');
        },
        alarm: (on, bytes) => (on ? this.log.warn({ bytes }, 'bus queue filling up: NATS is down or too slow') : this.log.info({ bytes }, 'bus queue back below its alarm level')),
        corrupt: (entries, detail) => this.log.warn({ entries, detail }, 'bus queue: damaged entries skipped'),
      },
      this.log,
    );
    this.recoveredThrough = this.queue.lastSeq;
    if (this.queue.queuedEntries) this.log.info({ records: this.queue.queuedRows }, 'publishing batches left from the previous run');
    this.loop = this.run();
  }

  private nextId = (): string => `${this.o.name}-${this.instance}-${++this.seq}`;

  /** Queues a batch for the bus; resolves once it is on disk (the caller may then reuse it). */
  async publish(batch: FlowBatch): Promise<void> {
    if (this.stopping) throw new Error('bus publisher is stopping');
    if (batch.length === 0) return;
    const now = Date.now();
    for (const w of splitForBus(wireFromBatch(batch, ''), this.limit, this.nextId)) {
      const body = encodeMessage(w);
      if (!this.queue.makeRoom(body.length + 64)) {
        this.counters.dropped.inc({ reason: 'queue_full_newest' }, w.rows);
        continue;
      }
      this.queue.append(body, w.rows, 1, now);
    }
    await this.queue.flush();
  }

  private async connected(): Promise<JetStream> {
    if (this.js && !this.js.nc.isClosed) return this.js;
    this.js = await connectBus(this.o.bus, `flowlogs-collect-${this.o.name}`);
    this.js.nc.onClose(() => this.wake());
    this.log.info('connected to the bus');
    return this.js;
  }

  private noteFailure(e: unknown): void {
    this.failures++;
    this.counters.failures.inc();
    const now = Date.now();
    if (this.failures === 1 || now - this.lastFailureLog > 30_000) {
      this.lastFailureLog = now;
      this.log.warn({ err: errorMessage(e), queuedRecords: this.queue.queuedRows }, 'publishing to the bus failed; retrying');
    }
  }

  private async run(): Promise<void> {
    let tried = new Set<number>();
    let attempt = 0;
    while (!this.stopping) {
      await Promise.race([this.queue.whenReady(), this.woken]);
      if (this.stopping) break;
      const e = this.queue.peek();
      if (!e) {
        this.rewake();
        continue;
      }
      let body: Uint8Array;
      try {
        body = await this.queue.read(e);
      } catch (err) {
        this.log.error({ err: errorMessage(err), seq: e.seq }, err instanceof CorruptEntryError ? 'bus queue entry damaged; skipped' : 'bus queue entry unreadable; skipped');
        this.counters.dropped.inc({ reason: 'queue_damaged' }, e.rows);
        this.queue.ack(e);
        continue;
      }
      const id = messageId(body);
      const subject = `${this.o.bus.subject}.${partitionOf(id, this.o.bus.partitions)}`;
      const maybe = tried.has(e.seq) || e.seq <= this.recoveredThrough;
      try {
        const js = await this.connected();
        const r = await js.publish(subject, body, id, maybe ? { [MAYBE_DUPLICATE]: '1' } : {}, this.o.bus.timeout_ms);
        if (r.duplicate) this.counters.duplicates.inc();
        this.queue.ack(e);
        this.counters.records.inc(e.rows);
        this.counters.messages.inc();
        if (this.failures) this.log.info({ failures: this.failures }, 'the bus is back; publishing the queue');
        this.failures = 0;
        attempt = 0;
        if (tried.size > 1000) tried = new Set();
        tried.delete(e.seq);
      } catch (err) {
        tried.add(e.seq);
        this.noteFailure(err);
        if (this.js && !this.js.nc.isClosed && /no reply within/.test(errorMessage(err))) this.js.nc.close();
        this.js = undefined;
        attempt++;
        await sleep(Math.min(5000, 100 * 2 ** Math.min(6, attempt)) * (0.75 + Math.random() * 0.25), this.woken);
        this.rewake();
      }
    }
  }

  /**
   * Stops: gives the loop up to `drainMs` to publish what is queued (what remains stays on disk
   * for the next start), then closes.
   */
  async stop(drainMs = 5000): Promise<void> {
    const until = Date.now() + drainMs;
    while (this.queue && this.queue.queuedEntries > 0 && this.failures === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    this.stopping = true;
    this.wake();
    await this.loop;
    this.js?.nc.close();
    await this.queue?.close();
  }
}
