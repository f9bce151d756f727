// Abandoning a row. A parser writes a record's fields as it reads them; when the input turns
// out to be bad half-way, the row is zeroed and given back, because FlowBatch promises that a
// freshly claimed row holds only defaults.

import type { FlowBatch, StringColumn } from '../../schema/batch.js';
import { FIELDS } from '../../schema/fields.js';

const WIDTH: number[] = FIELDS.map((f) => (f.type === 'ip' ? 4 : 1));

/** Zeroes `row` (the last claimed one) and gives it back. */
export function abandonRow(batch: FlowBatch, row: number): void {
  for (let i = 0; i < FIELDS.length; i++) {
    const col = batch.cols[FIELDS[i].name] as Uint8Array | StringColumn;
    if ('codes' in col) col.codes[row] = 0;
    else col.fill(0, row * WIDTH[i], (row + 1) * WIDTH[i]);
  }
  if (batch.length === row + 1) batch.length = row;
}
