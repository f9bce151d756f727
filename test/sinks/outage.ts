// The outage scenario every sink with a real target goes through: records flow in, the
// target goes down mid-stream, more records arrive (and, optionally, flowlogs itself restarts
// while the target is still down), the target comes back, and then every record must be at
// the target exactly once after deduplication.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MetricsRegistry } from '../../src/metrics/registry.js';
import { sinksConfig } from '../../src/sinks/registry.js';
import { SinkSet } from '../../src/sinks/sink-set.js';
import { numbered, simulatedBatches } from '../../src/sinks/test-support.js';
import { sleep } from './servers/ports.js';

export interface OutagePlan {
  /** The sink's settings (one entry of the `sinks:` section), without retry/batch tuning. */
  settings: Record<string, unknown>;
  stopTarget(): Promise<void>;
  startTarget(): Promise<void>;
  /** Every record's `bytes` value found at the target, duplicates removed by the target's batch/record ids. */
  readBack(): Promise<number[]>;
  records?: number;
  outageMs?: number;
  /** Restart flowlogs' sink (a new process would do the same) while the target is down. */
  restartDuringOutage?: boolean;
  /** How long the target may take to show everything after delivery. */
  settleMs?: number;
}

export async function runOutage(p: OutagePlan): Promise<{ retried: number; delivered: number }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-outage-'));
  const total = p.records ?? 30_000;
  const cfg = sinksConfig.parse({
    s: { flow_logs: 'all', retry: { initial_ms: 50, max_ms: 400 }, ...p.settings, batch: { max_records: 1000, max_wait_ms: 50, ...((p.settings.batch as object) ?? {}) } },
  });
  let metrics = new MetricsRegistry();
  let set = new SinkSet(cfg, { dataDir, metrics });
  await set.start();
  const batches = simulatedBatches(total, 11, 500);
  assert.equal(numbered(batches), total);
  const third = Math.floor(batches.length / 3);
  const outage = p.outageMs ?? 1500;
  const feed = async (from: number, to: number, pause = 2) => {
    for (let i = from; i < to; i++) {
      set.sinks[0].tap(batches[i]);
      await sleep(pause);
    }
  };
  await feed(0, third);
  await sleep(100);
  await p.stopTarget();
  // Records keep arriving through the first half of the outage.
  await feed(third, 2 * third, outage / 2 / third);
  let retried = metrics.find('flowlogs_sink_retries_total')?.get({ sink: 's' }) ?? 0;
  assert.ok(retried > 0, 'deliveries failed and were retried while the target was down');
  assert.ok(set.sinks[0].queuedRecords > 0, 'records wait in the queue during the outage');
  if (p.restartDuringOutage) {
    await set.stop();
    metrics = new MetricsRegistry();
    set = new SinkSet(cfg, { dataDir, metrics });
    await set.start();
  }
  await sleep(outage / 2);
  await p.startTarget();
  await feed(2 * third, batches.length);
  assert.equal(await set.sinks[0].idle(60_000), true, 'the queue drained after the target came back');
  retried += metrics.find('flowlogs_sink_retries_total')?.get({ sink: 's' }) ?? 0;
  const delivered = metrics.find('flowlogs_sink_delivered_records_total')?.get({ sink: 's' }) ?? 0;
  await set.stop();
  let got: number[] = [];
  const until = Date.now() + (p.settleMs ?? 0);
  for (;;) {
    got = (await p.readBack()).sort((a, b) => a - b);
    if (got.length >= total || Date.now() >= until) break;
    await sleep(200);
  }
  const missing: number[] = [];
  const twice: number[] = [];
  for (let k = 1, i = 0; k <= total; k++) {
    if (got[i] !== k) missing.push(k);
    else {
      i++;
      if (got[i] === k) twice.push(k);
      while (got[i] === k) i++;
    }
  }
  assert.deepEqual({ missing: missing.slice(0, 10), missingCount: missing.length }, { missing: [], missingCount: 0 }, 'every record arrived');
  assert.deepEqual(twice.slice(0, 10), [], 'no record twice after deduplication');
  assert.equal(got.length, total);
  fs.rmSync(dataDir, { recursive: true, force: true });
  return { retried, delivered };
}
