// Each detector on synthetic traffic: the pattern it looks for is reported (once per key and
// window, with the right entities and evidence), and the everyday traffic that resembles it
// is not.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseFilter } from '../../query/index.js';
import { IntelIndex } from '../../intel/intel-index.js';
import { parseCidr } from '../../schema/ip.js';
import { parseSmall } from '../../inventory/test-fixture.js';
import { compileRowFilter } from '../row-filter.js';
import { DetectionEngine, type DetectorRule } from '../engine.js';
import { batchOf, Collected, flow, type Flow } from '../test-flows.js';
import type { FlowBatch } from '../../schema/batch.js';

const T = 1_767_225_600;
const run = async (detector: string, flows: Flow[] | Flow[][], params: Record<string, unknown> = {}, opts: ConstructorParameters<typeof DetectionEngine>[2] = {}, window_s = 60) => {
  const sink = new Collected();
  const rules: DetectorRule[] = [{ id: detector, detector, enabled: true, window_s, params }];
  const engine = new DetectionEngine(rules, sink, opts);
  const batches = Array.isArray(flows[0]) ? (flows as Flow[][]) : [flows as Flow[]];
  for (const b of batches) await engine.consume(batchOf(b));
  await engine.flush();
  return { sink, reported: sink.of(detector), engine };
};

/** Rows of `batch` the evidence filter selects (what the store would return). */
function evidenceRows(query: string, batch: FlowBatch): number[] {
  const test = compileRowFilter(parseFilter(query))(batch);
  return Array.from({ length: batch.length }, (_, i) => i).filter(test);
}

test('horizontal scan: failed attempts to many addresses on one port; a scraper that succeeds is not one', async () => {
  const probes = Array.from({ length: 40 }, (_, i) => flow({ start: T, src_addr: '10.0.0.9', dst_addr: `10.0.1.${i + 1}`, src_port: 50000 + i, dst_port: 445, tcp_flags: 2, packets: 2, bytes: 120, action: i % 2 ? 'REJECT' : 'ACCEPT', interface_id: 'eni-scanner' }));
  const scrapes = Array.from({ length: 60 }, (_, i) => flow({ start: T, src_addr: '10.0.0.50', dst_addr: `10.0.2.${i + 1}`, dst_port: 9100, tcp_flags: 0x1b }));
  const { reported, sink } = await run('horizontal_scan', [...probes, ...scrapes]);
  assert.equal(reported.length, 1);
  const f = reported[0];
  assert.equal(f.key, '10.0.0.9|6|445');
  assert.deepEqual(f.entities.addresses, ['10.0.0.9']);
  assert.deepEqual(f.entities.ports, [445]);
  assert.deepEqual(f.entities.interfaces, ['eni-scanner']);
  const final = sink.all.find((x) => x.refresh)!;
  assert.ok(Math.abs(final.metrics.destinations - 40) <= 8, `destinations ${final.metrics.destinations}`);
  const b = batchOf([...probes, ...scrapes]);
  assert.deepEqual(evidenceRows(f.evidence.query, b), probes.map((_, i) => i));
});

test('vertical scan: one source failing on many ports of one host; a client of a few services is not one', async () => {
  const scan = Array.from({ length: 100 }, (_, i) => flow({ start: T, src_addr: '203.0.113.7', dst_addr: '10.0.0.20', src_port: 60000, dst_port: i + 1, tcp_flags: i % 3 ? 2 : 6, packets: 1, bytes: 60, action: i % 2 ? 'REJECT' : 'ACCEPT' }));
  const client = [22, 80, 443, 8080, 5432].flatMap((p) => Array.from({ length: 10 }, (_, k) => flow({ start: T, src_addr: '10.0.0.30', dst_addr: '10.0.0.20', src_port: 40000 + k, dst_port: p })));
  const { reported, sink } = await run('vertical_scan', [...scan, ...client]);
  assert.equal(reported.length, 1);
  assert.equal(reported[0].key, '203.0.113.7|10.0.0.20');
  assert.ok(Math.abs(sink.all.find((x) => x.refresh)!.metrics.ports - 100) <= 10);
  assert.deepEqual(evidenceRows(reported[0].evidence.query, batchOf([...scan, ...client])).length, 100);
});

test('brute force: many short SSH connections; one long session is not', async () => {
  // Each attempt is seen at both interfaces: 60 attempts, 120 records.
  const attempts = Array.from({ length: 60 }, (_, i) => [
    flow({ start: T, src_addr: '198.51.100.4', dst_addr: '10.0.0.5', src_port: 40000 + i, dst_port: 22, bytes: 3000, interface_id: 'eni-bastion', direction: 'ingress' }),
    flow({ start: T, src_addr: '198.51.100.4', dst_addr: '10.0.0.5', src_port: 40000 + i, dst_port: 22, bytes: 3000, interface_id: 'eni-bastion', direction: 'ingress' }),
  ]).flat();
  const session = Array.from({ length: 50 }, (_, i) => flow({ start: T, src_addr: '10.9.9.9', dst_addr: '10.0.0.5', src_port: 50000 + i, dst_port: 22, bytes: 5e6 }));
  const { reported, sink } = await run('brute_force', [...attempts, ...session]);
  assert.equal(reported.length, 1);
  assert.equal(reported[0].key, '198.51.100.4|10.0.0.5|22');
  assert.match(reported[0].title, /^SSH brute force/);
  const attemptsSeen = sink.all.find((x) => x.refresh)!.metrics.attempts;
  assert.ok(Math.abs(attemptsSeen - 60) <= 6, `attempts ${attemptsSeen}`);
});

test('threat intel: severity follows who opened the conversation and whether it was let in', async () => {
  const index = new IntelIndex([{ name: 'bad', entries: ['198.51.100.0/24', '2001:db8:bad::/48'].map((c) => parseCidr(c)!) }]);
  const flows = [
    flow({ start: T, src_addr: '10.0.0.5', dst_addr: '198.51.100.9', src_port: 44000, dst_port: 443, threat: 'bad' }), // outbound call
    flow({ start: T, src_addr: '198.51.100.20', dst_addr: '10.0.0.6', src_port: 51000, dst_port: 443, threat: 'bad' }), // inbound, accepted
    flow({ start: T, src_addr: '10.0.0.6', dst_addr: '198.51.100.20', src_port: 443, dst_port: 51000, threat: 'bad' }), // its reply
    flow({ start: T, src_addr: '198.51.100.30', dst_addr: '10.0.0.7', src_port: 51000, dst_port: 22, action: 'REJECT', threat: 'bad' }),
    flow({ start: T, src_addr: '2001:db8:bad::1', dst_addr: 'fd00::7', src_port: 51000, dst_port: 22, threat: 'bad' }),
    flow({ start: T, src_addr: '10.0.0.8', dst_addr: '192.0.2.1' }),
  ];
  const { reported } = await run('threat_intel', flows, {}, { intel: () => index });
  const by = Object.fromEntries(reported.map((f) => [f.key, f.severity]));
  assert.deepEqual(by, { '198.51.100.9': 'high', '198.51.100.20': 'medium', '198.51.100.30': 'low', '2001:db8:bad::1': 'medium' });
  const f = reported.find((x) => x.key === '198.51.100.20')!;
  assert.deepEqual(evidenceRows(f.evidence.query, batchOf(flows)), [1, 2]);
});

test('uncommon protocol: outside the allowlist at once; never seen on an interface only after learning', async () => {
  const day = 86400;
  const flows = [
    [flow({ start: T, interface_id: 'eni-a', protocol: 6 }), flow({ start: T, interface_id: 'eni-a', protocol: 47, src_port: 0, dst_port: 0 })],
    [flow({ start: T + 60, interface_id: 'eni-a', protocol: 17 })], // new, but eni-a is still being learned
    [flow({ start: T + day + 60, interface_id: 'eni-a', protocol: 1 }), flow({ start: T + day + 60, interface_id: 'eni-a', protocol: 6 })],
  ];
  const { reported } = await run('uncommon_protocol', flows, { learn_s: day });
  assert.deepEqual(
    reported.map((f) => [f.key, f.severity, f.windowStart]),
    [
      ['eni-a|47', 'medium', T],
      ['eni-a|1', 'low', T + day + 60],
    ],
  );
});

test('uncommon port: a served port new after learning is reported; ephemeral replies and rejected probes are not', async () => {
  const day = 86400;
  const served = (start: number, port: number, extra: Flow = {}) => flow({ start, interface_id: 'eni-web', direction: 'ingress', src_addr: '192.0.2.1', dst_addr: '10.0.0.5', src_port: 51000, dst_port: port, ...extra });
  const flows = [
    [served(T, 443), served(T, 80)],
    [served(T + day + 60, 443), served(T + day + 60, 4444), served(T + day + 60, 8443, { action: 'REJECT' }), served(T + day + 60, 22, { tcp_flags: 2 }), flow({ start: T + day + 60, interface_id: 'eni-web', direction: 'ingress', src_port: 443, dst_port: 51000 })],
  ];
  const { reported } = await run('uncommon_port', flows, { learn_s: day });
  assert.deepEqual(reported.map((f) => f.key), ['eni-web|ingress|6|4444']);
  assert.match(reported[0].title, /served port 4444\/tcp, new for it in 1 day/);
});

test('broadcast storm: packets to group addresses over the rate; a few mDNS packets are not', async () => {
  const flows = [
    flow({ start: T, interface_id: 'eni-a', src_addr: '10.0.0.5', dst_addr: '10.0.0.255', protocol: 17, src_port: 137, dst_port: 137, packets: 90_000, bytes: 9e6, dst_mac: 'ff:ff:ff:ff:ff:ff' }),
    flow({ start: T, interface_id: 'eni-a', src_addr: '10.0.0.5', dst_addr: '224.0.0.251', protocol: 17, src_port: 5353, dst_port: 5353, packets: 30_000, bytes: 3e6 }),
    flow({ start: T, interface_id: 'eni-b', src_addr: '10.0.0.6', dst_addr: '224.0.0.251', protocol: 17, src_port: 5353, dst_port: 5353, packets: 20, bytes: 2000 }),
    flow({ start: T, interface_id: 'eni-a', src_addr: '10.0.0.5', dst_addr: '10.0.0.9', packets: 1e6, bytes: 1e9 }),
  ];
  const { reported, sink } = await run('broadcast_storm', flows);
  assert.deepEqual(reported.map((f) => f.key), ['eni-a']);
  assert.equal(sink.all.find((f) => f.refresh)!.metrics.packets_per_second, 2000);
  // The evidence has both group destinations and not the unicast flow.
  assert.deepEqual(evidenceRows(sink.all.find((f) => f.refresh)!.evidence.query, batchOf(flows)), [0, 1]);
});

// eni-web has a 1000 Mbps cap in the test inventory.
const inventory = parseSmall();

test('bandwidth: over the inventory cap at once; over the baseline once it has learned', async () => {
  const egress = (start: number, bytes: number, iface = 'eni-web') => flow({ start, interface_id: iface, direction: 'egress', bytes });
  const windows: Flow[][] = [];
  // eni-web: 1000 Mbps cap, 1.5 × cap over 60 s = 11.25 GB; its baseline is 2 GB a minute, so
  // 12 GB passes the cap before the baseline's 5×. eni-free: no cap, 10 MB a minute.
  for (let w = 0; w < 40; w++) windows.push([egress(T + w * 60, 10e6, 'eni-free'), egress(T + w * 60, 2e9)]);
  windows.push([egress(T + 40 * 60, 6e9), egress(T + 40 * 60, 6e9), egress(T + 40 * 60, 20e9, 'eni-free')]);
  const { reported } = await run('bandwidth', windows, { min_mbps: 100 }, { inventory });
  assert.deepEqual(
    reported.map((f) => [f.key, f.severity, f.windowStart]),
    [
      ['eni-web|egress', 'medium', T + 2400],
      ['eni-free|egress', 'low', T + 2400],
    ],
  );
  assert.deepEqual(reported[0].entities.addresses, ['10.0.0.10', '2001:db8:1:1::10']);
  assert.match(reported[0].title, /over its 1000 Mbps cap/);
});

test('exfiltration: far more sent outside than usual; the same volume inside the network is not', async () => {
  const windows: Flow[][] = [];
  for (let w = 0; w < 40; w++) windows.push([flow({ start: T + w * 60, interface_id: 'eni-db', src_addr: '10.0.0.9', dst_addr: '52.0.0.1', bytes: 1e6 }), flow({ start: T + w * 60, interface_id: 'eni-app', src_addr: '10.0.0.8', dst_addr: '10.0.0.9', bytes: 1e6 })]);
  windows.push([flow({ start: T + 2400, interface_id: 'eni-db', src_addr: '10.0.0.9', dst_addr: '52.0.0.1', bytes: 3e9 }), flow({ start: T + 2400, interface_id: 'eni-app', src_addr: '10.0.0.8', dst_addr: '10.0.0.9', bytes: 30e9 })]);
  const { reported } = await run('exfiltration', windows, { min_bytes: 1e8 });
  assert.deepEqual(reported.map((f) => [f.key, f.windowStart]), [['eni-db', T + 2400]]);
  const last = batchOf(windows[40]);
  assert.deepEqual(evidenceRows(reported[0].evidence.query, last), [0]);
});

test('DDoS: thousands of sources at a high rate to one target; a busy server with few clients is not', async () => {
  const attack = Array.from({ length: 3000 }, (_, i) => flow({ start: T, src_addr: `198.${18 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`, dst_addr: '10.0.0.80', protocol: 17, src_port: 1024 + i, dst_port: 53, packets: 200, bytes: 20000 }));
  const busy = Array.from({ length: 50 }, (_, i) => flow({ start: T, src_addr: `10.1.0.${i}`, dst_addr: '10.0.0.90', packets: 100_000, bytes: 1e8 }));
  const { reported } = await run('ddos', [...busy, ...attack], { min_sources: 1000, min_pps: 5000 });
  assert.deepEqual(reported.map((f) => f.key), ['10.0.0.80']);
  assert.ok(reported[0].metrics.sources >= 1000);
});

test('beaconing: small calls at a steady period to one outside address; irregular browsing is not', async () => {
  const beacon = Array.from({ length: 12 }, (_, i) => flow({ start: T + Math.floor((i * 30) / 60) * 60, first_ms: (T + i * 30) * 1000 + (i % 3) * 100, src_addr: '10.0.0.7', dst_addr: '203.0.113.50', src_port: 40000 + i, dst_port: 8443, tcp_flags: 0x1b, bytes: 700 }));
  let t = T * 1000;
  const gaps = [1, 40, 3, 90, 7, 2, 55, 20, 5, 60, 4, 33];
  const browsing = gaps.map((g, i) => flow({ start: Math.floor((t += g * 1000) / 60000) * 60, first_ms: t, src_addr: '10.0.0.8', dst_addr: '203.0.113.60', src_port: 41000 + i, dst_port: 443, bytes: 900 }));
  const ntp = Array.from({ length: 12 }, (_, i) => flow({ start: T + Math.floor((i * 64) / 60) * 60, first_ms: (T + i * 64) * 1000, protocol: 17, src_addr: '10.0.0.9', dst_addr: '203.0.113.70', src_port: 123 + 40000, dst_port: 123, bytes: 76 }));
  const all = [...beacon, ...browsing, ...ntp].sort((a, b) => Number(a.first_ms) - Number(b.first_ms));
  const { reported } = await run('beaconing', all.map((f) => [f]));
  assert.deepEqual([...new Set(reported.map((f) => f.key))], ['10.0.0.7|203.0.113.50|6|8443']);
  assert.equal(reported[0].metrics.period_s, 30);
});

test('NODATA and SKIPDATA records (no traffic, protocol 0) raise no uncommon-protocol or uncommon-port alert', async () => {
  const quiet = Array.from({ length: 5 }, (_, i) => flow({ start: T, interface_id: `eni-quiet-${i}`, protocol: 0, src_port: 0, dst_port: 0, packets: 0, bytes: 0, log_status: i % 2 ? 'SKIPDATA' : 'NODATA' }));
  assert.equal((await run('uncommon_protocol', quiet)).reported.length, 0);
  // Interfaces seen serving 443 while learning, quiet (NODATA) an hour later.
  const learned = Array.from({ length: 5 }, (_, i) => flow({ start: T, interface_id: `eni-quiet-${i}`, direction: 'ingress', src_port: 443, dst_port: 40000 }));
  const later = quiet.map((f) => ({ ...f, start: T + 3600, end: T + 3660 }));
  assert.equal((await run('uncommon_port', [learned, later], { learn_s: 60 })).reported.length, 0);
});
