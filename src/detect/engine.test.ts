import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DetectionEngine, validateRule, type DetectorRule } from './engine.js';
import { MetricsRegistry } from '../metrics/registry.js';
import { batchOf, Collected, flow, type Flow } from './test-flows.js';

const T = 1_767_225_600; // 2026-01-01T00:00:00Z, a multiple of 60

/** 1 broadcast flow of `packets` from an interface, in the window starting at `start`. */
const storm = (start: number, iface: string, packets: number, extra: Flow = {}): Flow =>
  flow({ start, interface_id: iface, src_addr: '10.0.0.5', dst_addr: '255.255.255.255', protocol: 17, src_port: 68, dst_port: 67, packets, bytes: packets * 300, ...extra });

const rule = (over: Partial<DetectorRule> = {}): DetectorRule => ({ id: 'storm', detector: 'broadcast_storm', enabled: true, window_s: 60, params: { min_pps: 10 }, ...over });

test('a batch spanning windows is read window by window, in record time', async () => {
  const sink = new Collected();
  const engine = new DetectionEngine([rule()], sink);
  // Window T: 300 packets (5 pps, under 10); T+60: 700 (over); T+180: 900 (over). One batch, shuffled.
  await engine.consume(batchOf([storm(T + 180, 'eni-a', 900), storm(T, 'eni-a', 300), storm(T + 60, 'eni-a', 700)]));
  await engine.flush();
  const reported = sink.of('broadcast_storm');
  assert.deepEqual(
    reported.map((f) => f.windowStart),
    [T + 60, T + 180],
  );
  assert.equal(reported[0].metrics.packets, 700);
  // Every window's refresh comes when it closes, with its own figures.
  const refreshed = sink.all.filter((f) => f.refresh);
  assert.deepEqual(
    refreshed.map((f) => [f.windowStart, f.metrics.packets]),
    [
      [T + 60, 700],
      [T + 180, 900],
    ],
  );
  assert.ok(sink.flushes >= 2);
});

test('records of a closed window fold into the open one, and the evidence range reaches back to them', async () => {
  const sink = new Collected();
  const metrics = new MetricsRegistry();
  const engine = new DetectionEngine([rule()], sink, { metrics });
  await engine.consume(batchOf([storm(T + 120, 'eni-a', 100)]));
  await engine.consume(batchOf([storm(T, 'eni-a', 600)])); // late: its window was before the open one
  await engine.flush();
  const [f] = sink.of('broadcast_storm');
  assert.equal(f.windowStart, T + 120);
  assert.equal(f.metrics.packets, 700);
  assert.equal(f.evidence.from, T);
  assert.equal(metrics.counter('flowlogs_detector_late_records_total', '').total(), 1);
});

test('a rule scope limits the flows its detector sees', async () => {
  const sink = new Collected();
  const engine = new DetectionEngine([rule({ scope: 'interface_id:eni-b OR vpc_id:vpc-x*' })], sink);
  await engine.consume(batchOf([storm(T, 'eni-a', 5000), storm(T, 'eni-b', 5000), storm(T, 'eni-c', 5000, { vpc_id: 'vpc-xyz' })]));
  await engine.flush();
  assert.deepEqual(sink.of('broadcast_storm').map((f) => f.key).sort(), ['eni-b', 'eni-c']);
});

test('rules with different windows keep their own clocks; disabled rules do not run', async () => {
  const sink = new Collected();
  const engine = new DetectionEngine([rule({ id: 'minute' }), rule({ id: 'five', window_s: 300, params: { min_pps: 2 } }), rule({ id: 'off', enabled: false })], sink);
  await engine.consume(batchOf([storm(T, 'eni-a', 400), storm(T + 60, 'eni-a', 400), storm(T + 120, 'eni-a', 400)]));
  await engine.flush();
  // 400 packets a minute: 6.7 pps, under the minute rule's 10; 1200 in five minutes: 4 pps, over 2.
  assert.deepEqual(sink.reported.map((f) => [f.rule, f.windowStart]), [['five', T]]);
  assert.deepEqual(engine.rules.map((r) => r.id).sort(), ['five', 'minute']);
});

test('changing the rules keeps the state of the unchanged ones', async () => {
  const sink = new Collected();
  const a = rule({ id: 'a' });
  const engine = new DetectionEngine([a], sink);
  await engine.consume(batchOf([storm(T, 'eni-a', 500)]));
  engine.setRules([a, rule({ id: 'b' })]);
  await engine.consume(batchOf([storm(T, 'eni-a', 500)]));
  await engine.flush();
  // Rule a saw both batches (1000 packets, 16.7 pps); b only the second (8.3 pps).
  assert.deepEqual(sink.reported.map((f) => f.rule), ['a']);
});

test('bad rules are refused with a message naming the rule', () => {
  assert.throws(() => validateRule(rule({ detector: 'nope' })), /rule 'storm': unknown detector 'nope'/);
  assert.throws(() => validateRule(rule({ params: { min_pps: -1 } })), /rule 'storm': min_pps/);
  assert.throws(() => validateRule(rule({ params: { typo: 1 } })), /rule 'storm'/);
  assert.throws(() => validateRule(rule({ scope: 'src_adr:10.0.0.1' })), /rule 'storm': scope/);
  assert.throws(() => validateRule(rule({ window_s: 0 })), /window_s/);
});

test('an inventory that is replaced while running is followed (caps, VPC blocks)', async () => {
  const { parseSmall } = await import('../inventory/test-fixture.js');
  let current: ReturnType<typeof parseSmall> | undefined;
  const sink = new Collected();
  const engine = new DetectionEngine([{ id: 'bw', detector: 'bandwidth', enabled: true, window_s: 60 }], sink, { inventory: { get: () => current } });
  const burst = (start: number) => batchOf([flow({ start, interface_id: 'eni-web', direction: 'egress', bytes: 12e9 })]);
  await engine.consume(burst(T)); // no inventory: no cap, no baseline yet
  current = parseSmall(); // eni-web: 1000 Mbps
  await engine.consume(burst(T + 60));
  await engine.flush();
  assert.deepEqual(sink.reported.map((f) => [f.windowStart, f.metrics.cap_mbps]), [[T + 60, 1000]]);
});

test('live input: records stamped far after the wall clock do not move the clock', async () => {
  const now = Math.floor(Date.now() / 60000) * 60;
  const sink = new Collected();
  const metrics = new MetricsRegistry();
  const engine = new DetectionEngine([rule()], sink, { maxFutureSeconds: 3600, metrics });
  await engine.consume(batchOf([storm(now, 'eni-a', 400)]));
  await engine.consume(batchOf([storm(now + 10 * 365 * 86400, 'eni-a', 400)])); // a broken exporter clock
  await engine.consume(batchOf([storm(now, 'eni-a', 400)]));
  await engine.flush();
  // All three in the same window: 1200 packets, 20 pps.
  assert.deepEqual(sink.all.filter((f) => f.refresh).map((f) => [f.windowStart, f.metrics.packets]), [[now, 1200]]);
  assert.equal(metrics.counter('flowlogs_detector_future_records_total', '').total(), 1);
});
