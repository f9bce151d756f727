// A batch that may already be in ClickHouse is written only where it is missing: ClickHouse
// commits an INSERT per partition (day), so a failure can leave one day of a batch stored and
// the other not. Checked on Debian's clickhouse-server (18.16).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { wireFromBatch } from '../../src/bus/wire.js';
import { FlowBatch } from '../../src/schema/batch.js';
import { ClickHouseStore } from '../../src/store/clickhouse/store.js';
import { startClickHouse, type TestClickHouse } from './server.js';

let ch: TestClickHouse;
let store: ClickHouseStore;
const MIDNIGHT = Math.floor(1_795_300_000 / 86400) * 86400;

before(async () => {
  ch = await startClickHouse(1);
  store = new ClickHouseStore({ url: ch.storeUrl('dedup') });
  await store.start();
});

after(async () => {
  await store?.stop();
  await ch?.stop();
});

/** 10 records on each side of a UTC midnight; bytes tell them apart. */
function twoDays(offset: number): FlowBatch {
  const b = new FlowBatch(20);
  for (let i = 0; i < 20; i++) b.push({ src_addr: `10.0.0.${i}`, bytes: offset + i, packets: 1, start: MIDNIGHT - 300 + i * 30, interface_id: 'eni-1' });
  return b;
}

async function count(where = '1'): Promise<{ rows: number; distinct: number }> {
  const [rows, distinct] = (await store.text(`SELECT count(), uniqExact(bytes) FROM dedup.flows WHERE ${where}`)).trim().split('\t').map(Number);
  return { rows, distinct };
}

test('a batch flagged as possibly stored is written only for the days ClickHouse lacks', async () => {
  const b = wireFromBatch(twoDays(1000), 'batch-1');
  // A first attempt that got only the first day in (as an INSERT failing between partitions would).
  const firstDay = wireFromBatch(twoDays(1000), 'batch-1', 0, 10);
  assert.deepEqual(await store.insert([firstDay]), { inserted: 10, skipped: 0 });
  // The retry, flagged: day one is skipped, day two written.
  assert.deepEqual(await store.insert([b], new Set(['batch-1'])), { inserted: 10, skipped: 10 });
  assert.deepEqual(await count('bytes BETWEEN 1000 AND 1019'), { rows: 20, distinct: 20 });
  // A redelivery of the whole batch: nothing written.
  assert.deepEqual(await store.insert([b], new Set(['batch-1'])), { inserted: 0, skipped: 20 });
  // Beside it in the same INSERT, a new batch and an unflagged one are written as they are.
  const other = wireFromBatch(twoDays(2000), 'batch-2');
  const third = wireFromBatch(twoDays(3000), 'batch-3');
  assert.deepEqual(await store.insert([b, other, third], new Set(['batch-1', 'batch-2'])), { inserted: 40, skipped: 20 });
  assert.deepEqual(await count(), { rows: 60, distinct: 60 });
  // Both days hold their share, and the rollups count every record once.
  assert.equal((await store.text('SELECT count() FROM dedup.flows GROUP BY toYYYYMMDD(toDateTime(start, \'UTC\')) ORDER BY 1')).trim(), '30\n30');
  assert.equal((await store.text('SELECT sum(flows) FROM dedup.flows_src_1h')).trim(), '60');
});

test('appends are acknowledged once stored, and records read back whole', async () => {
  const b = twoDays(5000);
  await store.append(b);
  const back = await store.flows({ range: { from: MIDNIGHT - 300, to: MIDNIGHT + 300 }, filters: [{ field: 'bytes', values: ['5000', '5019'] }], limit: 10, order: 'oldest' });
  assert.deepEqual([...back.rows()], [b.get(0), b.get(19)]);
  assert.equal(store.stats().bufferedRows, 0);
});

test('retention drops whole UTC days older than the horizon, in every table', async () => {
  const before = await count();
  const r = await store.applyRetention(1, MIDNIGHT + 86400 + 10);
  // Everything before midnight goes (the first day's 10 records of each of the 4 batches).
  assert.deepEqual(r, { removedRows: 40, removedFiles: r.removedFiles });
  assert.ok(r.removedFiles >= 1);
  assert.deepEqual(await count(), { rows: before.rows - 40, distinct: before.distinct - 40 });
  assert.equal(Number((await store.text(`SELECT count() FROM dedup.flows WHERE start < ${MIDNIGHT}`)).trim()), 0);
  assert.equal(Number((await store.text(`SELECT count() FROM dedup.flows_iface_1m WHERE start < ${MIDNIGHT}`)).trim()), 0);
});
