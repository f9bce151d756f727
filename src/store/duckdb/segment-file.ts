// Encoding one segment and making it durable. Runs in an encoder thread (segment-worker.ts)
// or, where threads are unavailable, inline.

import fs from 'node:fs';
import path from 'node:path';
import { FlowBatch, type SharedBatch } from '../../schema/batch.js';
import { encodeParquet } from '../../schema/parquet/writer.js';
import { ByteSink } from '../../schema/parquet/thrift.js';
import { stagedSegmentName } from './manifest.js';

export interface SegmentJob {
  id: number;
  flowsDir: string;
  batches: SharedBatch[];
}

export interface SegmentDone {
  id: number;
  name?: string;
  rows: number;
  minStart: number;
  maxStart: number;
  bytes: number;
  error?: string;
}

const sink = new ByteSink(1 << 22);

export function writeSegment(job: SegmentJob): SegmentDone {
  try {
    const batches = job.batches.map((b) => FlowBatch.fromShared(b));
    let minStart = Infinity;
    let maxStart = 0;
    let rows = 0;
    for (const b of batches) {
      const s = b.cols.start;
      for (let i = 0; i < b.length; i++) {
        const v = s[i];
        if (v < minStart) minStart = v;
        if (v > maxStart) maxStart = v;
      }
      rows += b.length;
    }
    if (rows === 0) return { id: job.id, rows: 0, minStart: 0, maxStart: 0, bytes: 0 };
    const bytes = encodeParquet(
      batches.map((batch) => ({ batch, from: 0, to: batch.length })),
      undefined,
      {},
      sink,
      // Segments live minutes, until compaction: spend CPU on getting them durable, not small.
      'fast',
    );
    const name = stagedSegmentName(minStart, maxStart, rows, job.id);
    const file = path.join(job.flowsDir, name);
    const tmp = `${file}.tmp`;
    const fd = fs.openSync(tmp, 'w');
    try {
      let off = 0;
      while (off < bytes.length) off += fs.writeSync(fd, bytes, off, bytes.length - off, off);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
    const dfd = fs.openSync(path.dirname(file), 'r');
    try {
      fs.fsyncSync(dfd);
    } finally {
      fs.closeSync(dfd);
    }
    return { id: job.id, name, rows, minStart, maxStart, bytes: bytes.length };
  } catch (e) {
    return { id: job.id, rows: 0, minStart: 0, maxStart: 0, bytes: 0, error: e instanceof Error ? e.message : String(e) };
  }
}
