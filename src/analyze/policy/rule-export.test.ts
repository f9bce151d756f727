import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../../../test/support/paths.js';
import { importInventory, type InventoryDocument } from '../../inventory/importers/import.js';
import { sgRuleSummary } from '../rule-text.js';
import type { ProposedRule } from './least-privilege.js';
import { toAws, toTencent } from './rule-export.js';

const FIXTURES = path.join(repoRoot, 'test', 'fixtures', 'inventory');

function docs(cloud: string): InventoryDocument[] {
  const dir = path.join(FIXTURES, cloud);
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ file: path.join(dir, f), text: fs.readFileSync(path.join(dir, f), 'utf8') }));
}

const rule = (direction: 'ingress' | 'egress', protocol: string, ports: string, peer: string, id: string): ProposedRule => ({ direction, id, protocol, ports, peer, description: `proposed ${id}`, replaces: id, flows: 1, peers: 1 });

/** protocol ports peer, sorted, for each direction of a group. */
function shape(rules: readonly { protocol: string; ports: string; peer: string }[]): string[] {
  return rules.map((r) => `${r.protocol} ${r.ports} ${r.peer}`).sort();
}

test('an AWS export is a describe-security-groups entry that imports back into the same rules', () => {
  const before = importInventory(docs('aws')).index;
  const web = before.securityGroup('sg-0d1e2f3a4b5c6d7e8')!;
  const app = before.securityGroup('sg-0a9b8c7d6e5f40312')!;
  const proposal = [
    rule('ingress', 'tcp', '443', '198.51.100.7/32', 'a'),
    rule('ingress', 'tcp', '443', '198.51.100.8/32', 'b'),
    rule('ingress', 'tcp', '8000-8010,9000', '2001:db8::/64', 'c'),
    rule('ingress', 'icmp', '0,8', '10.20.0.0/16', 'd'),
    rule('egress', 'tcp', '5432', app.id, 'e'),
    rule('egress', 'udp', '53', '10.20.0.2/32', 'f'),
    rule('egress', 'all', 'all', '10.20.2.0/24', 'g'),
  ];
  const exported = toAws(web, proposal);
  // AWS names one port range and one ICMP type per permission.
  assert.deepEqual(
    exported.SecurityGroups[0].IpPermissions.map((p) => [p.IpProtocol, p.FromPort, p.ToPort, p.IpRanges.length + p.Ipv6Ranges.length]),
    [
      ['tcp', 443, 443, 2],
      ['tcp', 8000, 8010, 1],
      ['tcp', 9000, 9000, 1],
      ['icmp', 0, -1, 1],
      ['icmp', 8, -1, 1],
    ],
  );
  const sgFile = path.join(FIXTURES, 'aws', 'describe-security-groups.json');
  const original = JSON.parse(fs.readFileSync(sgFile, 'utf8'));
  original.SecurityGroups = original.SecurityGroups.map((g: { GroupId: string }) => (g.GroupId === web.id ? { ...g, ...exported.SecurityGroups[0] } : g));
  const replaced = docs('aws').map((d) => (d.file === sgFile ? { ...d, text: JSON.stringify(original) } : d));
  const after = importInventory(replaced).index.securityGroup(web.id)!;
  for (const dir of ['ingress', 'egress'] as const) {
    const want = proposal.filter((r) => r.direction === dir).flatMap((r) => (r.ports.includes(',') ? r.ports.split(',').map((p) => ({ ...r, ports: p })) : [r]));
    assert.deepEqual(shape(after[dir].map((r) => sgRuleSummary(r, dir))), shape(want), dir);
  }
});

test('a Tencent export is ModifySecurityGroupPolicies input that imports back into the same rules', () => {
  const before = importInventory(docs('tencent'), { account: '100000000001' }).index;
  const front = before.securityGroup('sg-k2dy6f7n')!;
  const proposal = [
    rule('ingress', 'tcp', '80,443', '0.0.0.0/0', 'web'),
    rule('ingress', 'tcp', '7000-7100', '10.0.0.0/8', 'game'),
    rule('ingress', 'udp', '7000-7100,7200', '10.0.0.0/8', 'voice'),
    rule('egress', 'tcp', '6379', 'sg-0p3lj6mq', 'redis'),
  ];
  const exported = toTencent(front, proposal);
  assert.deepEqual(
    exported.SecurityGroupPolicySet.Ingress.map((p) => [p.PolicyIndex, p.Protocol, p.Port, p.CidrBlock, p.Action]),
    [
      [0, 'TCP', '80,443', '0.0.0.0/0', 'ACCEPT'],
      [1, 'TCP', '7000-7100', '10.0.0.0/8', 'ACCEPT'],
      // A port is a list of single ports or one range, never a mix.
      [2, 'UDP', '7000-7100', '10.0.0.0/8', 'ACCEPT'],
      [3, 'UDP', '7200', '10.0.0.0/8', 'ACCEPT'],
    ],
  );
  const file = path.join(FIXTURES, 'tencent', 'DescribeSecurityGroupPolicies.sg-k2dy6f7n.json');
  const replaced = docs('tencent').map((d) => (d.file === file ? { file: 'proposal.json', text: JSON.stringify(exported) } : d));
  const after = importInventory(replaced, { account: '100000000001' }).index.securityGroup(front.id)!;
  assert.equal(after.semantics, 'tencent');
  assert.deepEqual(shape(after.ingress.map((r) => sgRuleSummary(r, 'ingress'))), ['tcp 7000-7100 10.0.0.0/8', 'tcp 80,443 0.0.0.0/0', 'udp 7000-7100 10.0.0.0/8', 'udp 7200 10.0.0.0/8']);
  assert.deepEqual(shape(after.egress.map((r) => sgRuleSummary(r, 'egress'))), ['tcp 6379 sg-0p3lj6mq']);
  assert.ok(after.ingress.every((r) => r.action === 'accept'));
});
