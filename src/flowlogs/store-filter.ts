// Flow logs choose their destinations: rows of a flow log that does not name the built-in
// store go only to its sinks. Rows of no flow log, or of ids this registry does not know
// (cloud imports tag theirs), are stored.

import type { StoreFilter } from '../pipeline/pipeline.js';
import type { FlowBatch } from '../schema/batch.js';
import type { FlowLogRegistry } from './registry.js';
import { selectRows } from './select-rows.js';

export function flowLogStoreFilter(registry: Pick<FlowLogRegistry, 'storesRows'>): StoreFilter {
  return (batch: FlowBatch): FlowBatch => {
    const col = batch.cols.flow_log_id;
    const ids = col.dict.values;
    let dropSome = false;
    const keep = new Uint8Array(ids.length);
    keep[0] = 1;
    for (let code = 1; code < ids.length; code++) {
      keep[code] = registry.storesRows(ids[code]) ? 1 : 0;
      if (keep[code] === 0) dropSome = true;
    }
    if (!dropSome) return batch;
    const codes = col.codes;
    return selectRows(batch, (r) => keep[codes[r]] === 1);
  };
}
