import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { PolicyEngine, INGRESS, type Decision } from '../../policy/index.js';
import { parseIp } from '../../schema/ip.js';
import { repoRoot } from '../../../test/support/paths.js';
import { isInputError } from '../../util/errors.js';
import type { InventoryIndex } from '../inventory-index.js';
import { importInventory, type InventoryDocument } from './import.js';

const FIXTURES = path.join(repoRoot, 'test', 'fixtures', 'inventory');

function docs(cloud: string, only?: (name: string) => boolean): InventoryDocument[] {
  const dir = path.join(FIXTURES, cloud);
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json') && (!only || only(f)))
    .sort()
    .map((f) => ({ file: path.join(dir, f), text: fs.readFileSync(path.join(dir, f), 'utf8') }));
}

/** The verdict at the receiving interface of a new connection from `src` to `dst`. */
function inbound(inv: InventoryIndex, src: string, dst: string, protocol: number, dstPort: number): Decision {
  const engine = new PolicyEngine(inv);
  const eni = inv.eniByIp(dst)!;
  return engine.evaluateInterface(eni, INGRESS, protocol, parseIp(src)!, 0, 40000, dstPort);
}

function connection(inv: InventoryIndex, src: string, dst: string, protocol: number, dstPort: number) {
  const engine = new PolicyEngine(inv);
  return engine.evaluateConnection(inv.eniByIp(src) ?? null, parseIp(src)!, 0, inv.eniByIp(dst) ?? null, parseIp(dst)!, 0, protocol, 40000, dstPort);
}

test('AWS describe outputs become the inventory: objects, addresses, associations', () => {
  const r = importInventory(docs('aws'), { format: 'auto' });
  const inv = r.index;
  assert.deepEqual(r.read.map((x) => x.as).flat().sort(), ['aws describe-network-acls', 'aws describe-network-interfaces', 'aws describe-security-groups', 'aws describe-subnets', 'aws describe-vpcs']);
  const vpc = inv.vpc('vpc-0a1b2c3d4e5f60718')!;
  assert.equal(vpc.name, 'shop-prod');
  assert.equal(vpc.accountId, '111122223333');
  assert.equal(vpc.region, 'us-east-1');
  assert.deepEqual(vpc.cidrs, ['10.20.0.0/16', '2600:1f18:47b:d800::/56']);
  assert.equal(inv.subnet('subnet-04a6e2c9b1f3d8e57')!.networkAcl.id, 'acl-06d1e2f3a4b5c6d7e');
  assert.equal(inv.subnet('subnet-0b7c9d1e3f5a2b4c6')!.networkAcl.id, 'acl-0e9d8c7b6a5f43210');
  assert.deepEqual(inv.subnet('subnet-04a6e2c9b1f3d8e57')!.cidrs, ['10.20.1.0/24', '2600:1f18:47b:d801::/64']);

  const web = inv.eni('eni-07c3f1a2b4d6e8f90')!;
  assert.equal(web.macText, '0e:6a:1f:3b:8c:21');
  assert.deepEqual(web.ips, ['10.20.1.15', '10.20.1.16', '2600:1f18:47b:d801:a2c4:5e6f:7a8b:9c0d']);
  assert.equal(web.publicIp, '54.210.33.17');
  assert.equal(web.instanceId, 'i-0f1e2d3c4b5a69788');
  assert.deepEqual(web.securityGroups.map((g) => g.id), ['sg-0d1e2f3a4b5c6d7e8']);
  assert.equal(inv.eniByMac('0e:6a:1f:3b:8c:22')!.id, 'eni-0d2e4f6a8b0c1d3e5');
  assert.equal(inv.eniByIp('54.210.33.17')!.id, 'eni-07c3f1a2b4d6e8f90');

  // The NAT gateway ENI has no group: an allow-all stand-in, and a note saying so.
  const nat = inv.eni('eni-0f9e8d7c6b5a41302')!;
  assert.deepEqual(nat.securityGroups.map((g) => g.id), ['sg-none-vpc-0a1b2c3d4e5f60718']);
  assert.ok(r.notes.some((n) => n.includes('eni-0f9e8d7c6b5a41302') && n.includes('no security group')));
  assert.ok(r.notes.some((n) => n.includes('pl-0c1d2e3f4a5b6c7d8')), 'the prefix-list rule is reported, not silently dropped');

  // The final "*" entries are the engine's own default deny, not rules.
  const appAcl = inv.networkAcl('acl-0e9d8c7b6a5f43210')!;
  assert.deepEqual(appAcl.ingress.map((x) => x.number), [90, 100, 110, 120]);
  assert.deepEqual(appAcl.egress.map((x) => x.number), [100, 110, 120]);
});

test('imported AWS rules give the verdicts the describe outputs imply', () => {
  const inv = importInventory(docs('aws')).index;
  const https = inbound(inv, '198.51.100.7', '10.20.1.15', 6, 443);
  assert.equal(https.action, 'ACCEPT');
  assert.equal(https.ruleId, 'sg-0d1e2f3a4b5c6d7e8/ingress-1');
  const ssh = inbound(inv, '198.51.100.7', '10.20.1.15', 6, 22);
  assert.equal(ssh.ruleId, 'sg-0d1e2f3a4b5c6d7e8/default-deny');
  assert.equal(inbound(inv, '203.0.113.40', '10.20.1.15', 6, 22).ruleId, 'sg-0d1e2f3a4b5c6d7e8/ingress-3');
  // web → app on 8080: allowed by the group-pair rule, request and reply.
  const api = connection(inv, '10.20.1.15', '10.20.2.30', 6, 8080);
  assert.ok(api.established);
  assert.equal(api.request.atReceiver!.ruleId, 'sg-0a9b8c7d6e5f40312/ingress-1');
  // The office range is denied by the app subnet's ACL before any group sees it.
  const office = inbound(inv, '203.0.113.9', '10.20.2.30', 6, 8080);
  assert.equal(office.ruleId, 'acl-0e9d8c7b6a5f43210/90');
  // Ping (ICMP echo, type 8) from the web tier.
  const ping = connection(inv, '10.20.1.15', '10.20.2.30', 1, 8 * 256);
  assert.ok(ping.request.accepted);
  assert.equal(ping.request.atReceiver!.ruleId, 'sg-0a9b8c7d6e5f40312/ingress-2');
});

test('Tencent describe outputs become the inventory, with ordered ACCEPT/DROP groups', () => {
  const r = importInventory(docs('tencent'), { account: '100012345678' });
  const inv = r.index;
  const vpc = inv.vpc('vpc-2at5y1pn')!;
  assert.equal(vpc.accountId, '100012345678');
  assert.equal(vpc.region, 'ap-guangzhou');
  assert.equal(vpc.name, 'game-prod');
  assert.equal(inv.subnet('subnet-9v4c1m8x')!.networkAcl.id, 'acl-m3o7r2qa');
  assert.equal(inv.subnet('subnet-ks7p3q2d')!.networkAcl.id, 'acl-none-vpc-2at5y1pn', 'a subnet without an ACL is not filtered');
  const front = inv.eni('eni-6m2xpr4k')!;
  assert.equal(front.macText, '52:54:00:6d:be:5a');
  assert.equal(front.publicIp, '106.52.33.183');
  assert.equal(front.instanceId, 'ins-8dkw2fo1');
  const group = inv.securityGroup('sg-k2dy6f7n')!;
  assert.equal(group.semantics, 'tencent');
  assert.equal(group.name, 'game-front');
  assert.deepEqual(group.ingress.map((x) => [x.id, x.action]), [
    ['ingress-0', 'drop'],
    ['ingress-1', 'accept'],
    ['ingress-2', 'accept'],
  ]);
  assert.ok(r.notes.some((n) => n.includes('ipm-2uw6ujo6')), 'the address-template policy is reported');

  assert.equal(inbound(inv, '8.8.8.8', '172.16.1.17', 6, 22).ruleId, 'sg-k2dy6f7n/ingress-0');
  const game = inbound(inv, '8.8.8.8', '172.16.1.17', 6, 7010);
  assert.equal(game.action, 'ACCEPT');
  assert.equal(game.ruleId, 'sg-k2dy6f7n/ingress-1');
  const redis = connection(inv, '172.16.1.17', '172.16.2.8', 6, 6379);
  assert.ok(redis.established);
  assert.equal(redis.request.atReceiver!.ruleId, 'sg-0p3lj6mq/ingress-0');
  assert.equal(inbound(inv, '8.8.8.8', '172.16.2.8', 6, 6379).ruleId, 'acl-m3o7r2qa/3');
});

test('a missing describe output or an unknown file is named in one clear message', () => {
  const noSubnets = docs('aws', (f) => !f.includes('subnets'));
  assert.throws(
    () => importInventory(noSubnets),
    (e: Error) => isInputError(e) && /ENI eni-07c3f1a2b4d6e8f90 is in subnet subnet-04a6e2c9b1f3d8e57, which no imported file describes \(add the describe-subnets output\)/.test(e.message),
  );
  const policies = docs('tencent').map((d) => (d.file.includes('sg-k2dy6f7n') ? { ...d, file: '/tmp/policies.json' } : d));
  assert.throws(() => importInventory(policies), (e: Error) => isInputError(e) && /\/tmp\/policies.json: .* does not say which security group/.test(e.message));
  assert.throws(() => importInventory([{ file: 'x.json', text: '{"Reservations": []}' }]), (e: Error) => isInputError(e) && /x.json: not an inventory file nor a describe output/.test(e.message));
  assert.throws(() => importInventory(docs('aws'), { format: 'tencent' }), (e: Error) => isInputError(e) && /x?describe-[a-z-]+.json: this is an AWS describe output, not --format tencent/.test(e.message));
});

test('our own inventory format imports as it is, alone or beside describe outputs', () => {
  const own = fs.readFileSync(path.join(repoRoot, 'examples', 'inventory.yaml'), 'utf8');
  const r = importInventory([{ file: 'inventory.yaml', text: own }, ...docs('aws')]);
  assert.ok(r.index.vpc('vpc-0f3a8c1d2e4b5a601'), 'the example network');
  assert.ok(r.index.vpc('vpc-0a1b2c3d4e5f60718'), 'and the AWS one');
});
