// The answers on the simulator's scenarios, checked against their ground truth: the
// SG-blocked and ACL-blocked services (verdict, deciding rule, observed records, the fix), the
// broadcast storm and the bandwidth hog (who, how much, since when, with whom), and the
// policy answers over the same traffic (hits agree with the records; least-privilege sets
// admit all accepted traffic and nothing wider).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import YAML from 'yaml';
import { diagnose } from '../../src/analyze/reachability/diagnose.js';
import { hogs } from '../../src/analyze/hogs.js';
import { storms } from '../../src/analyze/storms.js';
import { policyHits, proposeLeastPrivilege, replay, type PolicyInput } from '../../src/analyze/policy/policy-answers.js';
import { compileProposed } from '../../src/analyze/policy/least-privilege.js';
import { ruleMatches, cidrMatches } from '../../src/analyze/rule-match.js';
import { parseInventory } from '../../src/inventory/load.js';
import type { InventoryFileInput } from '../../src/inventory/file-schema.js';
import { parseCidr } from '../../src/schema/ip.js';
import type { FlowRecord } from '../../src/schema/batch.js';
import { BatchList } from '../../src/sources/source.js';
import { exampleInventoryPath, loadExampleInventory, Simulator, type ScenarioTruth } from '../../src/sources/simulator/index.js';
import { looksLikeReply } from '../../src/sources/simulator/test-support.js';
import { applyChanges, tempStore, type TempStore } from './support.js';

const START = 1_795_000_000 - (1_795_000_000 % 3600);
const WINDOWS = 40;
const inv = loadExampleInventory();
const exampleDoc = YAML.parse(fs.readFileSync(exampleInventoryPath(), 'utf8')) as InventoryFileInput;
let ts: TempStore;
let records: FlowRecord[];
let truth: Map<string, ScenarioTruth>;
let input: PolicyInput;

before(async () => {
  const sim = new Simulator(inv, {
    seed: 11,
    startTime: START,
    flowsPerWindow: 1000,
    scenarios: [
      { name: 'sg_blocked_service', atWindow: 5, windows: 5 },
      { name: 'acl_blocked_return', atWindow: 12, windows: 5 },
      { name: 'broadcast_storm', atWindow: 20, windows: 2 },
      { name: 'bandwidth_hog', atWindow: 25, windows: 3 },
    ],
  });
  const list = new BatchList(8192);
  for (let w = 0; w < WINDOWS; w++) sim.nextWindow(list);
  records = list.records();
  truth = new Map(sim.groundTruth().map((t) => [t.scenario, t]));
  ts = await tempStore(list.batches);
  input = { store: ts.store, range: { from: START, to: START + WINDOWS * 60 }, inventory: inv };
});

after(async () => ts.close());

const count = (t: ScenarioTruth, pick: (e: ScenarioTruth['expected'][number]) => boolean) => t.expected.filter(pick).reduce((n, e) => n + e.records, 0);

test('sg_blocked_service: refused at the servers\' group, as the records show; the proposed rule lets it in', async () => {
  const t = truth.get('sg_blocked_service')!;
  const rejected = t.expected.find((e) => e.action === 'REJECT')!;
  const [client, server] = [rejected.src_addr, rejected.dst_addr];
  const port = t.ports[0];
  const d = await diagnose(inv, { src: client, dst: server, port }, { store: ts.store, range: { from: t.start, to: t.end } });
  assert.equal(d.reachable, false);
  assert.equal(d.blocked_at, 'dst_sg_ingress');
  assert.equal(d.deciding_rule?.rule_id, rejected.rule_id);
  assert.equal(d.blocked_by, rejected.rule_id.split('/')[0]);
  assert.equal(d.dst.interface_id, rejected.interface_id);
  const pair = (e: ScenarioTruth['expected'][number]) => e.src_addr === client && e.dst_addr === server;
  assert.equal(d.observed!.request.reject, count(t, (e) => pair(e) && e.action === 'REJECT'));
  assert.equal(d.observed!.request.accept, count(t, (e) => pair(e) && e.action === 'ACCEPT'));
  assert.equal(d.observed!.verdict, 'agrees');
  assert.equal(d.fix.changes.length, 1);
  assert.equal(d.fix.changes[0].kind, 'security_group');
  assert.equal((d.fix.changes[0].rule as { peer: string }).peer, `${client}/32`);
  const fixed = parseInventory(YAML.stringify(applyChanges(exampleDoc, d.fix.changes)), 'fixed.yaml');
  assert.equal((await diagnose(fixed, { src: client, dst: server, port })).reachable, true);
});

test('acl_blocked_return: the request passes, the answer is refused by the rule the ground truth names', async () => {
  const t = truth.get('acl_blocked_return')!;
  const client = t.details.client_interface as string;
  const rejected = t.expected.find((e) => e.action === 'REJECT')!;
  // The refused record is the server's answer: from the server to the client.
  const d = await diagnose(inv, { src: client, dst: rejected.interface_id, port: t.ports[0] }, { store: ts.store, range: { from: t.start, to: t.end } });
  assert.equal(d.reachable, false);
  assert.equal(d.blocked_at, 'dst_acl_egress');
  assert.equal(d.deciding_rule?.rule_id, t.details.blocking_rule);
  assert.equal(d.blocked_by, String(t.details.blocking_rule).split('/')[0]);
  assert.equal(d.hops.find((h) => h.hop === 'dst_sg_ingress')!.action, 'ACCEPT');
  const server = rejected.src_addr;
  assert.equal(d.observed!.reply.reject, count(t, (e) => e.action === 'REJECT' && e.src_addr === server));
  assert.equal(d.observed!.request.accept, count(t, (e) => e.action === 'ACCEPT' && e.dst_addr === server));
  assert.equal(d.observed!.verdict, 'agrees');
  const change = d.fix.changes[0];
  assert.deepEqual([d.fix.changes.length, change.kind, change.id, change.direction], [1, 'network_acl', 'acl-prod-db', 'egress']);
  assert.ok((change.rule as { number: number }).number < 90, 'evaluated before the deny');
  const fixed = parseInventory(YAML.stringify(applyChanges(exampleDoc, d.fix.changes)), 'fixed.yaml');
  assert.equal((await diagnose(fixed, { src: client, dst: rejected.interface_id, port: t.ports[0] })).reachable, true);
});

test('broadcast_storm: the source interface, its packet rate, when it started, its destinations and subnet share', async () => {
  const t = truth.get('broadcast_storm')!;
  const r = await storms({ ...input, inventory: inv }, {});
  assert.equal(r.sources.length, 1);
  const s = r.sources[0];
  assert.equal(s.interface_id, t.details.source_interface);
  assert.equal(s.src_addr, t.addresses[0]);
  assert.equal(s.peak_pps, t.details.packets_per_second);
  assert.equal(s.started, t.start);
  assert.deepEqual(s.destinations.map((x) => x.dst_addr).sort(), t.addresses.slice(1).sort());
  assert.deepEqual([...new Set(s.destinations.map((x) => x.kind))].sort(), ['broadcast', 'multicast', 'subnet_broadcast']);
  const storm = records.filter((x) => x.interface_id === s.interface_id && t.addresses.slice(1).includes(x.dst_addr)).reduce((n, x) => n + x.packets, 0);
  const subnet = records.filter((x) => x.subnet_id === s.subnet_id && x.direction === 'egress').reduce((n, x) => n + x.packets, 0);
  assert.equal(s.packets, storm);
  assert.ok(Math.abs(s.subnet_share! - storm / subnet) < 1e-12);
});

test('bandwidth_hog: over its cap from the scenario start, to the storage endpoint', async () => {
  const t = truth.get('bandwidth_hog')!;
  const r = await hogs({ ...input, inventory: inv }, { lookbackDays: 0 });
  const h = r.hogs[0];
  assert.equal(h.interface_id, t.details.source_interface);
  assert.equal(h.direction, 'egress');
  assert.deepEqual(h.reasons, ['over_cap']);
  assert.equal(h.bandwidth_mbps, t.details.bandwidth_mbps);
  const rate = Number(t.details.rate_mbps) * 1e6;
  assert.ok(Math.abs(h.peak_bps - rate) / rate < 0.05, `peak ${h.peak_bps} near ${rate}`);
  assert.equal(h.started, t.start);
  assert.equal(h.ended, t.end);
  assert.equal(h.peers[0].addr, t.addresses[1]);
  assert.equal(h.peers[0].port, 443);
  assert.ok(h.peers[0].share > 0.95);
  assert.ok(!r.hogs.some((x) => x.interface_id !== h.interface_id && x.reasons.includes('over_cap') && x.started < t.start), 'nobody else is over a cap before the hog');
});

test('policy hits replay the records: same verdicts as logged, and each group rule hit by exactly the requests that name it', async () => {
  const r = await policyHits(input, {}, 100_000);
  assert.equal(r.flows, records.length);
  assert.equal(r.disagreeing_flows, 0, 'the replay gives every record the verdict it was logged with');
  const named = new Map<string, number>();
  for (const x of records) if (x.rule_id && !looksLikeReply(x)) named.set(x.rule_id, (named.get(x.rule_id) ?? 0) + 1);
  // Inbound the group is the last hop: its rule is the one the record names. Outbound the ACL
  // comes after it, so a request the ACL refused was first let out by a group rule.
  let checked = 0;
  let egressExtra = 0;
  for (const u of r.rules) {
    if (u.kind !== 'security_group' || u.rule === 'default-deny') continue;
    const n = named.get(u.rule_id) ?? 0;
    if (u.direction === 'ingress') assert.equal(u.hits, n, u.rule_id);
    else egressExtra += u.hits - n;
    checked++;
  }
  assert.ok(checked > 40);
  const refusedByAclOnTheWayOut = records.filter((x) => x.direction === 'egress' && x.action === 'REJECT' && x.rule_id.startsWith('acl-') && !looksLikeReply(x)).length;
  assert.ok(refusedByAclOnTheWayOut > 0);
  assert.equal(egressExtra, refusedByAclOnTheWayOut);
});

test('least-privilege sets admit every accepted use of the group and nothing wider than the rule they narrow', async () => {
  for (const id of ['sg-prod-web', 'sg-prod-app', 'sg-prod-db', 'sg-prod-bastion', 'sg-stg-web']) {
    const g = inv.securityGroup(id)!;
    const r = await proposeLeastPrivilege(input, id);
    assert.equal(r.check.flows, 0, `${id}: nothing it was built from is refused`);
    const uses = (await replay(input, [g])).groups.get(g)!.all();
    assert.ok(uses.length > 0, `${id} has traffic`);
    const compiled = r.rules.map((p) => ({ p, c: compileProposed(p, (x) => inv.securityGroup(x)) }));
    for (const u of uses) {
      assert.ok(compiled.some(({ p, c }) => p.direction === u.direction && ruleMatches(c, u.protocol, u.peer, 0, u.port, u.peerEni)), `${id}: a proposed rule admits ${u.direction} ${u.protocol}/${u.port}`);
    }
    for (const { p, c } of compiled) {
      const mine = uses.filter((u) => u.direction === p.direction && ruleMatches(c, u.protocol, u.peer, 0, u.port, u.peerEni));
      assert.ok(mine.length > 0, `${id}: ${p.id} admits some observed use`);
      const original = g[p.direction].find((x) => x.id === p.replaces)!;
      assert.ok(original, `${id}: ${p.id} narrows an existing rule`);
      // Within the rule it narrows: the same or one protocol, ports inside its ports, peer inside its peer.
      assert.ok(original.protocol < 0 || c.protocol === original.protocol);
      if (c.protocol === 6 || c.protocol === 17) for (const pr of c.ports) assert.ok(original.ports.some((o) => o.from <= pr.from && pr.to <= o.to) || original.protocol < 0);
      if (c.peer.kind === 'cidr' && original.peer.kind === 'cidr') {
        assert.ok(cidrMatches(original.peer.range, c.peer.range.lo, 0) && cidrMatches(original.peer.range, c.peer.range.hi, 0), `${id}: ${p.peer} inside ${original.peer.cidr}`);
        // A single-address rule's ports are exactly the ports that address used.
        if (c.peer.range.bits === 128) {
          const used = new Set(mine.filter((u) => cidrMatches(parseCidr(p.peer)!, u.peer, 0)).map((u) => (u.protocol === 1 ? u.port >>> 8 : u.port)));
          const named = new Set(c.ports.flatMap((x) => Array.from({ length: x.to - x.from + 1 }, (_, k) => x.from + k)));
          if (c.protocol === 6 || c.protocol === 17) assert.deepEqual([...named].sort((a, b) => a - b), [...used].sort((a, b) => a - b), `${id}: ${p.id} ports`);
        }
      }
      if (c.peer.kind === 'group') assert.ok(original.peer.kind === 'group' ? original.peer.group === c.peer.group : true);
    }
  }
});
