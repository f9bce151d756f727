import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CountMinSketch } from './count-min.js';
import { SlotDistinct, linearCount } from './distinct.js';
import { SEED_A, SEED_B, hash32, hashAddress, hashAddresses } from './hash.js';
import { parseIpInto } from '../schema/ip.js';
import { HllPool } from './hyperloglog.js';
import { KeyTable } from './key-table.js';

test('HyperLogLog estimates distinct counts within a few percent and ignores repeats', () => {
  const pool = new HllPool(4, 12);
  for (const [block, n] of [
    [0, 1000],
    [1, 50_000],
    [2, 500_000],
  ] as const) {
    const b = pool.take();
    assert.equal(b, block);
    // Every element twice: repeats must not count.
    for (let rep = 0; rep < 2; rep++) for (let i = 0; i < n; i++) pool.add(b, hash32(i, 0x1234 + block));
    const e = pool.estimate(b);
    assert.ok(Math.abs(e - n) / n < 0.05, `estimate ${e} for ${n} distinct`);
  }
  pool.reset();
  assert.equal(pool.take(), 0);
  assert.equal(pool.estimate(0), 0);
});

test('an exhausted HyperLogLog pool refuses and counts', () => {
  const pool = new HllPool(1, 4);
  assert.equal(pool.take(), 0);
  assert.equal(pool.take(), -1);
  assert.equal(pool.exhausted, 1);
});

test('Count-Min never underestimates and stays close on a skewed stream', () => {
  const cm = new CountMinSketch(1 << 12, 4);
  const truth = new Map<number, number>();
  let seed = 12345;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  for (let i = 0; i < 200_000; i++) {
    // Zipf-like: key k appears about 1/k as often.
    const k = Math.floor(1 / (1 - rand() * 0.9999)) % 20_000;
    const h1 = hash32(k, 1);
    const h2 = hash32(k, 2);
    cm.add(h1, h2, 3);
    truth.set(k, (truth.get(k) ?? 0) + 3);
  }
  let worst = 0;
  for (const [k, v] of truth) {
    const e = cm.estimate(hash32(k, 1), hash32(k, 2));
    assert.ok(e >= v, `key ${k}: ${e} < true ${v}`);
    worst = Math.max(worst, e - v);
  }
  // Conservative update keeps the overcount far below the classic e/width · total bound.
  assert.ok(worst < (Math.E / (1 << 12)) * 600_000, `worst overcount ${worst}`);
  cm.clear();
  assert.equal(cm.estimate(hash32(1, 1), hash32(1, 2)), 0);
});

test('key table finds, grows, refuses at its hard capacity and keeps values through growth', () => {
  const t = new KeyTable({ f64Width: 1, u32Width: 1, initialCapacity: 16, maxCapacity: 1024 });
  const n = Math.floor(1024 * 0.7);
  for (let i = 0; i < n; i++) {
    const s = t.upsert(hash32(i, 7), hash32(i, 8));
    assert.ok(s >= 0);
    assert.equal(t.inserted, true);
    t.f64[s] = i * 10;
    t.u32[t.at(s)] = i;
  }
  assert.equal(t.size, n);
  assert.equal(t.capacity, 1024);
  for (let i = 0; i < n; i++) {
    const s = t.find(hash32(i, 7), hash32(i, 8));
    assert.ok(s >= 0, `key ${i} lost`);
    assert.equal(t.f64[s], i * 10);
    assert.equal(t.u32[t.at(s)], i);
  }
  const again = t.upsert(hash32(5, 7), hash32(5, 8));
  assert.equal(t.inserted, false);
  assert.equal(t.u32[t.at(again)], 5);
  assert.equal(t.upsert(hash32(99_999, 7), hash32(99_999, 8)), -1);
  assert.equal(t.refused, 1);
  t.retain((s) => t.u32[t.at(s)] % 2 === 0);
  assert.equal(t.size, Math.ceil(n / 2));
  assert.equal(t.find(hash32(3, 7), hash32(3, 8)), -1);
  assert.equal(t.u32[t.at(t.find(hash32(4, 7), hash32(4, 8)))], 4);
  t.clear();
  assert.equal(t.size, 0);
  assert.equal(t.find(hash32(4, 7), hash32(4, 8)), -1);
});

test('per-slot distinct counts are close at small counts and switch to HyperLogLog for large ones', () => {
  const t = new KeyTable({ f64Width: 0, u32Width: 3, maxCapacity: 64 });
  const pool = new HllPool(2, 10);
  const d = new SlotDistinct(t, 0, pool);
  const small = t.upsert(1, 1);
  for (let rep = 0; rep < 3; rep++) for (let i = 0; i < 20; i++) d.add(small, hash32(i, 99));
  assert.ok(Math.abs(d.estimate(small) - 20) <= 3, `small: ${d.estimate(small)}`);
  const large = t.upsert(2, 2);
  for (let i = 0; i < 5000; i++) d.add(large, hash32(i, 42));
  assert.equal(pool.used, 1);
  assert.ok(Math.abs(d.estimate(large) - 5000) / 5000 < 0.1, `large: ${d.estimate(large)}`);
  assert.ok(Math.abs(linearCount(0)) < 1e-9);
});

test('addresses hashed in bulk hash as one at a time; IPv4 and IPv6 with the same words differ', () => {
  const addrs = ['10.0.0.1', '192.0.2.55', '2001:db8::1', '::ffff:10.0.0.1', '::10.0.0.1', 'fe80::1:2:3:4'];
  const w = new Uint32Array(addrs.length * 4);
  addrs.forEach((a, i) => assert.ok(parseIpInto(a, w, i * 4)));
  const a = new Uint32Array(addrs.length);
  const b = new Uint32Array(addrs.length);
  hashAddresses(w, addrs.length, a, b);
  for (let i = 0; i < addrs.length; i++) {
    assert.equal(a[i], hashAddress(SEED_A, w, i * 4));
    assert.equal(b[i], hashAddress(SEED_B, w, i * 4));
  }
  assert.equal(a[0], a[3]); // the same address written two ways
  assert.notEqual(a[0], a[4]); // ::10.0.0.1 is another address
  assert.equal(new Set(a).size, 5);
});
