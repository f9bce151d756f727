// Records for sink tests: real AWS flow-log lines from Elastic's integration tests (parsed by
// our AWS importer), and larger batches from the traffic simulator.

import fs from 'node:fs';
import { FlowBatch } from '../schema/batch.js';
import { parseFile } from '../sources/cloud/test-helpers.js';
import { BatchList } from '../sources/source.js';
import { loadExampleInventory, Simulator } from '../sources/simulator/index.js';
import { testdata } from '../../test/support/paths.js';

export const AWS_SAMPLES = testdata('elastic-integrations', 'aws', 'test-extra-samples.log');

/** The seven lines of test-extra-samples.log as one batch (row i = line i + 1). */
export function awsSampleBatch(): FlowBatch {
  const { records, problems } = parseFile('aws', AWS_SAMPLES);
  if (problems.total) throw new Error(`${AWS_SAMPLES}: ${problems.total} lines not parsed`);
  return FlowBatch.fromRecords(records);
}

export function awsSampleLines(): string[] {
  return fs.readFileSync(AWS_SAMPLES, 'utf8').split('\n').filter(Boolean);
}

/** `n` simulated flows (deterministic for a seed), in batches of up to `batchRows`. */
export function simulatedBatches(n: number, seed = 1, batchRows = 8192): FlowBatch[] {
  const sim = new Simulator(loadExampleInventory(), { seed, windowSeconds: 60, startTime: 1_795_000_000, flowsPerWindow: Math.min(20_000, n) });
  const list = new BatchList(batchRows);
  while (list.length < n) sim.nextWindow(list);
  const out: FlowBatch[] = [];
  let left = n;
  for (const b of list.batches) {
    if (left <= 0) break;
    if (b.length > left) b.length = left;
    left -= b.length;
    out.push(b);
  }
  return out;
}

/** Gives each record a unique `bytes` value (1, 2, 3 …) so a receiver can check every one arrived once. */
export function numbered(batches: FlowBatch[], from = 1): number {
  let k = from;
  for (const b of batches) for (let r = 0; r < b.length; r++) b.cols.bytes[r] = k++;
  return k - from;
}
