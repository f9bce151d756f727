// The bus against a real nats-server with JetStream (Debian's package, started here on a
// 127.0.0.1 port): batches published by a collector reach the writers' durable consumer once
// acknowledged; what a dead writer held comes back flagged as a possible duplicate; a NATS
// outage waits in the collector's disk queue.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { NatsServer } from '../../test/cluster/nats.js';
import { MetricsRegistry } from '../metrics/registry.js';
import { FlowBatch } from '../schema/batch.js';
import { busConfig, type BusConfig } from './config.js';
import { connectBus } from './connect.js';
import { BusConsumer, type ConsumedBatch } from './consumer.js';
import { BusPublisher } from './publisher.js';
import { batchFromWire } from './wire.js';

let nats: NatsServer;
let dir: string;
let bus: BusConfig;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-bus-'));
  nats = new NatsServer(path.join(dir, 'nats'));
  await nats.start();
  bus = busConfig.parse({ url: nats.url, stream: 'BUS_TEST', subject: 'bus.test', partitions: 3, timeout_ms: 2000 });
});

after(async () => {
  await nats?.remove();
  fs.rmSync(dir, { recursive: true, force: true });
});

function batch(from: number, n: number): FlowBatch {
  const b = new FlowBatch(n);
  for (let i = 0; i < n; i++) b.push({ src_addr: `10.0.${(from + i) >> 8}.${(from + i) & 255}`, bytes: from + i, packets: 1, start: 1_795_300_000 + i, interface_id: `eni-${i % 3}` });
  return b;
}

class Received {
  batches: ConsumedBatch[] = [];
  get bytes(): number[] {
    return this.batches.flatMap((c) => [...batchFromWire(c.wire).rows()].map((r) => r.bytes)).sort((a, b) => a - b);
  }
  async until(n: number, ms = 20_000): Promise<void> {
    const end = Date.now() + ms;
    while (this.bytes.length < n && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  }
}

function consumer(name: string, got: Received, handler?: (b: ConsumedBatch[]) => Promise<void>): BusConsumer {
  return new BusConsumer({
    bus,
    consumer: 'writers',
    groupRows: 1000,
    groupWaitMs: 100,
    maxAckPending: 100,
    ackWaitS: 5,
    name,
    metrics: new MetricsRegistry(),
    handler: handler ?? (async (b) => void got.batches.push(...b)),
  });
}

const range = (a: number, n: number) => Array.from({ length: n }, (_, i) => a + i);

test('published batches reach the consumer group once, whole, and unflagged', async () => {
  const pub = new BusPublisher({ bus, name: 'c1', queueDir: path.join(dir, 'q1'), queueMaxBytes: 1 << 26, metrics: new MetricsRegistry() });
  await pub.start();
  await pub.publish(batch(0, 100));
  await pub.publish(batch(100, 50));
  const got = new Received();
  const c = consumer('w1', got);
  c.start();
  await got.until(150);
  assert.deepEqual(got.bytes, range(0, 150));
  assert.ok(got.batches.every((b) => !b.maybeDuplicate));
  assert.ok(got.batches.every((b) => /^c1-[0-9a-f]{8}-\d+$/.test(b.wire.id)));
  await c.stop();
  await pub.stop();
});

test('what a writer took but never acknowledged comes back to the group, flagged', async () => {
  const pub = new BusPublisher({ bus, name: 'c2', queueDir: path.join(dir, 'q2'), queueMaxBytes: 1 << 26, metrics: new MetricsRegistry() });
  await pub.start();
  await pub.publish(batch(1000, 10));
  // A writer that fetches and dies before acknowledging.
  const js = await connectBus(bus, 'doomed');
  const doomed = js.pull(bus.stream, 'writers');
  const taken = await doomed.fetch(10, 2000);
  assert.equal(taken.length, 1);
  assert.equal(taken[0].delivered, 1);
  js.nc.close();
  const got = new Received();
  const c = consumer('w2', got);
  c.start();
  await got.until(10, 30_000);
  assert.deepEqual(got.bytes, range(1000, 10));
  assert.equal(got.batches[0].maybeDuplicate, true, 'a redelivered batch is checked before it is written');
  await c.stop();
  await pub.stop();
});

test('a failed write is retried flagged, and acknowledged only once it succeeds', async () => {
  const pub = new BusPublisher({ bus, name: 'c3', queueDir: path.join(dir, 'q3'), queueMaxBytes: 1 << 26, metrics: new MetricsRegistry() });
  await pub.start();
  await pub.publish(batch(2000, 5));
  const got = new Received();
  const flags: boolean[] = [];
  let calls = 0;
  const c = consumer('w3', got, async (b) => {
    flags.push(b[0].maybeDuplicate);
    if (++calls === 1) throw new Error('ClickHouse is down');
    got.batches.push(...b);
  });
  c.start();
  await got.until(5);
  assert.deepEqual(flags, [false, true]);
  await c.stop();
  // Nothing left for the group: the batch was acknowledged.
  const js = await connectBus(bus, 'probe');
  assert.equal((await js.consumerInfo(bus.stream, 'writers')).ackPending, 0);
  js.nc.close();
  await pub.stop();
});

test('while NATS is down, batches wait on disk; they are published when it is back', async () => {
  const pub = new BusPublisher({ bus, name: 'c4', queueDir: path.join(dir, 'q4'), queueMaxBytes: 1 << 26, metrics: new MetricsRegistry() });
  await pub.start();
  await nats.stop();
  await pub.publish(batch(3000, 40)); // resolves: on disk
  assert.equal(pub.queuedRows, 40);
  await pub.stop(0);
  // A restarted collector finds its queue and publishes it once NATS is back.
  const again = new BusPublisher({ bus, name: 'c4', queueDir: path.join(dir, 'q4'), queueMaxBytes: 1 << 26, metrics: new MetricsRegistry() });
  await again.start();
  await nats.start();
  const got = new Received();
  const c = consumer('w4', got);
  c.start();
  await got.until(40, 30_000);
  assert.deepEqual(got.bytes, range(3000, 40));
  assert.equal(got.batches[0].maybeDuplicate, true, 'left from a previous run: may have been published');
  await c.stop();
  await again.stop();
  assert.equal(again.queuedRows, 0);
});

test('a feed for detectors gets what is published after it subscribed, as batches', async () => {
  const { BusFeed } = await import('./feed.js');
  const seen: number[] = [];
  const feed = new BusFeed({ bus, consumer: 'detect-test', metrics: new MetricsRegistry(), onBatch: (b) => void seen.push(...[...b.rows()].map((r) => r.bytes)) });
  await feed.start();
  await feed.ready;
  const pub = new BusPublisher({ bus, name: 'c5', queueDir: path.join(dir, 'q5'), queueMaxBytes: 1 << 26, metrics: new MetricsRegistry() });
  await pub.start();
  await pub.publish(batch(4000, 7));
  const end = Date.now() + 20_000;
  while (seen.length < 7 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  // Only the new batch: the stream's earlier batches (other tests) are not replayed to it.
  assert.deepEqual(seen.sort((a, b) => a - b), range(4000, 7));
  await feed.stop();
  await pub.stop();
});
