import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { handInventory } from '../../test/answers/hand-inventory.js';
import { indexOf, tempStore, type TempStore } from '../../test/answers/support.js';
import { FlowBatch } from '../schema/batch.js';
import { hogs } from './hogs.js';

// eni-app (no cap) sends 1 Mbit/s to the database every minute for two hours and the half hour
// after, then for five minutes 40 Mbit/s more to an outside address. eni-web (cap 100 Mbit/s)
// appears in the range only, with two minutes at 150 Mbit/s.
const T0 = 1_795_000_000 - (1_795_000_000 % 3600);
const MBIT_MINUTE = 1e6 * 60 / 8;

function rec(iface: string, t: number, dst: string, dport: number, mbps: number) {
  return { account_id: '111111111111', interface_id: iface, direction: 'egress', src_addr: iface === 'eni-app' ? '10.0.2.20' : '10.0.1.10', dst_addr: dst, src_port: 40000, dst_port: dport, protocol: 6, packets: 100, bytes: mbps * MBIT_MINUTE, start: t, end: t + 60, action: 'ACCEPT' };
}

let ts: TempStore;
before(async () => {
  const recs = [];
  for (let m = -120; m < 30; m++) recs.push(rec('eni-app', T0 + m * 60, '10.0.2.30', 5432, 1));
  for (let m = 10; m < 15; m++) recs.push(rec('eni-app', T0 + m * 60, '203.0.113.50', 443, 40));
  for (let m = 20; m < 22; m++) recs.push(rec('eni-web', T0 + m * 60, '198.51.100.7', 443, 150));
  ts = await tempStore([FlowBatch.fromRecords(recs)]);
});
after(async () => ts.close());

test('far above its own history: when it started and ended, how far above the usual, and to whom', async () => {
  const r = await hogs({ store: ts.store, range: { from: T0, to: T0 + 1800 }, inventory: indexOf(handInventory()) }, { lookbackDays: 1 });
  assert.equal(r.history.windows, 120);
  const app = r.hogs.find((h) => h.interface_id === 'eni-app')!;
  assert.deepEqual(app.reasons, ['above_history']);
  assert.equal(app.bandwidth_mbps, null);
  assert.equal(app.utilisation, null);
  assert.equal(app.started, T0 + 600);
  assert.equal(app.ended, T0 + 900);
  assert.equal(app.buckets_over, 5);
  assert.equal(app.peak_bps, 41e6);
  assert.ok(Math.abs(app.usual_bps! - 1e6) < 1, `usual ${app.usual_bps}`);
  assert.deepEqual(app.peers.map((p) => [p.addr, p.port]), [['203.0.113.50', 443], ['10.0.2.30', 5432]]);
  assert.ok(Math.abs(app.peers[0].share - 40 / 41) < 1e-9);
  assert.equal(app.evidence.query, 'interface_id:eni-app AND direction:egress');

  const web = r.hogs.find((h) => h.interface_id === 'eni-web')!;
  assert.deepEqual(web.reasons, ['over_cap']);
  assert.equal(web.utilisation, 1.5);
  assert.equal(web.usual_bps, null, 'no history before the range');
  assert.deepEqual([web.started, web.ended], [T0 + 1200, T0 + 1320]);
  assert.deepEqual(r.hogs.map((h) => h.interface_id), ['eni-web', 'eni-app'], 'the highest peak first');
  // Below the floor nothing counts, and without history only caps do.
  assert.deepEqual((await hogs({ store: ts.store, range: { from: T0, to: T0 + 1800 }, inventory: indexOf(handInventory()) }, { lookbackDays: 0 })).hogs.map((h) => h.interface_id), ['eni-web']);
  assert.equal((await hogs({ store: ts.store, range: { from: T0, to: T0 + 1800 } }, { lookbackDays: 1, minBps: 200e6 })).hogs.length, 0);
});
