import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { exactFilter, parseQuery } from '../query/index.js';
import { BatchList } from '../sources/source.js';
import { loadExampleInventory, Simulator } from '../sources/simulator/index.js';
import { DuckDbStore } from './duckdb/store.js';
import { prepareQuery } from './prepare.js';
import { planRollup } from './rollups.js';

test('the planner picks a tier only when it gives the exact answer', () => {
  const tier = (q: string) => planRollup(parseQuery(q))?.name;
  assert.equal(tier('| SELECT src_addr, sum(bytes) AS b GROUP BY src_addr ORDER BY b DESC LIMIT 10'), 'src_1h');
  assert.equal(tier('action:REJECT | SELECT dst_addr, count(*) AS n, sum(packets) AS p GROUP BY 1 ORDER BY n DESC'), 'dst_1h');
  assert.equal(tier('| SELECT interface_id, count(DISTINCT account_id) GROUP BY 1'), 'iface_1h');
  assert.equal(tier("| SELECT bucket(start, 3600) AS h, interface_id, sum(bytes) GROUP BY 1, 2"), 'iface_1h');
  assert.equal(tier("| SELECT bucket(start, '5m') AS t, sum(bytes) GROUP BY 1"), 'iface_1m');
  // Any tier answers a chart of all traffic: the smallest, the interfaces', is read.
  assert.equal(tier("| SELECT bucket(start, '1h') AS t, sum(bytes), count(*) GROUP BY 1"), 'iface_1h');
  // Needs raw records: a field no tier keeps, a non-additive aggregate, time finer than a minute.
  assert.equal(tier('| SELECT src_addr, dst_addr, sum(bytes) GROUP BY 1, 2'), undefined);
  assert.equal(tier('| SELECT src_addr, avg(bytes) GROUP BY 1'), undefined);
  assert.equal(tier('| SELECT src_addr, max(bytes) GROUP BY 1'), undefined);
  assert.equal(tier('bytes:>1000 | SELECT src_addr, sum(bytes) GROUP BY 1'), undefined);
  assert.equal(tier('| SELECT bucket(start, 30) AS t, sum(bytes) GROUP BY 1'), undefined);
  assert.equal(tier('| SELECT src_addr, bytes'), undefined);
  assert.equal(tier('src_port:443 | SELECT src_addr, sum(bytes) GROUP BY 1'), undefined);
  // A tenant scope on account_id keeps the tier usable.
  assert.equal(planRollup(parseQuery('| SELECT src_addr, sum(bytes) GROUP BY 1'), exactFilter([{ field: 'account_id', values: ['a'] }]))?.name, 'src_1h');
});

test('answers from rollups equal answers from raw records, across compacted and fresh data', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-rollup-'));
  const store = new DuckDbStore({ dataDir: dir, compactEveryMs: 0, segments: { flushMs: 10, encoders: 0 } });
  await store.start();
  const start = 1_795_000_000 - (1_795_000_000 % 3600);
  const sim = new Simulator(loadExampleInventory(), { seed: 7, windowSeconds: 60, startTime: start, flowsPerWindow: 400, scenarios: [{ name: 'horizontal_scan', atWindow: 30 }] });
  const append = async (windows: number) => {
    const list = new BatchList(8192);
    for (let w = 0; w < windows; w++) sim.nextWindow(list);
    for (const b of list.batches) await store.append(b);
  };
  await append(150); // 2.5 hours, compacted below
  await store.compact();
  await append(30); // fresh segments on top
  assert.ok(store.files().some((f) => f.rollups && Object.keys(f.rollups).length > 0), 'compaction wrote rollups');
  const queries = [
    '| SELECT src_addr, sum(bytes) AS b, count(*) AS n FROM flows GROUP BY src_addr ORDER BY b DESC, src_addr LIMIT 10',
    'action:REJECT | SELECT dst_addr, sum(packets) AS p, count(*) AS n GROUP BY 1 ORDER BY n DESC, dst_addr LIMIT 20',
    'direction:egress | SELECT protocol, interface_id, count(*) AS n GROUP BY 1, 2 ORDER BY n DESC, 2 LIMIT 15',
    "| SELECT bucket(start, 3600) AS h, interface_id, sum(bytes) AS b GROUP BY 1, 2 ORDER BY 1, 2",
    "| SELECT bucket(start, '5m') AS t, sum(bytes) AS b, count(*) AS n GROUP BY 1 ORDER BY 1",
  ];
  const ranges = [
    { from: 0, to: 2 ** 32 },
    { from: start + 1800, to: start + 3 * 3600 - 900 }, // partial hours at both ends
    { from: start + 3600, to: start + 7200 }, // exactly one compacted hour
  ];
  let usedTier = 0;
  for (const text of queries) {
    const q = parseQuery(text);
    for (const range of ranges) {
      const viaTier = prepareQuery(store, q);
      const raw = prepareQuery(store, q, { rollups: false });
      assert.ok(viaTier.sqlOptions.tier, `a tier answers ${text}`);
      assert.equal(raw.sqlOptions.tier, undefined);
      usedTier++;
      const a = await store.sql(viaTier.sql, range, viaTier.sqlOptions);
      const b = await store.sql(raw.sql, range);
      assert.deepEqual(a.rows, b.rows, `${text} over ${JSON.stringify(range)}`);
      assert.ok(b.rows.length > 0);
    }
  }
  assert.equal(usedTier, queries.length * ranges.length);
  await store.stop();
  fs.rmSync(dir, { recursive: true });
});
