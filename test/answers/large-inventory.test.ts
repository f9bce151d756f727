// Reachability on the 10,000-interface, 50,000-rule inventory: the verdicts its plan implies,
// agreement with the policy engine on random pairs, and a fix that works there too.

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { diagnoseConfiguration } from '../../src/analyze/reachability/diagnose.js';
import type { InventoryFileInput } from '../../src/inventory/file-schema.js';
import type { InventoryIndex } from '../../src/inventory/inventory-index.js';
import { PolicyEngine } from '../../src/policy/engine.js';
import { countRules, largeEniId, largeEniIp, largeInventoryDoc, LARGE } from './large-inventory.js';
import { applyChanges, indexOf } from './support.js';

let doc: InventoryFileInput;
let inv: InventoryIndex;

before(() => {
  doc = largeInventoryDoc();
  inv = indexOf(doc, 'large.yaml');
});

test('the inventory has 10,000 interfaces and 50,000 rules', () => {
  assert.equal(inv.enis.length, 10_000);
  assert.equal(countRules(doc), 50_000);
  assert.equal(inv.securityGroups.length, LARGE.vpcs * LARGE.groupsPerVpc);
});

test('the plan\'s verdicts: web to app and app to cache pass; batch to cache, telnet and the blocked range do not', () => {
  const web = largeEniId(7, 2, 3);
  const app = largeEniId(7, 6, 4);
  const cache = largeEniId(7, 17, 5);
  const batch = largeEniId(7, 22, 6);
  assert.equal(diagnoseConfiguration(inv, { src: web, dst: app, port: 8080 }).reachable, true);
  const ok = diagnoseConfiguration(inv, { src: app, dst: cache, port: 6379 });
  assert.equal(ok.reachable, true);
  assert.equal(ok.hops.find((h) => h.hop === 'dst_sg_ingress')!.rule_id, 'sg-7-cache/redis-from-app');
  assert.equal(diagnoseConfiguration(inv, { src: '198.51.100.7', dst: largeEniIp(7, 2, 3), port: 443 }).reachable, true);

  const b = diagnoseConfiguration(inv, { src: batch, dst: cache, port: 6379 });
  assert.deepEqual([b.reachable, b.blocked_at, b.blocked_by, b.deciding_rule?.rule], [false, 'dst_sg_ingress', 'sg-7-cache', 'default-deny']);
  const telnet = diagnoseConfiguration(inv, { src: '198.51.100.7', dst: web, port: 23 });
  assert.deepEqual([telnet.blocked_at, telnet.deciding_rule?.rule_id], ['dst_acl_ingress', 'acl-7-2/50']);
  const abuser = diagnoseConfiguration(inv, { src: '45.155.205.9', dst: web, port: 443 });
  assert.deepEqual([abuser.blocked_at, abuser.deciding_rule?.rule_id], ['dst_acl_ingress', 'acl-7-2/60']);
  // Another VPC's web server: its own subnet's ACL lets nothing out to other VPCs on 8080, and
  // the app subnet's ACL would not let it in either.
  const cross = diagnoseConfiguration(inv, { src: largeEniId(8, 2, 3), dst: app, port: 8080 });
  assert.deepEqual([cross.blocked_at, cross.deciding_rule?.rule_id], ['src_acl_egress', 'acl-8-2/default-deny']);
  assert.equal(cross.hops.find((h) => h.hop === 'dst_acl_ingress')!.rule_id, 'acl-7-6/default-deny');
});

test('the fix for batch to cache goes to the destination group with fewest members, and works', () => {
  const q = { src: largeEniId(3, 21, 0), dst: largeEniId(3, 15, 9), port: 6379 };
  const d = diagnoseConfiguration(inv, q);
  assert.equal(d.fix.changes.length, 1);
  const c = d.fix.changes[0];
  const groups = inv.eni(q.dst)!.securityGroups;
  assert.ok(groups.some((g) => g.id === c.id));
  assert.equal(c.interfaces, Math.min(...groups.map((g) => g.members.length)));
  assert.equal(diagnoseConfiguration(indexOf(applyChanges(doc, d.fix.changes)), q).reachable, true);
});

test('the walk agrees with the policy engine on 3,000 random connections', () => {
  const engine = new PolicyEngine(inv);
  let seed = 7;
  const rnd = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const ports = [22, 23, 80, 443, 5432, 6379, 8080, 20005, 30007];
  let blocked = 0;
  for (let k = 0; k < 3000; k++) {
    const s = inv.enis[rnd(inv.enis.length)];
    // Mostly inside one VPC, where the interesting verdicts are.
    const t = rnd(4) === 0 ? inv.enis[rnd(inv.enis.length)] : s.vpc.enis[rnd(s.vpc.enis.length)];
    if (s === t) continue;
    const port = ports[rnd(ports.length)];
    const d = diagnoseConfiguration(inv, { src: s.id, dst: t.id, port });
    const v = engine.evaluateConnection(s, s.addrs, 0, t, t.addrs, 0, 6, 49152, port);
    const first = v.request.blockedBy ?? v.reply.blockedBy;
    assert.equal(d.reachable, v.established, `${s.id} → ${t.id}:${port}`);
    assert.equal(d.deciding_rule?.rule_id ?? null, first?.decision?.ruleId ?? null, `${s.id} → ${t.id}:${port}`);
    if (!d.reachable) blocked++;
  }
  assert.ok(blocked > 300 && blocked < 2900, `a mix of verdicts (${blocked} blocked)`);
});
