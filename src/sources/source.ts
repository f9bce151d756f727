// What every source shares: it writes rows into FlowBatches handed out by a BatchSink and
// knows nothing of what happens to them next (pipeline, store, stdout).

import { FlowBatch } from '../schema/batch.js';

/** Where a source writes rows. */
export interface BatchSink {
  /**
   * A batch with room for at least one more row (a full batch is handed on first). A source
   * may fill the batch it got up to its capacity before asking again.
   */
  room(): FlowBatch;
}

/** Collects rows into batches of `capacity` and passes each full batch to `onBatch`. */
export class BatchCollector implements BatchSink {
  private current: FlowBatch;

  constructor(
    private readonly onBatch: (b: FlowBatch) => void,
    private readonly capacity = 8192,
  ) {
    this.current = new FlowBatch(capacity);
  }

  room(): FlowBatch {
    if (this.current.full) this.flush();
    return this.current;
  }

  /** Hands on the rows collected so far (if any) and starts a new batch. */
  flush(): void {
    if (this.current.length === 0) return;
    const full = this.current;
    this.current = new FlowBatch(this.capacity);
    this.onBatch(full);
  }
}

/** Keeps every row in memory: for tests and small offline decodes. */
export class BatchList implements BatchSink {
  readonly batches: FlowBatch[] = [];

  constructor(private readonly capacity = 8192) {}

  room(): FlowBatch {
    let last = this.batches[this.batches.length - 1];
    if (!last || last.full) {
      last = new FlowBatch(this.capacity);
      this.batches.push(last);
    }
    return last;
  }

  get length(): number {
    return this.batches.reduce((n, b) => n + b.length, 0);
  }

  /** Every row as a plain object (slow path). */
  records() {
    return this.batches.flatMap((b) => [...b.rows()]);
  }
}
