import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { handInventory } from '../../test/answers/hand-inventory.js';
import { indexOf, tempStore, type TempStore } from '../../test/answers/support.js';
import { hourOfWeek } from '../detect/baseline.js';
import { FlowBatch } from '../schema/batch.js';
import { capacity, daysToReach, fitLine } from './capacity.js';
import { baselineProfiles } from './profiles.js';

const T0 = 1_795_000_000 - (1_795_000_000 % 86400);
const DAY = 86400;
const base = { account_id: '111111111111', protocol: 6, packets: 10, action: 'ACCEPT', src_port: 40000, dst_port: 443 };

let ts: TempStore;
before(async () => {
  const recs = [];
  // Ten days, one record an hour: eni-web grows by 2 Mbit/s a day from 10 Mbit/s; eni-app stays at 5.
  for (let h = 0; h < 240; h++) {
    const t = T0 + h * 3600;
    const d = Math.floor(h / 24);
    recs.push({ ...base, interface_id: 'eni-web', direction: 'egress', src_addr: '10.0.1.10', dst_addr: '198.51.100.7', bytes: ((10 + 2 * d) * 1e6 * 3600) / 8, start: t, end: t + 3600 });
    recs.push({ ...base, interface_id: 'eni-app', direction: 'egress', src_addr: '10.0.2.20', dst_addr: '10.0.2.30', bytes: (5e6 * 3600) / 8, start: t, end: t + 3600 });
  }
  // Two weeks of eni-db in five-minute windows, its bytes set by the hour of the week.
  const from = T0 - 14 * DAY;
  for (let t = from; t < T0; t += 300) {
    const h = hourOfWeek(t);
    recs.push({ ...base, interface_id: 'eni-db', direction: 'ingress', src_addr: '10.0.2.20', dst_addr: '10.0.2.30', bytes: 1000 * (h + 1), packets: h + 1, start: t, end: t + 300 });
  }
  ts = await tempStore([FlowBatch.fromRecords(recs)]);
});
after(async () => ts.close());

test('a straight line through daily peaks and the days until it meets the cap', () => {
  const line = fitLine([0, 1, 2, 3], [10, 12, 14, 16])!;
  assert.deepEqual([line.slope, line.intercept], [2, 10]);
  assert.equal(daysToReach(line, 4, 100), 41);
  assert.equal(daysToReach(line, 50, 100), 0);
  assert.equal(daysToReach({ slope: -1, intercept: 10 }, 0, 100), null);
  assert.equal(fitLine([0, 1], [1, 2]), null);
});

test('capacity: utilisation against the cap, the daily trend, days to saturation, and who grew', async () => {
  const r = await capacity({ store: ts.store, range: { from: T0, to: T0 + 10 * DAY }, inventory: indexOf(handInventory()) }, { window: 3600 });
  const web = r.rows.find((x) => x.entity === 'eni-web')!;
  assert.equal(web.cap_mbps, 100);
  assert.equal(web.peak_bps, 28e6);
  assert.equal(web.utilisation_peak, 0.28);
  assert.deepEqual(web.daily.map((d) => d.p95_bps / 1e6), [10, 12, 14, 16, 18, 20, 22, 24, 26, 28]);
  assert.ok(Math.abs(web.trend_bps_per_day! - 2e6) < 1e-3);
  // At the end of day 10 the line is at 30 Mbit/s: 70 more at 2 a day.
  assert.ok(Math.abs(web.days_to_saturation! - 35) < 1e-9);
  const app = r.rows.find((x) => x.entity === 'eni-app')!;
  assert.equal(app.cap_mbps, null);
  assert.equal(app.days_to_saturation, null);
  assert.ok(Math.abs(app.trend_bps_per_day!) < 1e-6);
  assert.equal(r.rows[0].entity, 'eni-web', 'the nearest saturation first');
  // First quarter (60 h): 24 h at 10, 24 at 12, 12 at 14; last quarter: 12 h at 24, 24 at 26, 24 at 28.
  assert.equal(r.growth.by, 'eni');
  const g = r.growth.rows[0];
  assert.equal(g.key, 'eni-web');
  assert.ok(Math.abs(g.early_bps - 11.6e6) < 1 && Math.abs(g.late_bps - 26.4e6) < 1, `${g.early_bps} ${g.late_bps}`);
  assert.equal(g.share, 1);
});

test('baseline profiles: each hour-of-week cell holds that hour\'s windows, the busiest hour is Sunday 23:00', async () => {
  const r = await baselineProfiles({ store: ts.store, range: { from: T0 - 14 * DAY, to: T0 } }, { level: 'eni', entities: ['eni-db'], window: 300 });
  const p = r.profiles[0];
  assert.equal(p.windows, 14 * 288);
  const bps = p.metrics.bps;
  for (const c of bps.cells) {
    const want = (8 * 1000 * (c.hour + 1)) / 300;
    assert.equal(c.p50, want, `hour ${c.hour}`);
    assert.equal(c.p95, want);
    assert.equal(c.samples, 24, 'two weeks of twelve windows an hour');
    assert.ok(Math.abs(c.mean - want) / want < 1e-6, 'the baseline learned the same value');
  }
  assert.deepEqual(bps.busiest, { hour: 167, label: 'Sun 23:00', p95: (8 * 1000 * 168) / 300 });
  assert.equal(p.metrics.pps.cells[5].p50, 6 / 300);
  assert.equal(p.metrics.flows.cells[100].p50, 1);
  assert.equal(p.metrics.peers.cells[100].p99, 1);
  const next = hourOfWeek(T0);
  assert.equal(bps.next.source, 'hour_of_week');
  assert.ok(Math.abs(bps.next.mean - (8 * 1000 * (next + 1)) / 300) < 1e-3);
  // Without a list, the busiest entities of the level.
  const top = await baselineProfiles({ store: ts.store, range: { from: T0, to: T0 + 10 * DAY } }, { level: 'eni', limit: 1, window: 3600 });
  assert.deepEqual(top.profiles.map((x) => x.entity), ['eni-web']);
});
