import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIp } from '../schema/ip.js';
import { PolicyEngine } from './engine.js';
import { TrafficClasses } from './traffic-classes.js';
import { policyInventory } from './test-fixture.js';

const inv = policyInventory();
const engine = new PolicyEngine(inv);
const classes = new TrafficClasses(inv);
const cls = (a: string) => classes.addressClass(parseIp(a)!);

test('addresses: same class exactly when no rule or subnet tells them apart', () => {
  assert.equal(cls('198.51.100.7'), cls('8.8.8.8'), 'both only inside 0.0.0.0/0');
  assert.notEqual(cls('203.0.113.5'), cls('198.51.100.7'), 'acl-a rule 90 names 203.0.113.0/24');
  assert.equal(cls('203.0.113.5'), cls('203.0.113.200'));
  assert.notEqual(cls('10.0.1.10'), cls('10.0.2.20'), 'different subnets');
  assert.notEqual(cls('10.0.1.11'), cls('10.0.1.12'), 'sg-t1 names 10.0.1.11 alone');
  assert.notEqual(cls('2001:db8:ffff::1'), cls('198.51.100.7'), 'IPv6 never shares a class with IPv4');
  assert.equal(cls('2001:db8:ffff::1'), cls('2400::1'));
});

test('ports: same class exactly when no rule boundary lies between them', () => {
  const tcp = (p: number) => classes.portClassOf(6, p, false);
  assert.equal(tcp(40000), tcp(60000), 'acl-a allows 32768-65535 as one range');
  assert.notEqual(tcp(32767), tcp(32768));
  assert.notEqual(tcp(443), tcp(444));
  assert.equal(tcp(9100), tcp(9102), 'inside sg-admin\'s 9100-9102');
  assert.notEqual(tcp(9102), tcp(9103));
  assert.equal(tcp(9000), tcp(9050), 'no rule between them');
  assert.notEqual(classes.portClassOf(1, 8 << 8, false), classes.portClassOf(1, 0, false), 'ICMP types apart');
  assert.equal(classes.portClassOf(1, (8 << 8) | 3, false), classes.portClassOf(1, 8 << 8, false), 'codes do not matter');
  assert.equal(classes.portClassOf(47, 0, false), classes.portClassOf(47, 1234, false), 'GRE has no ports');
  assert.ok(classes.portClasses > 256);
});

test('connections whose classes agree get the same verdicts', () => {
  // Deterministic sweep over addresses and ports; every pair with equal classes must agree hop by hop.
  const addrs = ['198.51.100.7', '198.51.100.9', '8.8.8.8', '203.0.113.5', '203.0.113.77', '10.0.1.10', '10.0.1.11', '10.0.1.12', '10.0.2.20', '10.0.2.30', '10.0.2.40', '10.0.2.50', '2001:db8:0:1::10', '2001:db8:ffff::1', '2400::5'];
  const ports = [22, 80, 443, 444, 8080, 8081, 8082, 9100, 40000, 50000];
  const summary = (src: string, dst: string, p: number, sp: number) => {
    const s = parseIp(src)!;
    const d = parseIp(dst)!;
    const v = engine.evaluateConnection(inv.eniByIp(s) ?? null, s, 0, inv.eniByIp(d) ?? null, d, 0, 6, sp, p);
    return JSON.stringify([v.request, v.reply].map((path) => path.hops.map((h) => h.decision?.ruleId ?? '-')));
  };
  const seen = new Map<string, string>();
  let compared = 0;
  for (const src of addrs) {
    for (const dst of addrs) {
      if (src === dst) continue;
      for (const p of ports) {
        for (const sp of [33000, 45000, 60000]) {
          const key = [inv.eniByIp(src)?.id ?? '', inv.eniByIp(dst)?.id ?? '', cls(src), cls(dst), classes.portClassOf(6, sp, true), classes.portClassOf(6, p, false)].join('|');
          const got = summary(src, dst, p, sp);
          const before = seen.get(key);
          if (before !== undefined) {
            assert.equal(got, before, `${src}:${sp} -> ${dst}:${p}`);
            compared++;
          } else seen.set(key, got);
        }
      }
    }
  }
  assert.ok(compared > 1000, `${compared} class-equal pairs compared`);
});
