import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FlowBatch } from '../../schema/batch.js';
import { GeoDb } from './geo-db.js';
import { GeoStage, isPrivate } from './geo-stage.js';
import { parseIp } from '../../schema/ip.js';

const db = GeoDb.load({ city: true });

test('public addresses get their country, city and AS; private ones and values already set are left alone', () => {
  const b = FlowBatch.fromRecords([
    { src_addr: '10.0.0.5', dst_addr: '8.8.8.8' },
    { src_addr: '1.1.1.1', dst_addr: '192.168.1.1' },
    { src_addr: '2001:4860:4860::8888', dst_addr: 'fe80::1' },
    { src_addr: '81.2.69.160', dst_addr: '8.8.8.8', dst_asn: 64512 },
  ]);
  const stage = new GeoStage(db);
  stage.process(b);
  const r = [...b.rows()];
  assert.deepEqual([r[0].src_country, r[0].src_asn, r[0].dst_country, r[0].dst_asn], ['', 0, 'US', 15169]);
  assert.deepEqual([r[1].src_country, r[1].src_asn, r[1].dst_country], ['AU', 13335, '']);
  assert.equal(r[2].src_country, 'US');
  assert.equal(r[2].src_asn, 15169);
  assert.equal(r[2].dst_country, '');
  assert.equal(r[3].src_country, 'GB');
  assert.equal(r[3].src_city, 'London');
  assert.equal(r[3].dst_asn, 64512, 'an AS number the exporter reported is kept');
  assert.equal(db.asnNames.get(15169), 'Google LLC');
  // 8.8.8.8 was looked up once and then answered from the cache.
  assert.equal(stage.misses, 4);
  assert.equal(stage.hits, 1);
});

test('private, loopback, link-local and multicast ranges are recognised for both families', () => {
  for (const a of ['10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.0.1', '127.0.0.1', '169.254.1.1', '100.64.0.1', '224.0.0.5', '255.255.255.255', 'fc00::1', 'fe80::1', 'ff02::1', '::1'])
    assert.equal(isPrivate(parseIp(a)!, 0), true, a);
  for (const a of ['172.32.0.1', '8.8.8.8', '100.128.0.1', '2001:db8::1', '2a00:1450::1']) assert.equal(isPrivate(parseIp(a)!, 0), false, a);
});
