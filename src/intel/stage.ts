// The enrichment stage that fills `threat`: both ends of every flow are looked up in the
// current index, and the names of the lists that hold either are written (joined by ',').
// Label codes are interned once per batch, not per row.

import type { Stage } from '../pipeline/pipeline.js';
import type { FlowBatch } from '../schema/batch.js';
import type { IntelIndex } from './intel-index.js';

export class IntelStage implements Stage {
  readonly name = 'intel';
  private codes = new Int32Array(64);
  /** Rows that matched a list, since start. */
  matched = 0;

  constructor(private readonly current: () => IntelIndex | undefined) {}

  process(batch: FlowBatch): void {
    const index = this.current();
    if (!index || index.ranges === 0) return;
    const n = batch.length;
    const src = batch.cols.src_addr;
    const dst = batch.cols.dst_addr;
    const threat = batch.cols.threat;
    const labels = index.labels;
    if (this.codes.length < labels.length + 1) this.codes = new Int32Array(labels.length * 2 + 16);
    const codes = this.codes;
    codes.fill(-1, 0, labels.length + 1);
    let matched = 0;
    for (let r = 0; r < n; r++) {
      const o = r * 4;
      const a = src[o] === 0 && src[o + 1] === 0 && src[o + 2] === 0xffff ? index.lookupV4(src[o + 3]) : index.lookup(src, o);
      const b = dst[o] === 0 && dst[o + 1] === 0 && dst[o + 2] === 0xffff ? index.lookupV4(dst[o + 3]) : index.lookup(dst, o);
      if ((a | b) === 0) continue;
      const label = a === 0 ? b : b === 0 ? a : index.union(a, b);
      if (label >= codes.length) this.codes = growCodes(this.codes, label);
      let code = this.codes[label];
      if (code < 0) code = this.codes[label] = threat.dict.intern(labels[label]);
      threat.codes[r] = code;
      matched++;
    }
    this.matched += matched;
  }
}

function growCodes(a: Int32Array<ArrayBuffer>, need: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(Math.max(need + 1, a.length * 2)).fill(-1);
  b.set(a);
  return b;
}
