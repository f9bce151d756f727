import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseIp } from '../schema/ip.js';
import { InventoryError, loadInventory, parseInventory, ANY_PROTOCOL } from './index.js';
import { parseSmall } from './test-fixture.js';

function expectError(mutate: (doc: Record<string, any>) => void, where: string, problem: RegExp): InventoryError {
  let caught: unknown;
  try {
    parseSmall(mutate);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof InventoryError, `expected an InventoryError, got ${String(caught)}`);
  assert.equal(caught.file, 'small.yaml');
  assert.equal(caught.path, where);
  assert.match(caught.problem, problem);
  assert.ok(caught.message.startsWith(`small.yaml: ${where}: `), caught.message);
  assert.ok(!caught.message.includes('\n'), 'one line');
  return caught;
}

test('a valid inventory is linked: references resolve to objects', () => {
  const inv = parseSmall();
  const web = inv.eni('eni-web')!;
  assert.equal(web.subnet.id, 'subnet-pub');
  assert.equal(web.vpc.id, 'vpc-1');
  assert.equal(web.networkAcl.id, 'acl-pub');
  assert.deepEqual(web.securityGroups.map((g) => g.id), ['sg-web']);
  assert.equal(web.accountId, '123456789012', 'a numeric account id is kept as text, digit for digit');
  assert.equal(web.mac, 0x020000000001);
  assert.equal(web.bandwidthMbps, 1000);
  assert.deepEqual(web.tags, { tier: 'web', replicas: '3' });
  assert.equal(web.publicIp, '198.51.100.10');
  const app = inv.eni('eni-app')!;
  assert.equal(app.instanceId, '', 'optional fields default to empty');
  assert.equal(app.bandwidthMbps, undefined);
  const api = inv.securityGroup('sg-app')!.ingress[0];
  assert.equal(api.peer.kind, 'group');
  assert.equal(api.peer.kind === 'group' && api.peer.group.id, 'sg-web');
  assert.deepEqual(api.ports, [{ from: 8080, to: 8081 }]);
  assert.equal(inv.securityGroup('sg-app')!.egress[0].protocol, ANY_PROTOCOL);
  assert.deepEqual(inv.securityGroup('sg-web')!.members.map((e) => e.id), ['eni-web']);
  assert.equal(inv.securityGroup('sg-web')!.semantics, 'aws');
  assert.equal(inv.subnet('subnet-app')!.cidrs[0], '10.0.1.0/24', 'a single cidr is accepted');
  assert.deepEqual(inv.vpc('vpc-1')!.subnets.map((s) => s.id), ['subnet-pub', 'subnet-app']);
});

test('ACL rules are kept in rule-number order and notations are normalised', () => {
  const inv = parseSmall();
  const pub = inv.networkAcl('acl-pub')!;
  assert.deepEqual(pub.ingress.map((r) => r.number), [100, 200]);
  assert.equal(pub.ingress[0].action, 'deny');
  const app = inv.networkAcl('acl-app')!;
  assert.equal(app.ingress[0].action, 'allow', 'ALLOW in capitals');
  assert.equal(app.ingress[0].protocol, 6);
  assert.deepEqual(app.ingress[0].ports, [
    { from: 8080, to: 8080 },
    { from: 8081, to: 8081 },
  ]);
  assert.deepEqual(app.egress[0].ports, [{ from: 1024, to: 65535 }]);
  assert.deepEqual(pub.subnets.map((s) => s.id), ['subnet-pub']);
});

test('lookups by id, MAC, address (private, public, IPv6), subnet and VPC', () => {
  const inv = parseSmall();
  assert.equal(inv.eniByMac('02:00:00:00:00:02')?.id, 'eni-app');
  assert.equal(inv.eniByMac(0x020000000001)?.id, 'eni-web');
  assert.equal(inv.eniByMac('02:00:00:00:00:09'), undefined);
  assert.equal(inv.eniByIp('10.0.1.21')?.id, 'eni-app', 'secondary address');
  assert.equal(inv.eniByIp('198.51.100.10')?.id, 'eni-web', 'public address');
  assert.equal(inv.eniByIp('2001:db8:1:1::10')?.id, 'eni-web');
  assert.equal(inv.eniByIp('10.0.1.22'), undefined);
  const words = new Uint32Array(8);
  words.set(parseIp('10.0.0.10')!, 4);
  assert.equal(inv.eniByIp(words, 4)?.id, 'eni-web', 'words at an offset');
  assert.equal(inv.subnetByIp('10.0.1.200')?.id, 'subnet-app');
  assert.equal(inv.subnetByIp('2001:db8:1:1::ffff')?.id, 'subnet-pub');
  assert.equal(inv.subnetByIp('10.0.2.1'), undefined, 'inside the VPC but in no subnet');
  assert.equal(inv.vpcByIp('10.0.2.1')?.id, 'vpc-1');
  assert.equal(inv.vpcByIp('2001:db8:1:ff::1')?.id, 'vpc-1');
  assert.equal(inv.vpcByIp('10.1.0.1'), undefined);
  assert.equal(inv.vpcByIp('not an address'), undefined);
});

test('JSON inventories parse too, and loadInventory reads files', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'inv-'));
  const file = path.join(dir, 'inv.json');
  fs.writeFileSync(file, JSON.stringify({ vpcs: [{ id: 'v', account_id: '1', cidrs: ['10.9.0.0/16'] }] }));
  const inv = loadInventory(file);
  assert.equal(inv.vpc('v')?.cidrs[0], '10.9.0.0/16');
  assert.equal(inv.source, file);
  assert.throws(() => loadInventory(path.join(dir, 'missing.yaml')), (e: unknown) => e instanceof InventoryError && /missing\.yaml: no such file/.test(e.message));
});

test('syntax errors name the line and column', () => {
  assert.throws(
    () => parseInventory('vpcs:\n  - id: a\n    cidrs: [10.0.0.0/16\n  - id: b\n', 'bad.yaml'),
    (e: unknown) => e instanceof InventoryError && e.file === 'bad.yaml' && /^line \d+, column \d+$/.test(e.path) && !e.message.includes('\n'),
  );
  assert.throws(() => parseInventory('vpcs: []\nvpcs: []\n', 'dup.yaml'), (e: unknown) => e instanceof InventoryError && /unique/i.test(e.problem));
  assert.throws(() => parseInventory('', 'empty.yaml'), (e: unknown) => e instanceof InventoryError && e.message === 'empty.yaml: is empty');
  assert.throws(() => parseInventory('- 1\n- 2\n', 'list.yaml'), (e: unknown) => e instanceof InventoryError && /must be a mapping/.test(e.message));
});

test('field errors: unknown, missing, wrong type, bad values', () => {
  expectError((d) => (d.enis[1].securty_groups = ['x']), 'enis[1].securty_groups', /unknown field 'securty_groups'/);
  expectError((d) => delete d.enis[1].subnet, 'enis[1].subnet', /is required/);
  expectError((d) => delete d.vpcs[0].account_id, 'vpcs[0].account_id', /is required/);
  expectError((d) => (d.enis[0].ips = 'x'), 'enis[0].ips', /expected array/);
  expectError((d) => (d.enis[0].ips = []), 'enis[0].ips', /at least one address/);
  expectError((d) => (d.enis[0].ips[1] = '2001:db8:1:1::zz'), 'enis[0].ips[1]', /'2001:db8:1:1::zz' is not an IP address/);
  expectError((d) => (d.enis[0].mac = '02:00:00:00:01'), 'enis[0].mac', /not a MAC address/);
  expectError((d) => (d.enis[0].bandwidth_mbps = 0), 'enis[0].bandwidth_mbps', /more than 0/);
  expectError((d) => (d.enis[0].security_groups = []), 'enis[0].security_groups', /at least one security group/);
  expectError((d) => (d.vpcs[0].cidrs[0] = '10.0.0.0/33'), 'vpcs[0].cidrs[0]', /not a CIDR/);
  expectError((d) => (d.vpcs[0].cidrs[0] = '10.0.0.0'), 'vpcs[0].cidrs[0]', /needs a prefix length/);
  expectError((d) => (d.subnets[1].cidr = '10.0.1.7/24'), 'subnets[1].cidr', /host bits set/);
  expectError((d) => delete d.subnets[1].cidr, 'subnets[1].cidrs', /needs a cidr/);
  expectError((d) => (d.security_groups[0].ingress[0].protocol = 'tcpp'), 'security_groups[0].ingress[0].protocol', /'tcpp' is not a protocol/);
  expectError((d) => (d.security_groups[0].ingress[0].protocol = 256), 'security_groups[0].ingress[0].protocol', /0 to 255/);
  expectError((d) => (d.security_groups[0].ingress[0].ports = '443-80'), 'security_groups[0].ingress[0].ports', /ends before it starts/);
  expectError((d) => (d.security_groups[0].ingress[0].ports = 70000), 'security_groups[0].ingress[0].ports', /0 to 65535/);
  expectError((d) => (d.security_groups[0].ingress[0].ports = 'http'), 'security_groups[0].ingress[0].ports', /not a port/);
  expectError((d) => (d.security_groups[0].semantics = 'azure'), 'security_groups[0].semantics', /one of aws, tencent/);
  expectError((d) => (d.network_acls[0].ingress[0].action = 'maybe'), 'network_acls[0].ingress[0].action', /one of allow, deny/);
  expectError((d) => (d.network_acls[0].ingress[0].number = 0), 'network_acls[0].ingress[0].number', /1 to 32766/);
  expectError((d) => (d.network_acls[0].ingress[0].cidr = 'any'), 'network_acls[0].ingress[0].cidr', /'any' is not a CIDR/);
  expectError((d) => (d.extra = 1), 'extra', /unknown field/);
});

test('reference errors: unknown ids, wrong VPC, duplicates', () => {
  expectError((d) => (d.subnets[0].vpc = 'vpc-9'), 'subnets[0].vpc', /unknown VPC 'vpc-9'/);
  expectError((d) => (d.subnets[0].network_acl = 'acl-9'), 'subnets[0].network_acl', /unknown network ACL 'acl-9'/);
  expectError((d) => (d.enis[1].subnet = 'subnet-9'), 'enis[1].subnet', /unknown subnet 'subnet-9'/);
  expectError((d) => (d.enis[1].security_groups = ['sg-app', 'sg-9']), 'enis[1].security_groups[1]', /unknown security group 'sg-9'/);
  expectError((d) => (d.security_groups[1].ingress[0].peer = 'sg-9'), 'security_groups[1].ingress[0].peer', /neither a CIDR nor a known security group/);
  expectError((d) => (d.security_groups[0].vpc = 'vpc-9'), 'security_groups[0].vpc', /unknown VPC/);
  expectError((d) => (d.network_acls[1].vpc = 'vpc-9'), 'network_acls[1].vpc', /unknown VPC/);
  const otherVpc = (d: Record<string, any>) => {
    d.vpcs.push({ id: 'vpc-2', account_id: '1', cidrs: ['10.1.0.0/16'] });
  };
  expectError(
    (d) => {
      otherVpc(d);
      d.network_acls.push({ id: 'acl-2', vpc: 'vpc-2' });
      d.subnets[1].network_acl = 'acl-2';
    },
    'subnets[1].network_acl',
    /belongs to VPC 'vpc-2', not 'vpc-1'/,
  );
  expectError(
    (d) => {
      otherVpc(d);
      d.security_groups.push({ id: 'sg-2', vpc: 'vpc-2' });
      d.enis[1].security_groups = ['sg-2'];
    },
    'enis[1].security_groups[0]',
    /'sg-2' is in VPC 'vpc-2', the ENI in 'vpc-1'/,
  );
  expectError((d) => d.enis.push({ ...d.enis[1], mac: '02:00:00:00:00:03', ips: ['10.0.1.99'] }), 'enis[2].id', /duplicate id 'eni-app' \(also enis\[1\]\)/);
  expectError((d) => d.vpcs.push({ ...d.vpcs[0], cidrs: ['10.2.0.0/16'] }), 'vpcs[1].id', /duplicate id 'vpc-1'/);
  expectError((d) => d.security_groups[0].ingress.push({ id: 'https', protocol: 'tcp', ports: 80, peer: '0.0.0.0/0' }), 'security_groups[0].ingress[2].id', /duplicate rule id 'https'/);
  expectError((d) => d.network_acls[0].ingress.push({ number: 100, action: 'allow', protocol: 'all', cidr: '0.0.0.0/0' }), 'network_acls[0].ingress[2].number', /duplicate rule number 100/);
});

test('address plan errors: outside, overlapping, reused', () => {
  expectError((d) => (d.subnets[1].cidr = '10.5.0.0/24'), 'subnets[1].cidr', /10\.5\.0\.0\/24 is not inside VPC 'vpc-1'/);
  expectError((d) => (d.subnets[1].cidr = '10.0.0.128/25'), 'subnets[1].cidr', /overlaps subnet 'subnet-pub' \(10\.0\.0\.0\/24\)/);
  expectError((d) => d.vpcs.push({ id: 'vpc-2', account_id: '1', cidrs: ['10.0.128.0/17'] }), 'vpcs[1].cidrs[0]', /overlaps VPC 'vpc-1' 10\.0\.0\.0\/16/);
  expectError((d) => (d.enis[1].ips[1] = '10.0.0.5'), 'enis[1].ips[1]', /10\.0\.0\.5 is outside subnet 'subnet-app'/);
  expectError((d) => (d.enis[1].ips[1] = '10.0.0.10'), 'enis[1].ips[1]', /outside subnet/);
  expectError((d) => d.enis.push({ id: 'eni-3', mac: '02:00:00:00:00:03', ips: ['10.0.1.20'], subnet: 'subnet-app', security_groups: ['sg-app'] }), 'enis[2].ips[0]', /10\.0\.1\.20 is also used by enis\[1\]/);
  expectError((d) => d.enis.push({ id: 'eni-3', mac: '02:00:00:00:00:01', ips: ['10.0.1.30'], subnet: 'subnet-app', security_groups: ['sg-app'] }), 'enis[2].mac', /also used by enis\[0\]/);
  expectError((d) => (d.enis[1].public_ip = '198.51.100.10'), 'enis[1].public_ip', /also used by enis\[0\]/);
});

test('security-group semantics errors', () => {
  expectError((d) => (d.security_groups[0].ingress[0].action = 'drop'), 'security_groups[0].ingress[0].action', /aws security groups only allow/);
  expectError(
    (d) => {
      d.security_groups[0].semantics = 'tencent';
      d.security_groups[0].ingress[0].action = 'accept';
    },
    'security_groups[0].ingress[1].action',
    /need an action/,
  );
  expectError(
    (d) => {
      d.security_groups.push({ id: 'sg-t', vpc: 'vpc-1', semantics: 'tencent' });
      d.enis[1].security_groups = ['sg-app', 'sg-t'];
    },
    'enis[1].security_groups',
    /mixes aws and tencent/,
  );
});

test('errors carry the line of the offending value', () => {
  const text = ['vpcs:', '  - id: v', '    account_id: "1"', '    cidrs: [10.0.0.0/16]', 'subnets:', '  - id: s', '    vpc: nope', '    cidr: 10.0.0.0/24', '    network_acl: a', ''].join('\n');
  assert.throws(
    () => parseInventory(text, 'lines.yaml'),
    (e: unknown) => e instanceof InventoryError && e.line === 7 && e.message === "lines.yaml: subnets[0].vpc: unknown VPC 'nope' (line 7)",
  );
});

test('account ids keep leading zeros even unquoted', () => {
  const inv = parseInventory('vpcs:\n  - { id: v, account_id: 012345678901, cidrs: [10.0.0.0/16] }\n', 'zero.yaml');
  assert.equal(inv.vpc('v')!.accountId, '012345678901');
});
