import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { z } from 'zod';
import { MetricsRegistry } from '../metrics/registry.js';
import { FlowBatch } from '../schema/batch.js';
import { commonSettings, type CommonSettings } from './config.js';
import { PermanentError, type DeliveryBatch, type Destination } from './destination.js';
import { Sink } from './sink.js';
import { awsSampleBatch, numbered, simulatedBatches } from './test-support.js';

const schema = z.object({ type: z.string(), ...commonSettings });
function settings(extra: Record<string, unknown> = {}): CommonSettings {
  return schema.parse({ type: 'test', retry: { initial_ms: 5, max_ms: 20 }, ...extra });
}

class Recorder implements Destination {
  batches: DeliveryBatch[] = [];
  failures = 0;
  permanent = new Set<number>();
  async deliver(b: DeliveryBatch): Promise<void> {
    if (this.failures > 0) {
      this.failures--;
      throw new Error('connect ECONNREFUSED');
    }
    if (this.permanent.has(b.seq)) throw new PermanentError('400 bad request');
    this.batches.push(b);
  }
  values(field: 'bytes' | 'dst_port' = 'bytes'): number[] {
    return this.batches.flatMap((b) => Array.from(b.records.cols[field].subarray(0, b.records.length)));
  }
}

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-sink-'));
}

function sink(dest: Destination, s: CommonSettings, dir = tmp(), metrics = new MetricsRegistry(), batch = { max_records: 100, max_wait_ms: 10 }): Sink {
  return new Sink('t', s, dest, batch, { stateDir: dir, metrics });
}

function flowLogBatch(): FlowBatch {
  // 6 records: two per flow log fl-a, fl-b and two outside any flow log.
  return FlowBatch.fromRecords(['fl-a', 'fl-a', 'fl-b', 'fl-b', '', ''].map((id, i) => ({ flow_log_id: id, bytes: i + 1 })));
}

test('a sink takes the records of flow logs that list it, plus what its config adds', async () => {
  const cases: [Partial<CommonSettings>, number[]][] = [
    [{}, [1, 2]],
    [{ flow_logs: ['fl-b'] }, [1, 2, 3, 4]],
    [{ outside_flow_logs: true }, [1, 2, 5, 6]],
    [{ flow_logs: 'all' }, [1, 2, 3, 4, 5, 6]],
  ];
  for (const [extra, expected] of cases) {
    const rec = new Recorder();
    const s = new Sink('t', settings(extra), rec, { max_records: 100, max_wait_ms: 10 }, { stateDir: tmp(), metrics: new MetricsRegistry(), lookup: { destinationsOf: (id) => (id === 'fl-a' ? ['t', 'other'] : ['other']) } });
    await s.start();
    s.tap(flowLogBatch());
    assert.equal(await s.idle(), true);
    assert.deepEqual(rec.values(), expected, JSON.stringify(extra));
    await s.stop();
  }
});

test('the filter keeps only matching records', async () => {
  const rec = new Recorder();
  const s = sink(rec, settings({ flow_logs: 'all', filter: 'dst_port:(22 OR 3389) AND action:REJECT' }));
  await s.start();
  s.tap(awsSampleBatch());
  await s.idle();
  // Line 5 of the samples is the only rejected SSH/RDP flow.
  assert.deepEqual(rec.values('dst_port'), [3389]);
  await s.stop();
});

test('while the target fails, batches wait and are retried; they then arrive in order, each once', async () => {
  const rec = new Recorder();
  rec.failures = 4;
  const metrics = new MetricsRegistry();
  const s = sink(rec, settings({ flow_logs: 'all' }), tmp(), metrics);
  await s.start();
  const batches = simulatedBatches(2500, 2, 700);
  const n = numbered(batches);
  for (const b of batches) s.tap(b);
  assert.equal(await s.idle(), true);
  assert.deepEqual(rec.values(), Array.from({ length: n }, (_, i) => i + 1));
  assert.ok(rec.batches.every((b) => b.records.length <= 100), 'batches respect max_records');
  assert.deepEqual(rec.batches.map((b) => b.seq), Array.from({ length: rec.batches.length }, (_, i) => i + 1));
  assert.equal(metrics.find('flowlogs_sink_retries_total')!.get({ sink: 't' }), 4);
  assert.equal(metrics.find('flowlogs_sink_delivered_records_total')!.get({ sink: 't' }), n);
  assert.equal(rec.batches[0].attempt, 4);
  assert.equal(rec.batches[0].maybeDelivered, true);
  assert.equal(rec.batches[1].maybeDelivered, false);
  const text = metrics.render();
  assert.match(text, /flowlogs_sink_queued_bytes\{sink="t"\} 0/);
  assert.match(text, /flowlogs_sink_oldest_undelivered_seconds\{sink="t"\} 0/);
  await s.stop();
});

test('a batch the target refuses as invalid is set aside (kept on disk, counted) and the rest goes on', async () => {
  const rec = new Recorder();
  rec.permanent.add(1);
  const dir = tmp();
  const metrics = new MetricsRegistry();
  const s = sink(rec, settings({ flow_logs: 'all' }), dir, metrics, { max_records: 4, max_wait_ms: 10 });
  await s.start();
  s.tap(awsSampleBatch());
  await s.idle();
  // Lines 5-7 of the samples: 4249, 336 and 336 bytes.
  assert.deepEqual(rec.values(), [4249, 336, 336]);
  assert.equal(metrics.find('flowlogs_sink_rejected_records_total')!.get({ sink: 't' }), 4);
  const kept = fs.readdirSync(path.join(dir, 'rejected')).filter((f) => f.endsWith('.jsonl'));
  assert.equal(kept.length, 1);
  const lines = fs.readFileSync(path.join(dir, 'rejected', kept[0]), 'utf8').trimEnd().split('\n');
  assert.deepEqual(lines.map((l) => (JSON.parse(l) as { bytes: number }).bytes), [8855, 0, 0, 4249]);
  await s.stop();
});

test('records queued while the target is down survive a restart and are delivered by the next process', async () => {
  const dir = tmp();
  const down = new Recorder();
  down.failures = Infinity;
  const metrics = new MetricsRegistry();
  const first = sink(down, settings({ flow_logs: 'all' }), dir, metrics);
  await first.start();
  const batches = simulatedBatches(1000, 4, 300);
  const n = numbered(batches);
  for (const b of batches) first.tap(b);
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(first.queuedRecords, n);
  assert.ok(first.oldestAgeSeconds() > 0);
  const text = metrics.render();
  assert.match(text, /flowlogs_sink_queued_records\{sink="t"\} 1000/);
  assert.match(text, /flowlogs_sink_up\{sink="t"\} 0/);
  await first.stop();

  const up = new Recorder();
  const second = sink(up, settings({ flow_logs: 'all' }), dir);
  await second.start();
  assert.equal(await second.idle(), true);
  assert.deepEqual(up.values(), Array.from({ length: n }, (_, i) => i + 1));
  assert.ok(up.batches.every((b) => b.maybeDelivered), 'batches from before the restart may have reached the target');
  await second.stop();
});

test('a full queue with refuse-newest keeps what it has and counts what it refused', async () => {
  const down = new Recorder();
  down.failures = Infinity;
  const metrics = new MetricsRegistry();
  const s = sink(down, settings({ flow_logs: 'all', queue: { max_bytes: 60_000, when_full: 'refuse-newest' } }), tmp(), metrics);
  await s.start();
  const batches = simulatedBatches(2000, 6, 100);
  for (const b of batches) s.tap(b);
  const refused = metrics.find('flowlogs_sink_dropped_records_total')!.get({ sink: 't', reason: 'queue_full_newest' });
  const accepted = metrics.find('flowlogs_sink_accepted_records_total')!.get({ sink: 't' });
  assert.ok(refused > 0);
  assert.equal(accepted + refused, 2000);
  assert.equal(s.queuedRecords, accepted);
  assert.ok(s.queuedBytes <= 60_000);
  await s.stop();
});
