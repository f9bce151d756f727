// The bus as a source of batches for in-process consumers (detectors in `serve` over
// ClickHouse): a durable consumer of its own, so a restarted server resumes where it left off,
// starting with what arrives after it first subscribed. Batches come as FlowBatches, in small
// groups, as soon as they are on the bus; a batch is acknowledged once the callback returns.

import type { MetricsRegistry } from '../metrics/registry.js';
import type { FlowBatch } from '../schema/batch.js';
import type { Logger } from '../util/log.js';
import type { BusConfig } from './config.js';
import { BusConsumer } from './consumer.js';
import { batchFromWire } from './wire.js';

export interface FeedOptions {
  bus: BusConfig;
  /** Durable consumer name, one per server (e.g. `detect-<host>`). */
  consumer: string;
  onBatch: (batch: FlowBatch) => void | Promise<void>;
  metrics: MetricsRegistry;
  log?: Logger;
}

export class BusFeed {
  readonly name = 'bus-feed';
  private readonly consumer: BusConsumer;

  constructor(o: FeedOptions) {
    this.consumer = new BusConsumer({
      bus: o.bus,
      consumer: o.consumer,
      groupRows: 65_536,
      groupWaitMs: 50,
      maxAckPending: 64,
      ackWaitS: 30,
      deliver: 'new',
      name: `flowlogs-${o.consumer}`,
      metrics: o.metrics,
      log: o.log,
      handler: async (batches) => {
        for (const b of batches) await o.onBatch(batchFromWire(b.wire, { shared: false }));
      },
    });
  }

  async start(): Promise<void> {
    this.consumer.start();
  }

  /** Settles once subscribed (a server may start while NATS is down, so start() does not wait). */
  get ready(): Promise<void> {
    return this.consumer.ready;
  }

  async stop(): Promise<void> {
    await this.consumer.stop();
  }
}
