import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { parseCidr, parseIp } from '../schema/ip.js';
import { testdata } from '../../test/support/paths.js';
import { LIST_FORMATS } from './formats.js';
import { IntelIndex } from './intel-index.js';

const cidrs = (...c: string[]) => c.map((x) => parseCidr(x)!);
const lists = (idx: IntelIndex, addr: string) => idx.listsOf(parseIp(addr)!);

test('overlapping blocks of several lists give each address the lists that hold it', () => {
  const idx = new IntelIndex([
    { name: 'drop', entries: cidrs('10.0.0.0/8', '198.51.100.0/24') },
    { name: 'c2', entries: cidrs('10.1.2.3', '198.51.100.128/25', '2001:db8::/32') },
    { name: 'scan', entries: cidrs('10.1.2.0/24', '2001:db8:1::/48') },
  ]);
  assert.deepEqual(lists(idx, '10.9.9.9'), ['drop']);
  assert.deepEqual(lists(idx, '10.1.2.3'), ['drop', 'c2', 'scan']);
  assert.deepEqual(lists(idx, '10.1.2.4'), ['drop', 'scan']);
  assert.deepEqual(lists(idx, '10.1.3.0'), ['drop']);
  assert.deepEqual(lists(idx, '198.51.100.127'), ['drop']);
  assert.deepEqual(lists(idx, '198.51.100.128'), ['drop', 'c2']);
  assert.deepEqual(lists(idx, '198.51.100.255'), ['drop', 'c2']);
  assert.deepEqual(lists(idx, '198.51.101.0'), []);
  assert.deepEqual(lists(idx, '11.0.0.0'), []);
  assert.deepEqual(lists(idx, '9.255.255.255'), []);
  assert.deepEqual(lists(idx, '2001:db8:1::5'), ['c2', 'scan']);
  assert.deepEqual(lists(idx, '2001:db8:2::5'), ['c2']);
  assert.deepEqual(lists(idx, '2001:db9::'), []);
  assert.deepEqual(lists(idx, '::ffff:10.1.2.3'), ['drop', 'c2', 'scan']);
  // Both ends listed: the union.
  const a = idx.lookup(parseIp('10.9.9.9')!, 0);
  const b = idx.lookup(parseIp('2001:db8:1::1')!, 0);
  assert.equal(idx.labels[idx.union(a, b)], 'drop,c2,scan');
});

test('edges of the address space and adjacent blocks', () => {
  const idx = new IntelIndex([{ name: 'x', entries: cidrs('0.0.0.0/32', '255.255.255.255/32', '192.0.2.0/25', '192.0.2.128/25') }]);
  assert.deepEqual(lists(idx, '0.0.0.0'), ['x']);
  assert.deepEqual(lists(idx, '0.0.0.1'), []);
  assert.deepEqual(lists(idx, '255.255.255.255'), ['x']);
  assert.deepEqual(lists(idx, '255.255.255.254'), []);
  assert.deepEqual(lists(idx, '192.0.2.200'), ['x']);
  assert.equal(idx.ranges, 3); // the two halves of 192.0.2.0/24 merge
});

test('every IPsum address is found, and addresses next to them are not', () => {
  const body = fs.readFileSync(testdata('ipsum', 'ipsum.txt'), 'utf8');
  const parsed = LIST_FORMATS.ipsum(body, {});
  const idx = new IntelIndex([{ name: 'ipsum', entries: parsed.entries }]);
  const listed = new Set(parsed.entries.map((e) => e.lo[3]));
  let found = 0;
  let falseHits = 0;
  for (const e of parsed.entries) {
    if (idx.lookupV4(e.lo[3]) !== 0) found++;
    const next = (e.lo[3] + 1) >>> 0;
    if (!listed.has(next) && idx.lookupV4(next) !== 0) falseHits++;
  }
  assert.equal(found, 120_430);
  assert.equal(falseHits, 0);
});
