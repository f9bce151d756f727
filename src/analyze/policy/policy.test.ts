import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { handInventory } from '../../../test/answers/hand-inventory.js';
import { indexOf, tempStore, type TempStore } from '../../../test/answers/support.js';
import type { FieldName } from '../../schema/fields.js';
import { FlowBatch } from '../../schema/batch.js';
import { exactFilter } from '../../query/index.js';
import { policyBroad, policyHits, policyUnused, proposeLeastPrivilege, type PolicyInput } from './policy-answers.js';

// Traffic on the hand-built inventory, each record as the interface that logged it saw it.
const T0 = 1_795_000_000 - (1_795_000_000 % 3600);
const T1 = T0 + 3600;
type Rec = Partial<Record<FieldName, string | number>>;

function conversation(o: { at: number; src: string; dst: string; sp: number; dp: number; protocol?: number; srcEni?: string; dstEni?: string; flows: number; reply?: boolean; action?: string; rule?: string }): Rec[] {
  const out: Rec[] = [];
  const base = { account_id: '111111111111', protocol: o.protocol ?? 6, packets: 10, bytes: 1000, start: o.at, end: o.at + 60, action: o.action ?? 'ACCEPT', rule_id: o.rule ?? '' };
  for (let k = 0; k < o.flows; k++) {
    if (o.srcEni) out.push({ ...base, interface_id: o.srcEni, direction: 'egress', src_addr: o.src, dst_addr: o.dst, src_port: o.sp, dst_port: o.dp });
    if (o.dstEni) out.push({ ...base, interface_id: o.dstEni, direction: 'ingress', src_addr: o.src, dst_addr: o.dst, src_port: o.sp, dst_port: o.dp });
    if (o.reply) {
      if (o.dstEni) out.push({ ...base, interface_id: o.dstEni, direction: 'egress', src_addr: o.dst, dst_addr: o.src, src_port: o.dp, dst_port: o.sp });
      if (o.srcEni) out.push({ ...base, interface_id: o.srcEni, direction: 'ingress', src_addr: o.dst, dst_addr: o.src, src_port: o.dp, dst_port: o.sp });
    }
  }
  return out;
}

const RECORDS: Rec[] = [
  // Two internet clients on the web server's HTTPS.
  ...conversation({ at: T0, src: '198.51.100.7', dst: '10.0.1.10', sp: 50000, dp: 443, dstEni: 'eni-web', flows: 3, reply: true, rule: 'sg-web/https' }),
  ...conversation({ at: T0 + 60, src: '198.51.100.8', dst: '10.0.1.10', sp: 50001, dp: 443, dstEni: 'eni-web', flows: 2, reply: true, rule: 'sg-web/https' }),
  // The web server calls the app server.
  ...conversation({ at: T0 + 120, src: '10.0.1.10', dst: '10.0.2.20', sp: 40000, dp: 8080, srcEni: 'eni-web', dstEni: 'eni-app', flows: 4, reply: true, rule: 'sg-web/to-app' }),
  // The app server queries the database (one subnet: no ACL).
  ...conversation({ at: T0 + 180, src: '10.0.2.20', dst: '10.0.2.30', sp: 41000, dp: 5432, srcEni: 'eni-app', dstEni: 'eni-db', flows: 2, reply: true }),
  // The database host pushes metrics to the app host's exporter port (admitted by sg-base).
  ...conversation({ at: T0 + 240, src: '10.0.2.30', dst: '10.0.2.20', sp: 42000, dp: 9100, protocol: 17, srcEni: 'eni-db', dstEni: 'eni-app', flows: 1 }),
  // A denied range knocks, and is turned away by acl-a rule 90.
  ...conversation({ at: T0 + 300, src: '203.0.113.5', dst: '10.0.1.10', sp: 50002, dp: 443, dstEni: 'eni-web', flows: 1, action: 'REJECT', rule: 'acl-a/90' }),
];

// A later hour with one new HTTPS client.
const LATER: Rec[] = conversation({ at: T1 + 60, src: '198.51.100.9', dst: '10.0.1.10', sp: 50003, dp: 443, dstEni: 'eni-web', flows: 2, reply: true, rule: 'sg-web/https' });

let ts: TempStore;
let input: PolicyInput;

before(async () => {
  ts = await tempStore([FlowBatch.fromRecords(RECORDS), FlowBatch.fromRecords(LATER)]);
  input = { store: ts.store, range: { from: T0, to: T1 }, inventory: indexOf(handInventory()) };
});

after(async () => ts.close());

test('hits: each hop credits the rule that decided it, ACL rules included, replies only at ACLs', async () => {
  const r = await policyHits(input);
  assert.equal(r.flows, RECORDS.length);
  assert.equal(r.unknown_interface_flows, 0);
  assert.equal(r.disagreeing_flows, 0);
  const hits = Object.fromEntries(r.rules.filter((u) => u.hits > 0).map((u) => [`${u.rule_id} ${u.direction}`, u.hits]));
  assert.deepEqual(hits, {
    'acl-a/100 ingress': 5, // the HTTPS requests
    'sg-web/https ingress': 5,
    'acl-a/100 egress': 5, // their replies, to ports 50000-50001
    'sg-web/to-app egress': 4,
    'acl-a/110 egress': 4,
    'acl-b/100 ingress': 4,
    'sg-app/api ingress': 4,
    'acl-b/100 egress': 4, // the app's replies (rule 90 is only about 10.0.1.11)
    'acl-a/120 ingress': 4, // and their way back into subnet-a
    'sg-app/all egress': 2,
    'sg-db/pg ingress': 2,
    'sg-db/all egress': 1,
    'sg-base/metrics ingress': 1,
    'acl-a/90 ingress': 1,
  });
  const https = r.rules.find((u) => u.rule_id === 'sg-web/https')!;
  assert.equal(https.peers, 2);
  assert.equal(https.recorded, 10, 'requests and replies both name the group rule in their records');
  assert.equal(https.last_hit, T0 + 120);
  // A selection narrows the list; a tenant of another account sees no rules.
  assert.deepEqual([...new Set((await policyHits(input, { id: 'acl-b' })).rules.map((u) => u.id))], ['acl-b']);
  assert.equal((await policyHits({ ...input, accounts: ['999'], scope: exactFilter([{ field: 'account_id', values: ['999'] }]) })).rules.length, 0);
});

test('unused: the explicit rules that decided nothing in the range', async () => {
  const r = await policyUnused(input);
  const unused = r.rules.map((u) => `${u.rule_id} ${u.direction}`).sort();
  for (const expected of ['sg-web/ping ingress', 'sg-web/web-peers egress', 'sg-web/dns egress', 'sg-base/ssh ingress', 'sg-batch/all egress', 'sg-t1/ssh-drop ingress', 'acl-a/110 ingress', 'acl-b/90 egress']) {
    assert.ok(unused.includes(expected), `${expected} is unused`);
  }
  for (const used of ['sg-web/https ingress', 'acl-a/90 ingress', 'sg-base/metrics ingress', 'acl-a/120 ingress']) assert.ok(!unused.includes(used), `${used} was used`);
  assert.ok(!unused.some((u) => u.includes('default-deny')));
  // The evidence names the rule's interfaces, direction, protocol, ports and peer.
  const ssh = r.rules.find((u) => u.rule_id === 'sg-base/ssh')!;
  assert.equal(ssh.evidence.query, 'interface_id:(eni-app OR eni-db OR eni-batch) AND direction:ingress AND protocol:6 AND dst_port:(22) AND src_addr:10.0.0.0/16');
});

test('broad: a /16 used by one peer on one port, with the narrower rule it needs', async () => {
  const r = await policyBroad(input);
  const metrics = r.rules.find((b) => b.rule_id === 'sg-base/metrics');
  assert.ok(metrics, 'sg-base/metrics is over-broad');
  assert.equal(metrics.admits_addresses, 65536);
  assert.equal(metrics.peers, 1);
  assert.deepEqual(metrics.narrower.map((n) => [n.protocol, n.ports, n.peer, n.flows]), [['udp', '9100', '10.0.2.30/32', 1]]);
  // HTTPS from anywhere is used by two peers: broad by address too, and narrowed to them.
  const https = r.rules.find((b) => b.rule_id === 'sg-web/https')!;
  assert.deepEqual(https.narrower.map((n) => n.peer).sort(), ['198.51.100.7/32', '198.51.100.8/32']);
  // A rule naming a peer group is never "broad by address".
  assert.ok(!r.rules.some((b) => b.rule_id === 'sg-app/api'));
});

test('least privilege for sg-web: exactly the observed peers and ports, unused rules left out, nothing refused', async () => {
  const r = await proposeLeastPrivilege(input, 'sg-web');
  assert.deepEqual(
    r.rules.map((x) => [x.direction, x.protocol, x.ports, x.peer, x.replaces, x.flows]).sort(),
    [
      ['egress', 'tcp', '8080', 'sg-app', 'to-app', 4],
      ['ingress', 'tcp', '443', '198.51.100.7/32', 'https', 3],
      ['ingress', 'tcp', '443', '198.51.100.8/32', 'https', 2],
    ],
  );
  assert.deepEqual(r.unused.map((u) => u.rule).sort(), ['dns', 'ping', 'web-peers']);
  assert.equal(r.observed.flows, 9);
  assert.equal(r.check.flows, 0, 'the proposal admits all the accepted traffic it was built from');
  // The next hour brings a client the proposal has not seen: that is what it would refuse.
  const later = await proposeLeastPrivilege(input, 'sg-web', { check: { from: T1, to: T1 + 3600 } });
  assert.equal(later.check.flows, 2);
  assert.deepEqual(later.check.examples.map((x) => [x.direction, x.port, x.peer, x.rule]), [['ingress', 443, '198.51.100.9', 'https']]);
  // The same set as the clouds write it.
  assert.deepEqual(r.aws.SecurityGroups[0].IpPermissions, [
    {
      IpProtocol: 'tcp',
      FromPort: 443,
      ToPort: 443,
      IpRanges: [
        { CidrIp: '198.51.100.7/32', Description: r.rules.find((x) => x.peer === '198.51.100.7/32')!.description },
        { CidrIp: '198.51.100.8/32', Description: r.rules.find((x) => x.peer === '198.51.100.8/32')!.description },
      ],
      Ipv6Ranges: [],
      UserIdGroupPairs: [],
      PrefixListIds: [],
    },
  ]);
  assert.deepEqual(r.aws.SecurityGroups[0].IpPermissionsEgress.map((p) => [p.IpProtocol, p.FromPort, p.ToPort, p.UserIdGroupPairs.map((g) => g.GroupId)]), [['tcp', 8080, 8080, ['sg-app']]]);
  assert.deepEqual(r.tencent.SecurityGroupPolicySet.Ingress.map((p) => [p.Protocol, p.Port, p.CidrBlock, p.Action]), [
    ['TCP', '443', '198.51.100.7/32', 'ACCEPT'],
    ['TCP', '443', '198.51.100.8/32', 'ACCEPT'],
  ]);
  assert.deepEqual(r.tencent.SecurityGroupPolicySet.Egress.map((p) => [p.Protocol, p.Port, p.SecurityGroupId]), [['TCP', '8080', 'sg-app']]);
  await assert.rejects(proposeLeastPrivilege(input, 'sg-wbe'), /no security group 'sg-wbe' in the inventory, did you mean 'sg-web'/);
});
