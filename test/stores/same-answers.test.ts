// The same records in the embedded store and in ClickHouse give the same answers: every query
// of a battery (filters, aggregates, buckets, quantiles, rollup-planned and raw) and every
// analysis, value for value.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { bandwidth, mix, rejected, sankey, series, top, type AnalysisInput } from '../../src/analyze/analyses.js';
import { exactFilter } from '../../src/query/index.js';
import { answer, SAME_ANSWER_QUERIES, simulated } from './query-suite.js';
import { clickhouseKind, duckdbKind, type OpenedStore, type StoreKind } from './stores.js';

const kinds: StoreKind[] = [duckdbKind(), clickhouseKind(1)];
const opened: OpenedStore[] = [];
let data: ReturnType<typeof simulated>;

before(async () => {
  data = simulated(200);
  for (const k of kinds) {
    await k.setup();
    const o = await k.open();
    for (const b of data.batches) await o.store.append(b);
    await o.settle();
    opened.push(o);
  }
});

after(async () => {
  for (const o of opened) await o.close();
  for (const k of kinds) await k.teardown();
});

test('every query of the battery gives the same rows on both stores', async () => {
  const ranges = [
    { from: 0, to: 2 ** 32 },
    { from: data.start + 1234, to: data.start + 2 * 3600 + 77 },
  ];
  for (const q of SAME_ANSWER_QUERIES) {
    for (const range of ranges) {
      // Record listings are read over ten minutes: whole records are many values each.
      const r = q.includes('|') ? range : { from: range.from === 0 ? data.start + 3000 : range.from, to: (range.from === 0 ? data.start + 3000 : range.from) + 600 };
      const [a, b] = await Promise.all(opened.map((o) => answer(o.store, q, r)));
      assert.ok(Array.isArray(a) && a.length > 0, `${q}: some rows`);
      if (!q.includes('|')) {
        // Record listings: newest first, ties in any order; compare as sets of whole rows.
        const key = (rows: unknown) => (rows as unknown[][]).map((r) => JSON.stringify(r)).sort();
        assert.deepEqual(key(a), key(b), `${q} over ${JSON.stringify(r)}`);
      } else assert.deepEqual(a, b, `${q} over ${JSON.stringify(range)}`);
    }
  }
});

function rounded(v: unknown): unknown {
  if (typeof v === 'number') return Number.isInteger(v) ? v : Number(v.toPrecision(12));
  if (Array.isArray(v)) return v.map(rounded);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, rounded(x)]));
  return v;
}

test('every analysis gives the same answer on both stores', async () => {
  const inputs = opened.map((o): AnalysisInput => ({ store: o.store, range: { from: data.start + 600, to: data.start + 3 * 3600 } }));
  const both = async <T>(f: (i: AnalysisInput) => Promise<T>, close = false): Promise<void> => {
    const [a, b] = await Promise.all(inputs.map(f));
    assert.deepEqual(close ? rounded(a) : a, close ? rounded(b) : b);
  };
  for (const by of ['src', 'dst', 'pair', 'port', 'eni', 'subnet', 'vpc', 'action', 'dst_country']) {
    for (const metric of ['bytes', 'packets', 'flows', 'peers']) await both((i) => top(i, { by, metric, limit: 7 }));
  }
  await both((i) => series(i, {}));
  await both((i) => series(i, { bucket: 300, split: 'eni', groups: 4 }));
  await both((i) => sankey(i, { from: 'subnet', to: 'dst_country' }));
  await both((i) => mix(i, {}));
  // Bandwidth sums per-minute rates in JS in the order rows arrive (its query has no ORDER BY),
  // so the last bits of its averages depend on row order: compared to 12 significant digits.
  await both((i) => bandwidth(i, { limit: 50 }), true);
  await both((i) => rejected(i, {}));
  await both((i) => top({ ...i, filter: 'protocol:tcp AND NOT dst_port:443', scope: exactFilter([{ field: 'account_id', values: ['111111111111', '222222222222'] }]) }, { by: 'src', limit: 5 }));
});
