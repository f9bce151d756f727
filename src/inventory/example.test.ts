import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { repoRoot } from '../../test/support/paths.js';
import { loadInventory } from './index.js';

// The shipped example network (examples/inventory.yaml), as its header comment describes it.
const inv = loadInventory(path.join(repoRoot, 'examples', 'inventory.yaml'));

test('the example network loads: two VPCs, one with IPv6, tiers of instances', () => {
  assert.deepEqual(inv.vpcs.map((v) => [v.name, v.cidrs]), [
    ['prod', ['10.0.0.0/16', '2a05:d018:b12:3400::/56']],
    ['staging', ['10.1.0.0/16']],
  ]);
  assert.ok(inv.subnets.length >= 4);
  assert.ok(inv.enis.length >= 55 && inv.enis.length <= 65, `${inv.enis.length} interfaces`);
  const tiers = new Set(inv.enis.map((e) => e.tags.tier));
  for (const t of ['web', 'app', 'db', 'bastion', 'nat', 'dns']) assert.ok(tiers.has(t), t);
  assert.ok(inv.enis.every((e) => e.bandwidthMbps !== undefined), 'every interface has a bandwidth cap');
  // Each VPC has its own ACLs.
  for (const v of inv.vpcs) assert.ok(inv.networkAcls.some((a) => a.vpc === v));
});

test('the example groups: web open to the internet, app behind web, db behind app, SSH via the bastion, one Tencent group', () => {
  const rules = (id: string) => inv.securityGroup(id)!.ingress;
  assert.ok(rules('sg-prod-web').some((r) => r.peer.kind === 'cidr' && r.peer.cidr === '0.0.0.0/0' && r.ports.some((p) => p.from === 443)));
  assert.ok(rules('sg-prod-app').some((r) => r.peer.kind === 'group' && r.peer.group.id === 'sg-prod-web' && r.ports.some((p) => p.from === 8080)));
  assert.ok(rules('sg-prod-db').some((r) => r.peer.kind === 'group' && r.peer.group.id === 'sg-prod-app' && r.ports.some((p) => p.from === 5432)));
  assert.ok(rules('sg-prod-db').some((r) => r.peer.kind === 'group' && r.peer.group.id === 'sg-prod-app' && r.ports.some((p) => p.from === 3306)));
  assert.ok(rules('sg-prod-base').some((r) => r.peer.kind === 'group' && r.peer.group.id === 'sg-prod-bastion' && r.ports.some((p) => p.from === 22)));
  const tencent = inv.securityGroups.filter((g) => g.semantics === 'tencent');
  assert.equal(tencent.length, 1);
  assert.ok(tencent[0].ingress.some((r) => r.action === 'drop'));
  const dbAcl = inv.networkAcl('acl-prod-db')!;
  assert.equal(dbAcl.egress[0].number, 90);
  assert.equal(dbAcl.egress[0].action, 'deny');
});
