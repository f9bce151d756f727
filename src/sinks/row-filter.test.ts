import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseFilter } from '../query/index.js';
import { compileRowFilter } from './row-filter.js';
import { awsSampleBatch } from './test-support.js';

// Row i is line i + 1 of test-extra-samples.log.
const LINES: [string, number[]][] = [
  ['', [1, 2, 3, 4, 5, 6, 7]],
  ['dst_port:22', [1, 4]],
  ['action:REJECT', [5, 7]],
  ['log_status:(NODATA OR SKIPDATA)', [2, 3]],
  ['src_addr:78.24.0.0/16', [4, 5]],
  ['src_addr:2001:db8::/32', [1]],
  ['interface_id:eni-1111*', [3]],
  ['protocol:1 AND NOT action:REJECT', [6]],
  ['bytes:>4249', [1]],
  ['bytes:[336 TO 4249]', [4, 5, 6, 7]],
  ['start:<1418530010', []],
  ['dst_addr:203.0.113.12', [7]],
];

test('sink filters select the same sample lines the query language means', () => {
  const b = awsSampleBatch();
  for (const [q, lines] of LINES) {
    const f = compileRowFilter(parseFilter(q));
    const got = Array.from({ length: b.length }, (_, r) => r).filter((r) => !f || f(b, r)).map((r) => r + 1);
    assert.deepEqual(got, lines, q);
  }
});
