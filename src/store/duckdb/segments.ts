// The write path: appended rows are copied into shared-memory batches; every `flushMs` (or
// `flushRows`) the filled batches become one segment that an encoder thread writes as Parquet
// and makes durable (fsync + atomic rename). An append resolves only when its segment is on
// disk, which is what lets callers (sinks, importers) acknowledge upstream.

import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { FlowBatch } from '../../schema/batch.js';
import { STAGING, type SegmentInfo } from './manifest.js';
import { writeSegment, type SegmentDone, type SegmentJob } from './segment-file.js';

export interface SegmentWriterOptions {
  /** Write a segment once this many rows are buffered… */
  flushRows: number;
  /** …or once the oldest buffered row has waited this long. */
  flushMs: number;
  /** Rows per Parquet row group (and per shared buffer). */
  rowGroupRows: number;
  /** Encoder threads; 0 encodes on the calling thread. */
  encoders: number;
}

export const DEFAULT_SEGMENT_OPTIONS: SegmentWriterOptions = { flushRows: 1 << 18, flushMs: 1000, rowGroupRows: 1 << 16, encoders: 2 };

interface Waiter {
  resolve: () => void;
  reject: (e: unknown) => void;
}

interface Segment {
  id: number;
  batches: FlowBatch[];
  /** Per batch: true for our merge buffers (reused), false for callers' batches. */
  owned: boolean[];
  rows: number;
  waiters: Waiter[];
}

const workerUrl = new URL('./segment-worker.js', import.meta.url);

/** Batches at least this large (and in shared memory) are not copied into merge buffers. */
const PASS_THROUGH_ROWS = 4096;

/** Encoder threads need the compiled worker file; when run from sources, encode inline. */
function workersAvailable(): boolean {
  return fs.existsSync(fileURLToPath(workerUrl));
}

export class SegmentWriter {
  private current: Segment;
  private timer: NodeJS.Timeout | undefined;
  private nextId = 0;
  private readonly free: FlowBatch[] = [];
  private readonly idle: Worker[] = [];
  private readonly workers: Worker[] = [];
  private readonly queue: Segment[] = [];
  private readonly inFlight = new Map<number, Segment>();
  private readonly drainWaiters: (() => void)[] = [];
  private written = 0;
  private failure: Error | undefined;

  constructor(
    private readonly flowsDir: string,
    private readonly opts: SegmentWriterOptions,
    private readonly onSegment: (s: SegmentInfo) => void,
  ) {
    this.current = this.newSegment();
  }

  get bufferedRows(): number {
    let n = this.current.rows;
    for (const s of this.queue) n += s.rows;
    for (const s of this.inFlight.values()) n += s.rows;
    return n;
  }

  get appendedRows(): number {
    return this.written;
  }

  async init(): Promise<void> {
    await fs.promises.mkdir(path.join(this.flowsDir, STAGING), { recursive: true });
    const n = workersAvailable() ? this.opts.encoders : 0;
    for (let i = 0; i < n; i++) {
      const w = new Worker(workerUrl);
      w.on('message', (done: SegmentDone) => {
        // An idle encoder must not keep the process alive; a busy one must.
        w.unref();
        this.idle.push(w);
        this.finish(done);
      });
      w.on('error', (e) => {
        this.failure = e instanceof Error ? e : new Error(String(e));
        for (const s of this.inFlight.values()) s.waiters.forEach((x) => x.reject(this.failure));
        this.inFlight.clear();
        this.notifyDrain();
      });
      w.unref();
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  private newSegment(): Segment {
    return { id: this.nextId++, batches: [], owned: [], rows: 0, waiters: [] };
  }

  private takeBuffer(): FlowBatch {
    const b = this.free.pop() ?? new FlowBatch(this.opts.rowGroupRows, { shared: true });
    b.reset();
    return b;
  }

  append(batch: FlowBatch): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (batch.length === 0) return Promise.resolve();
    const seg = this.current;
    if (batch.shared && batch.length >= PASS_THROUGH_ROWS) {
      // Large shared batches go to the encoder as they are: no copy on this thread.
      seg.batches.push(batch);
      seg.owned.push(false);
    } else for (let from = 0; from < batch.length; ) {
      let target = seg.batches[seg.batches.length - 1];
      if (!target || target.full || !seg.owned[seg.batches.length - 1]) {
        target = this.takeBuffer();
        seg.batches.push(target);
        seg.owned.push(true);
      }
      const n = Math.min(batch.length - from, target.capacity - target.length);
      target.appendRows(batch, from, from + n);
      from += n;
    }
    seg.rows += batch.length;
    const done = new Promise<void>((resolve, reject) => seg.waiters.push({ resolve, reject }));
    if (seg.rows >= this.opts.flushRows) this.cut();
    else if (!this.timer) this.timer = setTimeout(() => this.cut(), this.opts.flushMs);
    return done;
  }

  /** Closes the current segment and hands it to an encoder. */
  private cut(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const seg = this.current;
    if (seg.rows === 0) return;
    this.current = this.newSegment();
    this.queue.push(seg);
    this.dispatch();
  }

  private dispatch(): void {
    while (this.queue.length) {
      const seg = this.queue[0];
      const job: SegmentJob = { id: seg.id, flowsDir: this.flowsDir, batches: seg.batches.map((b) => b.toShared()) };
      if (this.workers.length === 0) {
        this.queue.shift();
        this.inFlight.set(seg.id, seg);
        // Inline: still asynchronous to the caller, so append() never runs encoding re-entrantly.
        setImmediate(() => this.finish(writeSegment(job)));
        continue;
      }
      const w = this.idle.pop();
      if (!w) return;
      this.queue.shift();
      this.inFlight.set(seg.id, seg);
      w.ref();
      w.postMessage(job);
    }
  }

  private finish(done: SegmentDone): void {
    const seg = this.inFlight.get(done.id);
    if (!seg) return;
    this.inFlight.delete(done.id);
    if (done.error) {
      const err = new Error(`writing flow segment failed: ${done.error}`);
      seg.waiters.forEach((w) => w.reject(err));
    } else {
      this.written += done.rows;
      if (done.name) this.onSegment({ name: done.name, rows: done.rows, minStart: done.minStart, maxStart: done.maxStart, bytes: done.bytes });
      seg.waiters.forEach((w) => w.resolve());
    }
    seg.batches.forEach((b, i) => seg.owned[i] && this.free.push(b));
    // Keep a few buffers for reuse; let the rest go back to the system.
    if (this.free.length > 8 * Math.max(1, this.workers.length)) this.free.length = 8 * Math.max(1, this.workers.length);
    this.dispatch();
    this.notifyDrain();
  }

  private notifyDrain(): void {
    if (this.queue.length === 0 && this.inFlight.size === 0) this.drainWaiters.splice(0).forEach((f) => f());
  }

  /** Writes whatever is buffered; resolves when every segment so far is durable. */
  flush(): Promise<void> {
    this.cut();
    if (this.queue.length === 0 && this.inFlight.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  async close(): Promise<void> {
    await this.flush();
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
    this.idle.length = 0;
  }
}
