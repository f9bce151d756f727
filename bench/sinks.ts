// Sinks: delivery rate per destination (flows/s from the first record taken to the last one
// acknowledged by the target, through the disk queue), and what the disk queue costs ingest
// in CPU: the same flows stored through the pipeline with and without a sink whose target
// takes everything at once (so only the queue's work is added).
//
//   BENCH_SINK_FLOWS   flows per delivery measurement (default 1,000,000)

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MetricsRegistry } from '../src/metrics/registry.js';
import { Pipeline } from '../src/pipeline/pipeline.js';
import type { FlowBatch } from '../src/schema/batch.js';
import type { Destination } from '../src/sinks/destination.js';
import { sinksConfig } from '../src/sinks/registry.js';
import { Sink } from '../src/sinks/sink.js';
import { SinkSet } from '../src/sinks/sink-set.js';
import { simulatedBatches } from '../src/sinks/test-support.js';
import { DuckDbStore } from '../src/store/duckdb/store.js';
import { ClickHouseServer } from '../test/clickhouse/server.js';
import { HttpReceiver } from '../test/sinks/servers/http-receiver.js';
import { NatsServer } from '../test/cluster/nats.js';
import { FakeS3 } from '../test/sinks/servers/s3.js';
import type { Figure } from './run.js';

const N = Number(process.env.BENCH_SINK_FLOWS ?? 1_000_000);

function has(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Flows/s from the first tap until the target acknowledged everything. */
async function deliveryRate(tmp: string, name: string, settings: Record<string, unknown>, batches: FlowBatch[]): Promise<number> {
  const dataDir = fs.mkdtempSync(path.join(tmp, `${name}-`));
  const cfg = sinksConfig.parse({ [name]: { flow_logs: 'all', queue: { max_bytes: '8GiB' }, ...settings } });
  const set = new SinkSet(cfg, { dataDir, metrics: new MetricsRegistry() });
  await set.start();
  const sink = set.sinks[0];
  const rows = batches.reduce((n, b) => n + b.length, 0);
  const t0 = performance.now();
  for (const b of batches) sink.tap(b);
  if (!(await sink.idle(600_000))) throw new Error(`${name}: not delivered within 10 minutes`);
  const s = (performance.now() - t0) / 1000;
  await set.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
  return rows / s;
}

class Accept implements Destination {
  async deliver(): Promise<void> {}
}

/** CPU ms to store the flows through the pipeline, with or without a sink (queue + null target). */
async function ingestCpu(tmp: string, batches: FlowBatch[], withSink: boolean): Promise<{ cpu: number; tapMs: number }> {
  const dir = fs.mkdtempSync(path.join(tmp, 'ingest-'));
  const store = new DuckDbStore({ dataDir: dir, compactEveryMs: 0 });
  await store.start();
  const metrics = new MetricsRegistry();
  const pipeline = new Pipeline(store, metrics);
  let sink: Sink | undefined;
  let tapMs = 0;
  if (withSink) {
    const settings = sinksConfig.parse({ q: { type: 'files', path: '/nonexistent', flow_logs: 'all', queue: { max_bytes: '8GiB' } } }).q as never;
    sink = new Sink('q', settings, new Accept(), { max_records: 65_536, max_wait_ms: 1000 }, { stateDir: path.join(dir, 'sinks', 'q'), metrics });
    await sink.start();
    const s = sink;
    pipeline.addTap({
      name: 'q',
      tap: (b) => {
        const t = performance.now();
        s.tap(b);
        tapMs += performance.now() - t;
      },
    });
  }
  const c0 = cpuMs();
  // Pushed together, as a file source does: each push resolves once its batch is durable.
  await Promise.all(batches.map((b) => pipeline.push(b, 'bench')));
  await pipeline.drain();
  if (sink) await sink.idle(600_000);
  const cpu = cpuMs() - c0;
  await sink?.stop();
  await store.stop();
  fs.rmSync(dir, { recursive: true, force: true });
  return { cpu, tapMs };
}

export async function run(): Promise<Figure[]> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-bench-sinks-'));
  const out: Figure[] = [];
  try {
    const batches = simulatedBatches(N, 21, 8192);
    const rate = async (label: string, settings: Record<string, unknown>, bs = batches) => {
      const r = await deliveryRate(tmp, label.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60), settings, bs);
      out.push({ name: `sink delivery: ${label}`, value: Math.round(r), unit: 'flows/s' });
      process.stderr.write(`  ${label}: ${Math.round(r)} flows/s\n`);
    };
    const files = (format: string, gzip = false) => ({ type: 'files', path: fs.mkdtempSync(path.join(tmp, 'out-')), format, gzip, partition: 'hour' });
    {
      // The disk queue alone: a target that takes every batch at once.
      const metrics = new MetricsRegistry();
      const settings = sinksConfig.parse({ q: { type: 'files', path: '/unused', flow_logs: 'all', queue: { max_bytes: '8GiB' } } }).q as never;
      const sink = new Sink('q', settings, new Accept(), { max_records: 65_536, max_wait_ms: 1000 }, { stateDir: fs.mkdtempSync(path.join(tmp, 'q-')), metrics });
      await sink.start();
      const t0 = performance.now();
      for (const b of batches) sink.tap(b);
      await sink.idle(600_000);
      const r = N / ((performance.now() - t0) / 1000);
      await sink.stop();
      out.push({ name: 'sink delivery: disk queue only (target takes everything)', value: Math.round(r), unit: 'flows/s' });
      process.stderr.write(`  disk queue only: ${Math.round(r)} flows/s\n`);
    }
    await rate('files parquet', files('parquet'));
    await rate('files json', files('json'));
    await rate('files json.gz', files('json', true));
    await rate('files csv', files('csv'));
    await rate('files aws text', files('aws'));

    if (has('clickhouse-server')) {
      const ch = new ClickHouseServer(fs.mkdtempSync(path.join(tmp, 'ch-')));
      await ch.start();
      try {
        await rate('clickhouse (18.16, Native over HTTP)', { type: 'clickhouse', url: ch.httpUrl, table: 'bench', batch: { max_records: 262_144 } });
      } finally {
        await ch.stop();
      }
    }
    const small = batches.slice(0, Math.max(1, Math.ceil(200_000 / 8192)));
    if (has('nats-server')) {
      const nats = new NatsServer(fs.mkdtempSync(path.join(tmp, 'nats-')));
      await nats.start();
      try {
        await rate('nats jetstream (json, ~1 MB messages)', { type: 'nats', url: nats.url, stream: 'BENCH', subject: 'bench.flows' }, small);
      } finally {
        await nats.stop();
      }
    }
    const s3 = new FakeS3('bench', 'AKIDBENCH', 'bench-secret');
    await s3.start();
    await rate('s3 (parquet, local stand-in server)', { type: 's3', bucket: 'bench', endpoint: s3.endpoint, path_style: true, access_key_id: 'AKIDBENCH', secret_access_key: 'bench-secret', format: 'parquet', batch: { max_records: 262_144, max_wait_ms: 1000 } });
    await s3.stop();
    const hook = new HttpReceiver((r) => (r.path.startsWith('/_bulk') ? { status: 200, body: { took: 1, errors: false, items: [] } } : { status: 204 }));
    await hook.start();
    await rate('webhook (json, local receiver)', { type: 'webhook', url: hook.url, batch: { max_records: 5000 } }, small);
    await rate('elasticsearch bulk (ecs, local receiver)', { type: 'elasticsearch', url: hook.url, template: false }, small);
    await hook.stop();

    // The queue's CPU cost on ingest: median of three runs each way.
    const ingest = batches.slice(0, Math.ceil(Math.min(N, 1_000_000) / 8192));
    const flows = ingest.reduce((n, b) => n + b.length, 0);
    const base: number[] = [];
    const withQ: number[] = [];
    const taps: number[] = [];
    for (let k = 0; k < 3; k++) {
      base.push((await ingestCpu(tmp, ingest, false)).cpu);
      const w = await ingestCpu(tmp, ingest, true);
      withQ.push(w.cpu);
      taps.push(w.tapMs);
    }
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[1];
    out.push({ name: 'ingest CPU without sinks (pipeline + embedded store)', value: (med(base) * 1e6) / flows, unit: 'ns/flow' });
    out.push({ name: 'ingest CPU with one sink (disk queue, target that takes everything)', value: (med(withQ) * 1e6) / flows, unit: 'ns/flow' });
    out.push({ name: 'disk queue extra CPU on ingest', value: Math.round(((med(withQ) - med(base)) / med(base)) * 1000) / 10, unit: '%' });
    out.push({ name: 'sink tap on the ingest thread (copy into the queue)', value: (med(taps) * 1e6) / flows, unit: 'ns/flow' });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return out;
}
