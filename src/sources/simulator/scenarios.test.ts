import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FlowRecord } from '../../schema/batch.js';
import { Simulator, loadExampleInventory, readThreatList, SCENARIOS, DEFAULT_START_TIME, type ScenarioTruth, type ExpectedRecords } from './index.js';
import { runWindows } from './test-support.js';

const inventory = loadExampleInventory();
const W = 60;
// Every scenario in windows 1 and 2 of four; windows 0 and 3 show the network without them.
const sim = new Simulator(inventory, { seed: 77, flowsPerWindow: 4000, startTime: DEFAULT_START_TIME + 14 * 3600, scenarios: SCENARIOS.map((name) => ({ name, atWindow: 1, windows: 2 })) });
const windows = runWindows(sim, 4);
const truths = sim.groundTruth();
const truth = (name: string): ScenarioTruth => truths.find((t) => t.scenario === name)!;
const all = windows.flatMap((w) => w.records);
const during = windows.slice(1, 3).flatMap((w) => w.records);
const outside = [...windows[0].records, ...windows[3].records];

function matches(r: FlowRecord, e: ExpectedRecords): boolean {
  return (
    r.interface_id === e.interface_id &&
    r.direction === e.direction &&
    r.action === e.action &&
    r.rule_id === e.rule_id &&
    r.protocol === e.protocol &&
    r.src_addr === e.src_addr &&
    r.dst_addr === e.dst_addr &&
    (e.dst_port === undefined || r.dst_port === e.dst_port) &&
    (e.src_port === undefined || r.src_port === e.src_port)
  );
}

function recordsOf(name: string, among: readonly FlowRecord[] = during): FlowRecord[] {
  const t = truth(name);
  return among.filter((r) => t.expected.some((e) => matches(r, e)));
}

test('there are nine scenarios, each with ground truth for the windows it ran in', () => {
  assert.deepEqual([...SCENARIOS].sort(), ['acl_blocked_return', 'bandwidth_hog', 'broadcast_storm', 'horizontal_scan', 'known_bad_ip', 'sg_blocked_service', 'ssh_brute_force', 'uncommon_protocol', 'vertical_scan']);
  assert.equal(truths.length, 9);
  for (const t of truths) {
    assert.equal(t.start, windows[1].start, t.scenario);
    assert.equal(t.end, windows[2].end, t.scenario);
    assert.equal(t.windows_generated, 2);
    assert.ok(t.expected.length > 0, `${t.scenario} recorded nothing`);
    assert.ok(t.enis.length > 0 && t.addresses.length > 0 && t.protocols.length > 0, t.scenario);
    for (const id of t.enis) assert.ok(inventory.eni(id), `${t.scenario}: unknown interface ${id}`);
    for (const id of t.instances) assert.ok(inventory.enis.some((e) => e.instanceId === id));
    assert.doesNotThrow(() => JSON.parse(JSON.stringify(t)));
  }
});

test("each scenario's records are in the output exactly as its ground truth counts them, and only while it runs", () => {
  for (const t of truths) {
    for (const e of t.expected) {
      const found = during.filter((r) => matches(r, e));
      assert.equal(found.length, e.records, `${t.scenario}: ${JSON.stringify(e)}`);
      assert.equal(
        found.reduce((s, r) => s + r.packets, 0),
        e.packets,
        `${t.scenario} packets`,
      );
      assert.equal(
        found.reduce((s, r) => s + r.bytes, 0),
        e.bytes,
        `${t.scenario} bytes`,
      );
      assert.equal(outside.filter((r) => matches(r, e)).length, 0, `${t.scenario} outside its windows: ${JSON.stringify(e)}`);
    }
  }
});

test('ground truth is deterministic', () => {
  const again = new Simulator(inventory, { seed: 77, flowsPerWindow: 4000, startTime: DEFAULT_START_TIME + 14 * 3600, scenarios: SCENARIOS.map((name) => ({ name, atWindow: 1, windows: 2 })) });
  runWindows(again, 4);
  assert.deepEqual(again.groundTruth(), truths);
});

test('horizontal_scan: one source, many destinations, one port, mostly rejected', () => {
  const t = truth('horizontal_scan');
  const probes = recordsOf('horizontal_scan').filter((r) => r.dst_port === 445 && r.direction === 'egress');
  const sources = new Set(probes.map((r) => r.src_addr));
  assert.equal(sources.size, 1);
  const targets = new Set(probes.map((r) => r.dst_addr));
  assert.equal(targets.size, t.details.targets);
  assert.ok(targets.size >= 20, `${targets.size} destinations`);
  const arrived = recordsOf('horizontal_scan').filter((r) => r.direction === 'ingress' && r.dst_port === 445);
  const rejected = arrived.filter((r) => r.action === 'REJECT');
  assert.ok(rejected.length / arrived.length > 0.9, `${rejected.length} of ${arrived.length} rejected`);
  assert.ok(t.protocols.includes(6) && t.ports.includes(445));
});

test('vertical_scan: one source, one destination, a thousand ports', () => {
  const recs = recordsOf('vertical_scan').filter((r) => r.direction === 'ingress');
  assert.equal(new Set(recs.map((r) => r.src_addr)).size, 1);
  assert.equal(new Set(recs.map((r) => r.dst_addr)).size, 1);
  assert.ok(new Set(recs.map((r) => r.dst_port)).size >= 1000);
  assert.ok(recs.filter((r) => r.action === 'REJECT').length > 0.9 * recs.length);
  assert.ok(!inventory.eniByIp(recs[0].src_addr), 'from outside');
});

test('broadcast_storm: huge packet rates to broadcast and multicast, with their MACs', () => {
  const recs = recordsOf('broadcast_storm');
  const dsts = new Set(recs.map((r) => r.dst_addr));
  assert.ok(dsts.has('255.255.255.255') && dsts.has('224.0.0.251'));
  const sender = inventory.eni(truth('broadcast_storm').enis[0])!;
  assert.ok(dsts.has(sender.subnet.cidrs[0].replace(/0\/24$/, '255')), 'its subnet broadcast address');
  for (const r of recs) {
    assert.equal(r.direction, 'egress');
    assert.equal(r.interface_id, sender.id);
    assert.ok(r.packets / W >= 10000, `${r.packets / W} packets/s`);
    assert.equal(r.dst_mac, r.dst_addr === '224.0.0.251' ? '01:00:5e:00:00:fb' : 'ff:ff:ff:ff:ff:ff');
  }
});

test('bandwidth_hog: far over its cap and its own history', () => {
  const t = truth('bandwidth_hog');
  const eni = inventory.eni(t.enis[0])!;
  assert.equal(t.details.bandwidth_mbps, eni.bandwidthMbps);
  const sent = (recs: readonly FlowRecord[]) => recs.filter((r) => r.interface_id === eni.id && r.direction === 'egress').reduce((s, r) => s + r.bytes, 0);
  const mbps = (sent(windows[1].records) * 8) / W / 1e6;
  assert.ok(mbps > 2 * eni.bandwidthMbps!, `${mbps} Mbit/s against a cap of ${eni.bandwidthMbps}`);
  assert.ok(sent(windows[1].records) > 20 * sent(windows[0].records), 'and far above the window before');
});

test('known_bad_ip: listed addresses appear only in the scenario', () => {
  const listed = new Set(readThreatList());
  assert.equal(listed.size, 12, 'the shipped list has 12 IPsum addresses');
  const withListed = all.filter((r) => listed.has(r.src_addr) || listed.has(r.dst_addr));
  assert.ok(withListed.length > 0);
  const scenario = new Set(recordsOf('known_bad_ip', all));
  for (const r of withListed) assert.ok(scenario.has(r), `listed address outside the scenario: ${JSON.stringify(r)}`);
  for (const a of truth('known_bad_ip').addresses.filter((a) => listed.has(a))) assert.ok(withListed.some((r) => r.src_addr === a || r.dst_addr === a), a);
  assert.ok(withListed.some((r) => r.direction === 'egress' && listed.has(r.dst_addr) && !listed.has(r.src_addr)), 'an inside host calls out to one');
});

test('uncommon_protocol: GRE and SCTP, never seen otherwise', () => {
  const protocols = new Set(recordsOf('uncommon_protocol').map((r) => r.protocol));
  assert.deepEqual([...protocols].sort((a, b) => a - b), [47, 132]);
  assert.equal(outside.filter((r) => r.protocol === 47 || r.protocol === 132).length, 0);
  assert.ok(recordsOf('uncommon_protocol').every((r) => r.protocol !== 47 || (r.src_port === 0 && r.dst_port === 0)));
});

test('ssh_brute_force: one outside source, many short connections to 22', () => {
  const recs = recordsOf('ssh_brute_force').filter((r) => r.direction === 'ingress' && r.dst_port === 22);
  assert.equal(new Set(recs.map((r) => r.src_addr)).size, 1);
  assert.equal(new Set(recs.map((r) => r.dst_addr)).size, 1);
  const perWindow = recs.filter((r) => r.start === windows[1].start).length;
  assert.ok(perWindow >= 100, `${perWindow} attempts in a minute`);
  assert.equal(new Set(recs.map((r) => r.src_port)).size, recs.length, 'a new connection each time');
  for (const r of recs) {
    assert.ok(r.last_ms - r.first_ms <= 5000);
    assert.ok(r.bytes < 20000);
  }
  // The example's prod bastion admits SSH from anywhere (sg-prod-bastion ssh-anywhere).
  if (inventory.eni(recs[0].interface_id)!.securityGroups.some((g) => g.id === 'sg-prod-bastion')) {
    assert.ok(recs.every((r) => r.action === 'ACCEPT' && r.rule_id === 'sg-prod-bastion/ssh-anywhere'));
  }
});

test("sg_blocked_service: clients' egress accepts, the servers' group rejects, nothing comes back", () => {
  const t = truth('sg_blocked_service');
  const port = Number(t.details.port);
  const recs = recordsOf('sg_blocked_service');
  const ingress = recs.filter((r) => r.direction === 'ingress');
  const egress = recs.filter((r) => r.direction === 'egress');
  assert.ok(ingress.length > 0 && egress.length === ingress.length);
  for (const r of egress) assert.equal(r.action, 'ACCEPT');
  for (const r of ingress) {
    assert.equal(r.action, 'REJECT');
    assert.equal(r.dst_port, port);
    const server = inventory.eni(r.interface_id)!;
    assert.equal(r.rule_id, `${server.securityGroups[0].id}/default-deny`);
    // Some group admits other clients on that port: the service exists, just not for these.
    assert.ok(server.securityGroups.some((g) => g.ingress.some((rule) => rule.protocol === 6 && rule.ports.some((p) => p.from <= port && port <= p.to))));
  }
});

test('acl_blocked_return: the request is accepted in, the reply rejected out by the database subnet ACL', () => {
  const t = truth('acl_blocked_return');
  const recs = recordsOf('acl_blocked_return');
  const client = inventory.eni(String(t.details.client_interface))!;
  // examples/inventory.yaml: acl-prod-db egress rule 90 denies answers to the reporting subnet.
  assert.equal(client.subnet.id, 'subnet-prod-analytics');
  assert.equal(t.details.blocking_rule, 'acl-prod-db/90');
  const atServers = recs.filter((r) => r.interface_id !== client.id);
  assert.ok(atServers.some((r) => r.direction === 'ingress' && r.action === 'ACCEPT' && r.rule_id === 'sg-prod-db/postgres-from-reporting' && r.dst_port === 5432));
  for (const r of atServers.filter((r) => r.direction === 'egress')) {
    assert.equal(r.action, 'REJECT');
    assert.equal(r.rule_id, 'acl-prod-db/90');
    assert.equal(r.tcp_flags, 18, 'a retransmitted SYN-ACK');
  }
  const atClient = recs.filter((r) => r.interface_id === client.id);
  assert.ok(atClient.length > 0 && atClient.every((r) => r.direction === 'egress' && r.action === 'ACCEPT'), 'the answer never arrives');
  assert.ok(t.enis.length >= 2);
});
