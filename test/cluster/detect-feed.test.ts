// `serve --store clickhouse://…` keeps its detectors: the flows reach them through the bus (a
// durable consumer of the server's own), not through its pipeline, and alerts are raised as
// the embedded store's server raises them. Real nats-server and clickhouse-server on 127.0.0.1.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { busConfig } from '../../src/bus/config.js';
import { BusPublisher } from '../../src/bus/publisher.js';
import { Service } from '../../src/cli/service.js';
import { MetricsRegistry } from '../../src/metrics/registry.js';
import { FlowBatch } from '../../src/schema/batch.js';
import { silentLogger } from '../../src/util/log.js';
import { startClickHouse, type TestClickHouse } from '../clickhouse/server.js';
import { NatsServer } from './nats.js';

let dir: string;
let ch: TestClickHouse;
let nats: NatsServer;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-feed-'));
  ch = await startClickHouse(1);
  nats = new NatsServer(path.join(dir, 'nats'));
  await nats.start();
});

after(async () => {
  await nats?.remove();
  await ch?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** 40 rejected attempts on 40 ports of one host: a vertical scan. */
function scan(start: number): FlowBatch {
  const b = new FlowBatch(40, { shared: false });
  for (let p = 1; p <= 40; p++) b.push({ src_addr: '203.0.113.7', dst_addr: '10.0.0.9', src_port: 50_000, dst_port: p, protocol: 6, packets: 1, bytes: 60, tcp_flags: 2, action: 'REJECT', start, end: start + 10 });
  return b;
}

test('serve over ClickHouse raises alerts on the flows collectors publish to the bus', async () => {
  const bus = { url: nats.url, stream: 'FEED_TEST', subject: 'feed.test', partitions: 2, timeout_ms: 3000, detect_consumer: 'detect-test' };
  const raw = {
    bus,
    store: { url: ch.storeUrl('feed'), data: path.join(dir, 'serve-data'), retention_days: 0 },
    // Windows close after a second without flows, so the alert gets its final count.
    alerts: { learn_days: 0, idle_close_s: 1 },
    enrich: { geo: false },
    server: { port: 0 },
  };
  const service = new Service({ raw, source: 'test' }, { collectors: false }, silentLogger);
  await service.start();
  try {
    assert.ok(service.detectionFeed, 'a feed over ClickHouse with a bus section');
    await service.detectionFeed.ready;
    const publisher = new BusPublisher({ bus: busConfig.parse(bus), name: 'c1', queueDir: path.join(dir, 'queue'), queueMaxBytes: 1 << 26, metrics: new MetricsRegistry() });
    await publisher.start();
    await publisher.publish(scan(Math.floor(Date.now() / 1000) - 30));
    await publisher.stop();
    const scans = () => service.ingest!.detection.center.list({}, 100).filter((a) => a.detector === 'vertical_scan');
    const until = Date.now() + 30_000;
    while (scans()[0]?.metrics.ports !== 40 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    const found = scans();
    assert.equal(found.length, 1);
    assert.equal(found[0].key, '203.0.113.7|10.0.0.9');
    assert.equal(found[0].metrics.ports, 40);
  } finally {
    await service.stop();
  }
});

test('without a bus section, serve over ClickHouse feeds no detectors from elsewhere', async () => {
  const raw = { store: { url: ch.storeUrl('feed2'), data: path.join(dir, 'serve-data2'), retention_days: 0 }, alerts: { learn_days: 0 }, enrich: { geo: false }, server: { port: 0 } };
  const service = new Service({ raw, source: 'test' }, { collectors: false }, silentLogger);
  await service.start();
  try {
    assert.equal(service.detectionFeed, undefined);
  } finally {
    await service.stop();
  }
});
