import assert from 'node:assert/strict';
import { test } from 'node:test';
import { handInventory } from '../../../test/answers/hand-inventory.js';
import { applyChanges, indexOf } from '../../../test/answers/support.js';
import type { InventoryFileInput } from '../../inventory/file-schema.js';
import { PolicyEngine } from '../../policy/engine.js';
import { isInputError } from '../../util/errors.js';
import { diagnoseConfiguration, type DiagnoseQuery, type Diagnosis } from './diagnose.js';

const doc = handInventory();
const inv = indexOf(doc, 'hand.yaml');

function run(q: DiagnoseQuery, d: InventoryFileInput = doc): Diagnosis {
  return diagnoseConfiguration(d === doc ? inv : indexOf(d), q);
}

/** hop → [action, deciding group/ACL, rule] for the hops on the path; '-' for the others. */
function hops(d: Diagnosis): Record<string, string> {
  return Object.fromEntries(d.hops.map((h) => [h.hop, h.applies ? `${h.action ?? 'none'} ${h.id} ${h.rule?.rule ?? ''}${h.tracked ? ' tracked' : ''}`.trim() : '-']));
}

/** After applying the proposed changes, the connection is reachable (or blocked, for --deny). */
function fixed(q: DiagnoseQuery, d: Diagnosis): Diagnosis {
  return run({ ...q, deny: false }, applyChanges(doc, d.fix.changes));
}

test('web to app on 8080: reachable, every hop and its deciding rule', () => {
  const d = run({ src: 'eni-web', dst: 'eni-app', port: 8080 });
  assert.equal(d.reachable, true);
  assert.equal(d.blocked_by, null);
  assert.deepEqual(hops(d), {
    src_sg_egress: 'ACCEPT sg-web to-app',
    src_acl_egress: 'ACCEPT acl-a 110',
    dst_acl_ingress: 'ACCEPT acl-b 100',
    dst_sg_ingress: 'ACCEPT sg-app api',
    dst_sg_egress: 'ACCEPT sg-app api tracked',
    dst_acl_egress: 'ACCEPT acl-b 100',
    src_acl_ingress: 'ACCEPT acl-a 120',
    src_sg_ingress: 'ACCEPT sg-web to-app tracked',
  });
  assert.equal(d.hops.find((h) => h.hop === 'dst_acl_egress')!.port, 49152, 'the reply goes to the client port');
  assert.equal(d.fix.needed, false);
  // By instance id and by address the answer is the same.
  assert.deepEqual(hops(run({ src: 'i-web', dst: '10.0.2.20', port: 8080 })), hops(d));
});

test('web2 to app: the request passes, the reply is refused by acl-b rule 90; the fix is one allow rule numbered 89', () => {
  const q = { src: 'eni-web2', dst: 'eni-app', port: 8080 };
  const d = run(q);
  assert.equal(d.reachable, false);
  assert.equal(d.blocked_by, 'acl-b');
  assert.equal(d.blocked_at, 'dst_acl_egress');
  assert.equal(d.deciding_rule?.rule_id, 'acl-b/90');
  assert.equal(hops(d).dst_sg_ingress, 'ACCEPT sg-app api');
  assert.deepEqual(
    d.fix.changes.map((c) => [c.kind, c.id, c.direction, c.rule]),
    [['network_acl', 'acl-b', 'egress', { number: 89, action: 'allow', protocol: 'tcp', ports: '32768-65535', cidr: '10.0.1.11/32', description: 'proposed by flowlogs diagnose' }]],
  );
  assert.equal(fixed(q, d).reachable, true);
});

test('batch to db in one subnet: no ACL on the path, refused by the default of sg-db; the fix goes to the group with fewest members', () => {
  const q = { src: 'eni-batch', dst: 'eni-db', port: 5432 };
  const d = run(q);
  assert.equal(d.reachable, false);
  assert.equal(d.blocked_by, 'sg-db');
  assert.equal(d.deciding_rule?.rule, 'default-deny');
  assert.equal(hops(d).src_acl_egress, '-');
  assert.equal(hops(d).dst_acl_ingress, '-');
  assert.deepEqual(d.hops.find((h) => h.hop === 'dst_sg_ingress')!.security_groups, ['sg-db', 'sg-base']);
  assert.equal(d.fix.changes.length, 1);
  const c = d.fix.changes[0];
  assert.deepEqual([c.id, c.direction, c.interfaces], ['sg-db', 'ingress', 1]);
  assert.deepEqual({ protocol: (c.rule as any).protocol, ports: (c.rule as any).ports, peer: (c.rule as any).peer }, { protocol: 'tcp', ports: '5432', peer: '10.0.2.50/32' });
  assert.match(c.alternative ?? '', /from sg-batch/);
  assert.equal(fixed(q, d).reachable, true);
  // The new rule lets nobody else in: app still comes in through its own rule, web2 still does not.
  const after = indexOf(applyChanges(doc, d.fix.changes));
  assert.equal(diagnoseConfiguration(after, { src: 'eni-app', dst: 'eni-db', port: 5432 }).hops.find((h) => h.hop === 'dst_sg_ingress')!.rule_id, 'sg-db/pg');
  assert.equal(diagnoseConfiguration(after, { src: 'eni-web2', dst: 'eni-db', port: 5432 }).reachable, false);
});

test('an internet address in a denied range: refused at the destination ACL by rule 90', () => {
  const q = { src: '203.0.113.5', dst: 'eni-web', port: 443 };
  const d = run(q);
  assert.equal(d.src.in_inventory, false);
  assert.equal(hops(d).src_sg_egress, '-');
  assert.equal(d.blocked_by, 'acl-a');
  assert.equal(d.deciding_rule?.rule_id, 'acl-a/90');
  assert.deepEqual(d.fix.changes.map((c) => c.text), ['add to acl-a ingress: #89 allow tcp 443 from 203.0.113.5/32']);
  assert.equal(fixed(q, d).reachable, true);
  // A client outside the denied range gets in through rule 100 and out through rule 100.
  const ok = run({ src: '198.51.100.7', dst: 'eni-web', port: 443 });
  assert.equal(ok.reachable, true);
  assert.equal(hops(ok).dst_acl_ingress, 'ACCEPT acl-a 100');
  assert.equal(hops(ok).dst_acl_egress, 'ACCEPT acl-a 100');
});

test('three hops refuse at once: every one is named and gets its own change', () => {
  const q = { src: 'eni-web2', dst: 'eni-t', port: 22 };
  const d = run(q);
  assert.equal(d.blocked_by, 'sg-web', 'the first refusal on the way');
  assert.equal(d.blocked_at, 'src_sg_egress');
  assert.equal(hops(d).dst_sg_ingress, 'REJECT sg-t1 ssh-drop');
  assert.equal(hops(d).dst_acl_egress, 'REJECT acl-b 90');
  assert.equal(d.hops.find((h) => h.hop === 'dst_sg_ingress')!.reached, false);
  const byHop = Object.fromEntries(d.fix.changes.map((c) => [c.hop, c]));
  assert.deepEqual(Object.keys(byHop).sort(), ['dst_acl_egress', 'dst_sg_ingress', 'src_sg_egress']);
  assert.equal(byHop.src_sg_egress.text, 'add to sg-web egress: allow tcp 22 to 10.0.3.40/32');
  // Tencent groups are ordered: the accept goes right before the drop that matched.
  assert.deepEqual(byHop.dst_sg_ingress.before, { rule: 'ssh-drop', index: 1 });
  assert.equal((byHop.dst_sg_ingress.rule as any).action, 'accept');
  assert.equal(fixed(q, d).reachable, true);
});

test('ICMP: the echo request gets in, the echo reply finds no way out of acl-a', () => {
  const q = { src: '198.51.100.7', dst: 'eni-web', port: 8, protocol: 'icmp' };
  const d = run(q);
  assert.equal(d.port, 8 * 256);
  assert.equal(hops(d).dst_sg_ingress, 'ACCEPT sg-web ping');
  assert.equal(hops(d).dst_acl_egress, 'REJECT acl-a default-deny');
  assert.equal(d.blocked_by, 'acl-a');
  assert.deepEqual(d.fix.changes.map((c) => c.text), ['add to acl-a egress: #120 allow icmp 0 to 198.51.100.7/32']);
  assert.equal(fixed(q, d).reachable, true);
});

test('--deny: an ACL deny just below the allow that decides, touching nothing else', () => {
  const q = { src: 'eni-web', dst: 'eni-app', port: 8080, deny: true };
  const d = run(q);
  assert.equal(d.reachable, true);
  assert.deepEqual(d.fix.changes.map((c) => c.text), ['add to acl-b ingress: #99 deny tcp 8080 from 10.0.1.10/32']);
  const after = indexOf(applyChanges(doc, d.fix.changes));
  assert.equal(diagnoseConfiguration(after, q).reachable, false);
  assert.equal(diagnoseConfiguration(after, { src: 'eni-web2', dst: 'eni-app', port: 8080 }).hops.find((h) => h.hop === 'dst_acl_ingress')!.action, 'ACCEPT');
  assert.equal(run({ src: 'eni-batch', dst: 'eni-db', port: 5432, deny: true }).fix.needed, false);
});

test('--deny without an ACL on the path: a Tencent drop before the accept; AWS groups must lose the rules that admit it', () => {
  const tq = { src: 'eni-t2', dst: 'eni-t', port: 80, deny: true };
  const t = run(tq);
  assert.equal(t.reachable, true);
  assert.equal(hops(t).dst_sg_ingress, 'ACCEPT sg-t2 http');
  assert.deepEqual(t.fix.changes.map((c) => [c.id, c.before, (c.rule as any).action]), [['sg-t2', { rule: 'http', index: 0 }, 'drop']]);
  assert.equal(fixed(tq, t).reachable, false);

  const aq = { src: 'eni-web', dst: 'eni-web2', port: 443, deny: true };
  const a = run(aq);
  assert.equal(a.reachable, true);
  assert.deepEqual(a.fix.changes.map((c) => [c.change, c.id, c.direction, (c.rule as any).rule]), [['remove', 'sg-web', 'ingress', 'https']]);
  assert.match(a.fix.note, /cannot deny/);
  assert.equal(fixed(aq, a).reachable, false);
});

test('the first refusal agrees with the policy engine on every pair of interfaces and ports', () => {
  const engine = new PolicyEngine(inv);
  let n = 0;
  for (const s of inv.enis) {
    for (const t of inv.enis) {
      if (s === t) continue;
      for (const port of [22, 80, 443, 5432, 8080, 9100]) {
        const d = diagnoseConfiguration(inv, { src: s.id, dst: t.id, port });
        const v = engine.evaluateConnection(s, s.addrs, 0, t, t.addrs, 0, 6, 49152, port);
        assert.equal(d.reachable, v.established, `${s.id} → ${t.id}:${port}`);
        const first = v.request.blockedBy ?? v.reply.blockedBy;
        assert.equal(d.blocked_at, first?.hop ?? null, `${s.id} → ${t.id}:${port}`);
        assert.equal(d.deciding_rule?.rule_id ?? null, first?.decision?.ruleId ?? null, `${s.id} → ${t.id}:${port}`);
        n++;
      }
    }
  }
  assert.equal(n, 7 * 6 * 6);
});

test('ends that cannot be evaluated are refused with a clear message', () => {
  const bad = (q: DiagnoseQuery, re: RegExp) => assert.throws(() => run(q), (e: unknown) => isInputError(e) && re.test((e as Error).message));
  bad({ src: 'eni-nope', dst: 'eni-web', port: 1 }, /src: 'eni-nope' is not an IP address, nor an ENI or instance id/);
  bad({ src: '8.8.8.8', dst: '1.1.1.1', port: 53 }, /neither 8.8.8.8 nor 1.1.1.1 is in the inventory/);
  bad({ src: 'eni-web', dst: 'eni-app', port: 80, protocol: 'all' }, /one protocol/);
  bad({ src: 'eni-web', dst: 'eni-app', port: 70000 }, /port must be a whole number/);
  // A caller limited to another account does not see the interfaces.
  bad({ src: 'eni-web', dst: 'eni-app', port: 8080, accounts: ['999'] }, /is not an IP address, nor an ENI/);
});

test('the JSON answer carries reachable, blocked_by and hops', () => {
  const j = JSON.parse(JSON.stringify(run({ src: 'eni-web2', dst: 'eni-app', port: 8080 })));
  assert.equal(j.reachable, false);
  assert.equal(j.blocked_by, 'acl-b');
  assert.equal(j.hops.length, 8);
  assert.deepEqual(Object.keys(j.hops[0]).sort(), ['action', 'applies', 'direction', 'hop', 'id', 'interface_id', 'kind', 'leg', 'peer', 'port', 'reached', 'rule', 'rule_id', 'security_groups', 'tracked']);
});
