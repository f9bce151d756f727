import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatIp, formatMac, inCidr, parseCidr, parseIp, parseMac } from './ip.js';

test('IPv4 is stored IPv4-mapped and printed as a dotted quad', () => {
  const w = parseIp('10.1.2.3')!;
  assert.deepEqual([...w], [0, 0, 0xffff, 0x0a010203]);
  assert.equal(formatIp(w, 0), '10.1.2.3');
});

test('IPv6 text round-trips in RFC 5952 form', () => {
  const cases: [string, string][] = [
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['::', '::'],
    ['::1', '::1'],
    ['fe80::1%eth0', 'fe80::1'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2:3:4:5:6'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
  ];
  for (const [input, want] of cases) assert.equal(formatIp(parseIp(input)!, 0), want, input);
});

test('bad addresses are refused, not guessed', () => {
  for (const bad of ['10.0.0', '10.0.0.256', '1.2.3.4.5', '2001:db8::1::2', 'gggg::1', '', 'abc', '1:2:3:4:5:6:7:8:9']) assert.equal(parseIp(bad), undefined, bad);
});

test('CIDR blocks cover exactly their range, for both families', () => {
  const c = parseCidr('10.1.0.0/16')!;
  assert.equal(inCidr(parseIp('10.1.255.255')!, 0, c), true);
  assert.equal(inCidr(parseIp('10.2.0.0')!, 0, c), false);
  assert.equal(inCidr(parseIp('10.0.255.255')!, 0, c), false);
  const v6 = parseCidr('2001:db8::/32')!;
  assert.equal(inCidr(parseIp('2001:db8:ffff::1')!, 0, v6), true);
  assert.equal(inCidr(parseIp('2001:db9::')!, 0, v6), false);
  assert.equal(inCidr(parseIp('10.1.2.3')!, 0, parseCidr('0.0.0.0/0')!), true);
  assert.equal(inCidr(parseIp('2001:db8::1')!, 0, parseCidr('0.0.0.0/0')!), false);
  assert.equal(parseCidr('10.0.0.0/33'), undefined);
  assert.equal(parseCidr('10.0.0.0/x'), undefined);
});

test('MAC addresses round-trip through their 48-bit value', () => {
  assert.equal(parseMac('ff:ff:ff:ff:ff:ff'), 2 ** 48 - 1);
  assert.equal(formatMac(parseMac('02:00:0A:01:02:03')!), '02:00:0a:01:02:03');
  assert.equal(parseMac('02:00:0a:01:02'), undefined);
});
