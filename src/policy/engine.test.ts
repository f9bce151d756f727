import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIp } from '../schema/ip.js';
import { policyInventory } from './test-fixture.js';
import { EGRESS, INGRESS, PolicyEngine, explainConnection, type ConnectionVerdict } from './index.js';

const inv = policyInventory();
const engine = new PolicyEngine(inv);
const ip = (s: string) => parseIp(s)!;
const eni = (id: string) => inv.eni(id)!;

/** A connection from an address (resolved to its ENI when it has one) to another. */
function connect(src: string, dst: string, protocol: number, srcPort: number, dstPort: number): ConnectionVerdict {
  return engine.evaluateConnection(inv.eniByIp(src) ?? null, ip(src), 0, inv.eniByIp(dst) ?? null, ip(dst), 0, protocol, srcPort, dstPort);
}

const hopRules = (v: ConnectionVerdict, path: 'request' | 'reply') =>
  v[path].hops.map((h) => (h.crossed ? `${h.hop}=${h.decision!.action}:${h.decision!.ruleId}` : `${h.hop}=-`));

test('internet client to a web server: the request crosses the local side only, the reply passes the group by tracking', () => {
  const v = connect('198.51.100.7', '10.0.1.10', 6, 50000, 443);
  assert.deepEqual(hopRules(v, 'request'), ['src_sg_egress=-', 'src_acl_egress=-', 'dst_acl_ingress=ACCEPT:acl-a/100', 'dst_sg_ingress=ACCEPT:sg-web/https']);
  // sg-web has no outbound rule towards the internet: only connection tracking lets the answer out.
  assert.deepEqual(hopRules(v, 'reply'), ['dst_sg_egress=ACCEPT:sg-web/https', 'dst_acl_egress=ACCEPT:acl-a/100', 'src_acl_ingress=-', 'src_sg_ingress=-']);
  assert.equal(v.request.accepted, true);
  assert.equal(v.reply.accepted, true);
  assert.equal(v.established, true);
  assert.equal(v.request.atSender, null);
  assert.equal(v.request.atReceiver?.ruleId, 'sg-web/https');
  assert.equal(v.reply.hops[0].interfaceId, 'eni-web');
  // The same packets as a new outbound connection are denied: the group is stateful, not open.
  const out = engine.evaluateInterface(eni('eni-web'), EGRESS, 6, ip('198.51.100.7'), 0, 443, 50000);
  assert.equal(out.ruleId, 'sg-web/default-deny');
  assert.equal(out.action, 'REJECT');
});

test('ping example: request allowed by group and ACL, reply denied by the outbound ACL', () => {
  const v = connect('198.51.100.7', '10.0.1.10', 1, 7, 8 << 8);
  assert.equal(v.request.accepted, true);
  assert.equal(v.request.atReceiver?.action, 'ACCEPT');
  assert.equal(v.request.atReceiver?.ruleId, 'sg-web/ping');
  assert.equal(v.reply.evaluated, true);
  assert.equal(v.reply.accepted, false);
  assert.equal(v.reply.blockedBy?.hop, 'dst_acl_egress');
  assert.equal(v.reply.atSender?.action, 'REJECT');
  assert.equal(v.reply.atSender?.kind, 'network_acl');
  assert.equal(v.reply.atSender?.id, 'acl-a');
  assert.equal(v.reply.atSender?.rule, 'default-deny');
  // The same answer judged as a record at the interface: an egress REJECT.
  const rec = engine.evaluateInterface(eni('eni-web'), EGRESS, 1, ip('198.51.100.7'), 0, 7, 0, true);
  assert.equal(rec.ruleId, 'acl-a/default-deny');
});

test('when the group denies the inbound ping there is a single REJECT and no reply', () => {
  const v = connect('198.51.100.7', '10.0.1.10', 1, 7, 13 << 8); // timestamp request: ICMP allowed by the ACL, not by the group
  assert.equal(v.request.accepted, false);
  assert.equal(v.request.blockedBy?.hop, 'dst_sg_ingress');
  assert.equal(v.request.atReceiver?.ruleId, 'sg-web/default-deny');
  assert.equal(v.reply.evaluated, false);
  assert.equal(v.reply.atSender, null);
});

test('ACL rules apply in number order whatever the file order; the group is not reached', () => {
  const v = connect('203.0.113.5', '10.0.1.10', 6, 40000, 443);
  assert.deepEqual(hopRules(v, 'request'), ['src_sg_egress=-', 'src_acl_egress=-', 'dst_acl_ingress=REJECT:acl-a/90', 'dst_sg_ingress=-']);
  const other = connect('198.51.100.7', '10.0.1.10', 17, 40000, 53);
  assert.equal(other.request.atReceiver?.ruleId, 'acl-a/default-deny');
});

test('rules referencing a group match only its members; a source with no outbound rule is stopped at its own group', () => {
  const admin = connect('10.0.2.30', '10.0.1.10', 6, 40001, 22);
  assert.deepEqual(hopRules(admin, 'request'), ['src_sg_egress=ACCEPT:sg-admin/all', 'src_acl_egress=ACCEPT:acl-b/100', 'dst_acl_ingress=ACCEPT:acl-a/120', 'dst_sg_ingress=ACCEPT:sg-web/ssh-admin']);
  assert.equal(admin.established, true);
  const notMember = connect('10.0.2.40', '10.0.1.10', 6, 40002, 22);
  assert.equal(notMember.request.atSender?.ruleId, 'sg-t1/all');
  assert.equal(notMember.request.atReceiver?.ruleId, 'sg-web/default-deny');
  const noEgress = connect('10.0.2.20', '10.0.1.10', 6, 40003, 22);
  assert.equal(noEgress.request.blockedBy?.hop, 'src_sg_egress');
  assert.equal(noEgress.request.atSender?.ruleId, 'sg-app/default-deny');
  assert.equal(noEgress.request.atReceiver, null, 'never reached the destination');
  // Looked up by address when the caller does not say who the peer is.
  assert.equal(engine.evaluateInterface(eni('eni-web'), INGRESS, 6, ip('10.0.2.30'), 0, 40001, 22).ruleId, 'sg-web/ssh-admin');
  // Told explicitly that the peer is outside the inventory, the group reference cannot match.
  assert.equal(engine.evaluateInterface(eni('eni-web'), INGRESS, 6, ip('10.0.2.30'), 0, 40001, 22, false, null).ruleId, 'sg-web/default-deny');
});

test('stateful groups pass the replies of allowed connections; a new connection the other way is denied', () => {
  const v = connect('10.0.1.10', '10.0.2.20', 6, 45000, 8081);
  assert.deepEqual(hopRules(v, 'request'), ['src_sg_egress=ACCEPT:sg-web/to-app', 'src_acl_egress=ACCEPT:acl-a/110', 'dst_acl_ingress=ACCEPT:acl-b/100', 'dst_sg_ingress=ACCEPT:sg-app/api']);
  // sg-app has no outbound rules at all, yet the answer leaves: it belongs to a tracked connection.
  assert.deepEqual(hopRules(v, 'reply'), ['dst_sg_egress=ACCEPT:sg-app/api', 'dst_acl_egress=ACCEPT:acl-b/100', 'src_acl_ingress=ACCEPT:acl-a/120', 'src_sg_ingress=ACCEPT:sg-web/to-app']);
  const back = connect('10.0.2.20', '10.0.1.10', 6, 45000, 8081);
  assert.equal(back.request.atSender?.ruleId, 'sg-app/default-deny');
  // Port lists and ranges: 8082 is in neither.
  assert.equal(connect('10.0.1.10', '10.0.2.20', 6, 45000, 8082).request.atSender?.ruleId, 'sg-web/default-deny');
});

test('an ENI with several AWS groups is allowed by any of them', () => {
  const udp = connect('10.0.2.30', '10.0.2.50', 17, 40000, 9101);
  assert.equal(udp.request.atReceiver?.ruleId, 'sg-admin/metrics');
  const api = connect('10.0.1.10', '10.0.2.50', 6, 40000, 8080);
  assert.equal(api.request.atReceiver?.ruleId, 'sg-app/api');
  assert.equal(connect('10.0.2.30', '10.0.2.50', 6, 40000, 9101).request.atReceiver?.ruleId, 'sg-app/default-deny', 'the default is named after the first group');
});

test('Tencent groups: ordered ACCEPT/DROP across the groups in order, first match wins, implicit drop', () => {
  const at = (src: string, protocol: number, port: number) => engine.evaluateInterface(eni('eni-t'), INGRESS, protocol, ip(src), 0, 40000, port);
  assert.equal(at('10.0.2.30', 6, 22).ruleId, 'sg-t1/ssh-admin', 'accept before the drop');
  assert.equal(at('10.0.1.10', 6, 22).ruleId, 'sg-t1/ssh-drop', "the first group's drop beats the second group's accept");
  assert.equal(at('10.0.1.10', 6, 22).action, 'REJECT');
  assert.equal(at('10.0.1.10', 6, 80).ruleId, 'sg-t2/ssh-http');
  assert.equal(at('10.0.1.11', 6, 80).ruleId, 'sg-t1/drop-web2', 'a bare address is a /32');
  assert.equal(at('10.0.1.10', 17, 9999).ruleId, 'sg-t2/subnet-a');
  const unmatched = engine.evaluateInterface(eni('eni-t'), INGRESS, 6, ip('10.0.3.3'), 0, 40000, 9999);
  assert.equal(unmatched.ruleId, 'sg-t1/default-deny');
  assert.equal(unmatched.kind, 'security_group');
});

test('IPv6 and IPv4 rules stay apart: ::/0 does not match IPv4 clients', () => {
  const v6 = connect('2001:db8:ffff::1', '2001:db8:0:1::10', 6, 50000, 443);
  assert.equal(v6.request.atReceiver?.ruleId, 'sg-web/https-v6');
  assert.equal(v6.request.hops[2].decision?.ruleId, 'acl-a/130');
  assert.equal(v6.reply.atSender?.ruleId, 'sg-web/https-v6');
  assert.equal(v6.reply.hops[1].decision?.ruleId, 'acl-a/120');
  const v4 = connect('198.51.100.7', '10.0.1.10', 6, 50000, 443);
  assert.equal(v4.request.atReceiver?.ruleId, 'sg-web/https', 'the ::/0 rule listed first is skipped for IPv4');
});

test('traffic inside one subnet crosses no ACL', () => {
  // acl-a denies HTTPS to its own subnet (rule 105); inside the subnet that rule never applies.
  const v = connect('10.0.1.11', '10.0.1.10', 6, 40000, 443);
  assert.equal(v.request.accepted, true);
  assert.equal(v.request.hops[1].crossed, false);
  assert.equal(v.request.hops[2].crossed, false);
  assert.equal(v.request.atSender?.ruleId, 'sg-web/web-peers');
  assert.equal(engine.crossesAcl(eni('eni-web'), ip('10.0.1.11'), 0), false);
  assert.equal(engine.crossesAcl(eni('eni-web'), ip('10.0.2.20'), 0), true);
  assert.equal(engine.crossesAcl(eni('eni-web'), ip('2001:db8:0:1::99'), 0), false);
});

test('every decision has a distinct code and a rule id of the form <id>/<rule>', () => {
  const codes = engine.decisions.map((d) => d.code);
  assert.deepEqual(codes, [...codes.keys()]);
  for (const d of engine.decisions) assert.equal(d.ruleId, `${d.id}/${d.rule}`);
  assert.ok(engine.decisions.some((d) => d.ruleId === 'acl-a/90' && !d.accept));
});

test('explainConnection reports each hop for the command line', () => {
  const r = explainConnection(engine, { src: '198.51.100.7', dst: '10.0.1.10', protocol: 'icmp', srcPort: 7, dstPort: 2048 });
  assert.equal(r.src.interface_id, null);
  assert.equal(r.dst.interface_id, 'eni-web');
  assert.equal(r.dst.subnet_id, 'subnet-a');
  assert.equal(r.request.action, 'ACCEPT');
  assert.equal(r.reply.action, 'REJECT');
  assert.equal(r.reply.blocked_by, 'dst_acl_egress');
  assert.equal(r.reply.rule_id, 'acl-a/default-deny');
  assert.deepEqual(r.request.hops[3], { hop: 'dst_sg_ingress', interface_id: 'eni-web', crossed: true, action: 'ACCEPT', kind: 'security_group', id: 'sg-web', rule: 'ping' });
  assert.throws(() => explainConnection(engine, { src: 'x', dst: '10.0.1.10', dstPort: 1 }), /'x' is not an IP address/);
  assert.throws(() => explainConnection(engine, { src: '10.0.1.11', dst: '10.0.1.10', protocol: 'nope', dstPort: 1 }), /not a protocol/);
});
