import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { BaselineSet, hourOfWeek, threshold } from './baseline.js';
import { BaselineRegistry, type BaselineMetric } from './baselines.js';

// 2026-01-05 is a Monday.
const MONDAY = Date.UTC(2026, 0, 5) / 1000;

test('hour of the week counts from Monday 00:00 UTC', () => {
  assert.equal(hourOfWeek(MONDAY), 0);
  assert.equal(hourOfWeek(MONDAY + 3600 * 25 + 59), 25);
  assert.equal(hourOfWeek(MONDAY - 1), 167); // Sunday 23:59:59
  assert.equal(hourOfWeek(Date.UTC(2026, 0, 1, 12) / 1000), 3 * 24 + 12); // a Thursday noon
});

test('a profile answers from the recent windows first, then from the hour of the week', () => {
  const s = new BaselineSet('t', { windowSeconds: 60, minSamples: 10 });
  const e = s.entity('eni-a');
  assert.equal(s.expected(e, MONDAY).source, 'none');
  // Ten windows of 100 on Monday 00:00-00:10 fill the recent profile only (the cell needs 10 too: it has them).
  for (let i = 0; i < 10; i++) s.observe(e, MONDAY + i * 60, 100);
  const mon = s.expected(e, MONDAY + 600);
  assert.equal(mon.source, 'hour_of_week');
  assert.ok(Math.abs(mon.mean - 100) < 1e-9);
  // Another hour has no cell yet: the recent profile answers.
  const tue = s.expected(e, MONDAY + 86400);
  assert.equal(tue.source, 'recent');
  assert.ok(Math.abs(tue.mean - 100) < 1e-9);
  assert.equal(tue.peak, 100);
});

test('cells learn separate levels for busy and quiet hours', () => {
  const s = new BaselineSet('t', { windowSeconds: 3600, minSamples: 3 });
  const e = s.entity('eni-a');
  for (let week = 0; week < 4; week++) {
    for (let h = 0; h < 168; h++) {
      const t = MONDAY + week * 604800 + h * 3600;
      s.observe(e, t, h % 24 >= 9 && h % 24 < 17 ? 1000 + week : 10);
    }
  }
  const busy = s.expected(e, MONDAY + 4 * 604800 + 10 * 3600);
  const quiet = s.expected(e, MONDAY + 4 * 604800 + 2 * 3600);
  assert.equal(busy.source, 'hour_of_week');
  assert.ok(busy.mean > 1000 && busy.mean < 1004, `busy ${busy.mean}`);
  assert.ok(Math.abs(quiet.mean - 10) < 1e-6, `quiet ${quiet.mean}`);
  // Far above: every limit must hold.
  const t = threshold(busy, { factor: 5, sigmas: 6, peakFactor: 0, floor: 0 });
  assert.ok(t >= 5 * busy.mean);
  assert.equal(threshold(s.expected(s.entity('eni-new'), MONDAY), { factor: 5, sigmas: 6, peakFactor: 0, floor: 0 }), Infinity);
});

test('baselines survive a save and load, and a set learns from stored history with zero-filled windows', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flowlogs-baselines-'));
  const metric: BaselineMetric = { name: 'interface.egress_bytes', entityField: 'interface_id', filter: 'direction:egress', value: 'sum(bytes)' };
  const reg = new BaselineRegistry({ minSamples: 2 });
  const set = reg.get(metric, 60);
  const a = set.entity('eni-a');
  for (let i = 0; i < 5; i++) set.observe(a, MONDAY + i * 60, 50 + i);
  const file = path.join(dir, 'detect', 'baselines.json');
  await reg.save(file);
  const back = new BaselineRegistry({ minSamples: 2 });
  back.load(file);
  const again = back.get(metric, 60);
  assert.deepEqual(again.names, ['eni-a']);
  assert.deepEqual(again.expected(0, MONDAY + 300), set.expected(a, MONDAY + 300));

  // learnFromStore: a fake store answering the compiled query with two entities.
  const rows = [
    ['eni-a', MONDAY, 100],
    ['eni-b', MONDAY, 40],
    ['eni-a', MONDAY + 120, 300],
  ];
  let asked = '';
  const store = {
    dialect: 'duckdb' as const,
    sql: async (statement: string, range: { from: number; to: number }) => {
      asked = statement;
      assert.deepEqual(range, { from: MONDAY, to: MONDAY + 180 });
      return { columns: [], rows };
    },
  };
  const fresh = new BaselineRegistry({ minSamples: 3 });
  const windows = await fresh.learnFromStore(store as never, metric, 60, { from: MONDAY, to: MONDAY + 180 });
  assert.equal(windows, 3);
  assert.match(asked, /"direction"/);
  const s2 = fresh.get(metric, 60);
  const ea = s2.expected(s2.lookup('eni-a')!, MONDAY + 180);
  // Windows 100, 0 (silent), 300.
  assert.ok(Math.abs(ea.mean - 400 / 3) < 1e-3, `mean ${ea.mean}`);
  const eb = s2.expected(s2.lookup('eni-b')!, MONDAY + 180);
  assert.ok(Math.abs(eb.mean - 40 / 3) < 1e-3);
  fs.rmSync(dir, { recursive: true });
});
