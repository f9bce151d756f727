// Copying chosen rows of a batch into a new one, a run of consecutive rows at a time: batches
// are mostly kept or dropped in long runs, and a copy per run re-codes strings once per run
// instead of once per row.

import { FlowBatch } from '../schema/batch.js';

/** The rows listed in `rows[0, n)` (ascending), plus room for `extra` more rows. */
export function copyRowList(src: FlowBatch, rows: Int32Array, n: number, extra = 0): FlowBatch {
  const out = new FlowBatch(Math.max(1, n + extra));
  let i = 0;
  while (i < n) {
    const from = rows[i];
    let to = from + 1;
    i++;
    while (i < n && rows[i] === to) {
      to++;
      i++;
    }
    out.appendRows(src, from, to);
  }
  return out;
}

/** The rows for which `keep` is true; `src` itself when that is every row. */
export function selectRows(src: FlowBatch, keep: (row: number) => boolean): FlowBatch {
  const rows = new Int32Array(src.length);
  let n = 0;
  for (let r = 0; r < src.length; r++) if (keep(r)) rows[n++] = r;
  return n === src.length ? src : copyRowList(src, rows, n);
}
