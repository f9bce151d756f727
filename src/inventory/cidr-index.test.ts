import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCidr, parseIp } from '../schema/ip.js';
import { CidrIndex } from './cidr-index.js';

function index(entries: Array<[string, string]>): CidrIndex<string> {
  const ix = new CidrIndex<string>();
  for (const [cidr, v] of entries) ix.add(parseCidr(cidr)!, v);
  return ix;
}

const at = (ix: CidrIndex<string>, addr: string) => ix.lookup(parseIp(addr)!);

test('the most specific prefix wins, on either side of a nested one', () => {
  const ix = index([
    ['10.0.0.0/8', 'ten'],
    ['10.1.0.0/16', 'ten-one'],
    ['10.1.2.0/24', 'ten-one-two'],
    ['10.1.2.3/32', 'host'],
    ['10.200.0.0/16', 'ten-two-hundred'],
  ]);
  assert.equal(at(ix, '10.0.0.0'), 'ten');
  assert.equal(at(ix, '10.1.0.255'), 'ten-one');
  assert.equal(at(ix, '10.1.2.2'), 'ten-one-two');
  assert.equal(at(ix, '10.1.2.3'), 'host');
  assert.equal(at(ix, '10.1.2.4'), 'ten-one-two');
  assert.equal(at(ix, '10.1.3.0'), 'ten-one');
  assert.equal(at(ix, '10.2.0.0'), 'ten');
  assert.equal(at(ix, '10.200.255.255'), 'ten-two-hundred');
  assert.equal(at(ix, '10.255.255.255'), 'ten');
  assert.equal(at(ix, '11.0.0.0'), undefined);
  assert.equal(at(ix, '9.255.255.255'), undefined);
});

test('prefixes added in any order; equal prefixes keep the first value', () => {
  const ix = index([
    ['192.168.1.0/24', 'inner'],
    ['192.168.0.0/16', 'outer'],
    ['192.168.1.0/24', 'duplicate'],
  ]);
  assert.equal(at(ix, '192.168.1.9'), 'inner');
  assert.equal(at(ix, '192.168.2.9'), 'outer');
});

test('IPv4 and IPv6 live in one index without mixing', () => {
  const ix = index([
    ['0.0.0.0/0', 'v4-any'],
    ['2001:db8::/32', 'doc'],
    ['2001:db8:1::/48', 'doc-1'],
  ]);
  assert.equal(at(ix, '8.8.8.8'), 'v4-any');
  assert.equal(at(ix, '2001:db8:1::5'), 'doc-1');
  assert.equal(at(ix, '2001:db8:2::5'), 'doc');
  assert.equal(at(ix, '2001:db9::1'), undefined);
  assert.equal(at(ix, '::1'), undefined);
});

test('an empty index finds nothing', () => {
  assert.equal(new CidrIndex<string>().lookup(parseIp('1.2.3.4')!), undefined);
});
