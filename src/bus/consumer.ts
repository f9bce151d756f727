// The writers' side of the bus: a durable JetStream pull consumer shared by every writer of a
// group (JetStream hands each message to one of them). Messages are gathered into groups of
// about `groupRows` records, handed to the handler (one group at a time, the next one being
// fetched meanwhile) and acknowledged only once the handler has finished, i.e. once the
// target has the records. While the handler works, progress reports keep JetStream from
// redelivering; a writer that dies leaves its messages to the others after the ack wait.
// A message delivered before, or published again by its collector, is flagged as a possible
// duplicate, and so is every message of a group whose handler failed (the failed attempt may
// have been committed), so the handler checks before writing it again.

import type { MetricsRegistry } from '../metrics/registry.js';
import { errorMessage } from '../util/errors.js';
import { silentLogger, type Logger } from '../util/log.js';
import { decodeMessage } from './codec.js';
import type { BusConfig } from './config.js';
import { connectBus } from './connect.js';
import type { JetStream, JsMsg, PullSubscription } from './jetstream.js';
import { MAYBE_DUPLICATE } from './codec.js';
import type { WireBatch } from './wire.js';

export interface ConsumedBatch {
  wire: WireBatch;
  /** May already be at the target: check before writing. */
  maybeDuplicate: boolean;
}

export type GroupHandler = (batches: ConsumedBatch[]) => Promise<void>;

export interface ConsumerOptions {
  bus: BusConfig;
  /** Durable consumer name (per group of writers). */
  consumer: string;
  /** Partitions to take (all when absent): one durable consumer per partition then. */
  partitions?: number[];
  groupRows: number;
  groupWaitMs: number;
  maxAckPending: number;
  ackWaitS: number;
  /** A new consumer starts at the beginning of the stream (default) or with what comes next. */
  deliver?: 'all' | 'new';
  /** Client name (for NATS monitoring). */
  name: string;
  handler: GroupHandler;
  metrics: MetricsRegistry;
  log?: Logger;
}

interface Held {
  m: JsMsg;
  sub: PullSubscription;
  wire: WireBatch;
  maybe: boolean;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export class BusConsumer {
  private js: JetStream | undefined;
  private subs: PullSubscription[] = [];
  private loop: Promise<void> | undefined;
  private stopping = false;
  private readonly log: Logger;
  private readonly counters;
  private pending = 0;
  private lagTimer: NodeJS.Timeout | undefined;
  private next = 0;
  private markReady!: () => void;
  /** Settles once the durable consumers exist: from then on, nothing published is missed. */
  readonly ready = new Promise<void>((r) => (this.markReady = r));

  constructor(private readonly o: ConsumerOptions) {
    this.log = (o.log ?? silentLogger).child({ component: 'bus-consumer', consumer: o.consumer });
    const m = o.metrics;
    this.counters = {
      records: m.counter('flowlogs_bus_consumed_records_total', 'Records taken from the bus and written').with(),
      messages: m.counter('flowlogs_bus_consumed_messages_total', 'Messages taken from the bus and acknowledged').with(),
      redelivered: m.counter('flowlogs_bus_redelivered_messages_total', 'Messages that arrived flagged as possible duplicates').with(),
      malformed: m.counter('flowlogs_bus_malformed_messages_total', 'Messages that could not be read (dropped from the stream)').with(),
      failures: m.counter('flowlogs_bus_write_failures_total', 'Attempts to write a group that failed and were retried').with(),
    };
    const lag = m.gauge('flowlogs_bus_lag_messages', 'Messages in the stream not yet delivered to this consumer group').with({ consumer: o.consumer });
    m.onCollect(() => lag.set(this.pending));
  }

  /** Messages waiting for the group, as last reported by JetStream. */
  get lag(): number {
    return this.pending;
  }

  private durables(): { durable: string; filter: string }[] {
    const b = this.o.bus;
    if (!this.o.partitions?.length) return [{ durable: this.o.consumer, filter: `${b.subject}.*` }];
    return this.o.partitions.map((p) => ({ durable: `${this.o.consumer}-p${p}`, filter: `${b.subject}.${p}` }));
  }

  private async connected(): Promise<JetStream> {
    if (this.js && !this.js.nc.isClosed) return this.js;
    for (const s of this.subs) s.close();
    this.subs = [];
    const js = await connectBus(this.o.bus, this.o.name);
    try {
      for (const d of this.durables()) {
        await js.ensureConsumer(this.o.bus.stream, { durable: d.durable, filterSubject: d.filter, ackWaitS: this.o.ackWaitS, maxAckPending: this.o.maxAckPending, deliver: this.o.deliver });
        this.subs.push(js.pull(this.o.bus.stream, d.durable));
      }
    } catch (e) {
      js.nc.close();
      throw e;
    }
    this.js = js;
    this.markReady();
    this.log.info('connected to the bus');
    return js;
  }

  start(): void {
    this.loop = this.run();
    this.lagTimer = setInterval(() => void this.updateLag(), 2000);
    this.lagTimer.unref();
  }

  private async updateLag(): Promise<void> {
    const js = this.js;
    if (!js || js.nc.isClosed) return;
    try {
      let n = 0;
      for (const d of this.durables()) n += (await js.consumerInfo(this.o.bus.stream, d.durable)).pending;
      this.pending = n;
    } catch {
      // Reported next time.
    }
  }

  private async fetchSome(maxWaitMs: number): Promise<{ m: JsMsg; sub: PullSubscription }[]> {
    await this.connected();
    // Partitions take turns, so a busy one cannot starve the others.
    const sub = this.subs[this.next++ % this.subs.length];
    const got = await sub.fetch(64, Math.max(10, maxWaitMs), 0);
    return got.map((m) => ({ m, sub }));
  }

  private async run(): Promise<void> {
    let group: Held[] = [];
    let rows = 0;
    let firstAt = 0;
    let writing: Promise<void> = Promise.resolve();
    let attempt = 0;
    while (!this.stopping) {
      let got: { m: JsMsg; sub: PullSubscription }[] = [];
      try {
        const left = group.length ? Math.max(10, this.o.groupWaitMs - (Date.now() - firstAt)) : Math.min(1000, this.o.groupWaitMs * 2);
        got = await this.fetchSome(left);
        attempt = 0;
      } catch (e) {
        this.js = undefined;
        if (group.length) {
          // These cannot be acknowledged on a new connection: JetStream redelivers them.
          this.log.warn({ messages: group.length, err: errorMessage(e) }, 'bus connection lost; gathered messages will be redelivered');
          group = [];
          rows = 0;
        } else if (attempt++ % 10 === 0) this.log.warn({ err: errorMessage(e) }, 'bus unreachable; retrying');
        await sleep(Math.min(5000, 200 * 2 ** Math.min(5, attempt)));
        continue;
      }
      for (const { m, sub } of got) {
        let wire: WireBatch;
        try {
          wire = decodeMessage(m.msg.data);
        } catch (e) {
          this.counters.malformed.inc();
          this.log.error({ err: errorMessage(e), seq: m.streamSeq }, 'unreadable bus message dropped');
          sub.term(m);
          continue;
        }
        const maybe = m.delivered > 1 || m.msg.headers[MAYBE_DUPLICATE] === '1';
        if (maybe) this.counters.redelivered.inc();
        if (!group.length) firstAt = Date.now();
        group.push({ m, sub, wire, maybe });
        rows += wire.rows;
      }
      if (group.length && (rows >= this.o.groupRows || Date.now() - firstAt >= this.o.groupWaitMs)) {
        await writing;
        const g = group;
        group = [];
        rows = 0;
        writing = this.deliver(g);
      }
    }
    await writing;
    // Gathered but not written: let another writer have them now.
    for (const h of group) {
      try {
        h.sub.nak(h.m);
      } catch {
        // Redelivered after the ack wait instead.
      }
    }
    await this.js?.nc.flush().catch(() => {});
  }

  /** Writes a group until it is taken (or the consumer stops), then acknowledges it. */
  private async deliver(group: Held[]): Promise<void> {
    const keepAlive = setInterval(
      () => {
        for (const h of group) {
          try {
            h.sub.working(h.m);
          } catch {
            // Connection gone: the messages will be redelivered and checked.
          }
        }
      },
      Math.max(1000, (this.o.ackWaitS * 1000) / 3),
    );
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          await this.o.handler(group.map((h) => ({ wire: h.wire, maybeDuplicate: h.maybe || attempt > 0 })));
          break;
        } catch (e) {
          this.counters.failures.inc();
          if (attempt % 10 === 0) this.log.warn({ err: errorMessage(e), attempt: attempt + 1, messages: group.length }, 'writing a group failed; retrying');
          if (this.stopping && attempt >= 2) return; // unacknowledged: redelivered to another writer
          await sleep(Math.min(10_000, 250 * 2 ** Math.min(6, attempt)));
        }
      }
    } finally {
      clearInterval(keepAlive);
    }
    let n = 0;
    for (const h of group) {
      try {
        h.sub.ack(h.m);
        n += h.wire.rows;
      } catch {
        // Lost acknowledgement: redelivered, found in the target, not written twice.
      }
    }
    this.counters.records.inc(n);
    this.counters.messages.inc(group.length);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.lagTimer) clearInterval(this.lagTimer);
    await this.loop;
    for (const s of this.subs) s.close();
    this.js?.nc.close();
  }
}
