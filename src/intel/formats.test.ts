// Each list format on a small sample written from its documentation, and IPsum on the real
// snapshot in the shared test data (counts from its README).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { formatIp } from '../schema/ip.js';
import { testdata } from '../../test/support/paths.js';
import { LIST_FORMATS, guessFormat } from './formats.js';
import type { IntelEntry } from './intel-index.js';

const text = (e: IntelEntry) => `${formatIp(e.lo, 0)}-${formatIp(e.hi, 0)}`;

test('plain lists: one address, block or range per line, comments and trailing words ignored', () => {
  const r = LIST_FORMATS.plain(
    ['# bad hosts', '203.0.113.7', '198.51.100.0/24  ; a block', '192.0.2.10-192.0.2.20 scanner', '2001:db8:bad::/48', '', 'not-an-address', '192.0.2.30 # trailing'].join('\n'),
    {},
  );
  assert.deepEqual(r.entries.map(text), ['203.0.113.7-203.0.113.7', '198.51.100.0-198.51.100.255', '192.0.2.10-192.0.2.20', '2001:db8:bad::-2001:db8:bad:ffff:ffff:ffff:ffff:ffff', '192.0.2.30-192.0.2.30']);
  assert.equal(r.rejected, 1);
  assert.match(r.examples[0], /line 7: 'not-an-address'/);
});

test('FireHOL netsets: the header metadata and the addresses and blocks', () => {
  const sample = [
    '#',
    '# firehol_level1',
    '#',
    '# Maintainer      : FireHOL',
    '# Maintainer URL  : http://iplists.firehol.org/',
    '# List source URL : ',
    '# This File Date  : Mon Jan  5 10:00:00 UTC 2026',
    '# Entries         : 3 subnets, 257 unique IPs',
    '#',
    '0.0.0.0/8',
    '192.0.2.1',
    '198.51.100.0/24',
  ].join('\n');
  const r = LIST_FORMATS.netset(sample, {});
  assert.deepEqual(r.entries.map(text), ['0.0.0.0-0.255.255.255', '192.0.2.1-192.0.2.1', '198.51.100.0-198.51.100.255']);
  assert.equal(r.meta.maintainer, 'FireHOL');
  assert.equal(r.meta.this_file_date, 'Mon Jan  5 10:00:00 UTC 2026');
  assert.equal(guessFormat('firehol_level1.netset', sample), 'netset');
});

test('Spamhaus DROP: the text file and the JSON-lines file', () => {
  const txt = ['; Spamhaus DROP List 2016/08/30 - (c) 2016 The Spamhaus Project', '; Last-Modified: Tue, 30 Aug 2016 05:17:00 GMT', '1.4.0.0/17 ; SBL256893', '1.10.16.0/20 ; SBL256894'].join('\n');
  const a = LIST_FORMATS.spamhaus_drop(txt, {});
  assert.deepEqual(a.entries.map(text), ['1.4.0.0-1.4.127.255', '1.10.16.0-1.10.31.255']);
  const json = ['{"cidr":"1.10.16.0/20","sblid":"SBL256894","rir":"apnic"}', '{"cidr":"2001:db8::/32","sblid":"SBL1","rir":"ripencc"}', '{"type":"metadata","timestamp":1767225600,"size":2,"records":2,"copyright":"(c) 2026 The Spamhaus Project SLU"}'].join('\n');
  const b = LIST_FORMATS.spamhaus_drop(json, {});
  assert.deepEqual(b.entries.map(text), ['1.10.16.0-1.10.31.255', '2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff']);
  assert.equal(b.meta.records, '2');
  assert.equal(guessFormat('drop_v4.json', json), 'spamhaus_drop');
  assert.equal(guessFormat('drop.txt', txt), 'spamhaus_drop');
});

test('CSV: the address column by header name, by number, or found; quotes and header rows handled', () => {
  const csv = ['first_seen_utc,"dst_ip",dst_port,"c2_status"', '2026-01-01 00:00:00,203.0.113.9,443,"online"', '"2026-01-02 00:00:00","198.51.100.7",8080,"offline, moved"', '2026-01-03 00:00:00,bogus,1,x'].join('\n');
  for (const column of ['dst_ip', 1, undefined]) {
    const r = LIST_FORMATS.csv(csv, { column });
    assert.deepEqual(r.entries.map(text), ['203.0.113.9-203.0.113.9', '198.51.100.7-198.51.100.7'], `column ${String(column)}`);
    assert.equal(r.rejected, 1);
  }
  assert.throws(() => LIST_FORMATS.csv(csv, { column: 'ip' }), /no column named 'ip'/);
  const semi = LIST_FORMATS.csv('203.0.113.1;x\n203.0.113.2;y', { delimiter: ';' });
  assert.equal(semi.entries.length, 2);
});

test('STIX 2.1: address indicators from a bundle; revoked, expired and not-yet-valid ones skipped', () => {
  const now = Date.UTC(2026, 0, 10) / 1000;
  const ind = (id: string, pattern: string, extra: Record<string, unknown> = {}) => ({ type: 'indicator', spec_version: '2.1', id: `indicator--${id}`, created: '2026-01-01T00:00:00.000Z', modified: '2026-01-01T00:00:00.000Z', pattern, pattern_type: 'stix', valid_from: '2026-01-01T00:00:00Z', ...extra });
  const bundle = {
    type: 'bundle',
    id: 'bundle--1',
    objects: [
      ind('1', "[ipv4-addr:value = '198.51.100.1']"),
      ind('2', "[ipv4-addr:value = '203.0.113.0/24'] OR [ipv6-addr:value = '2001:db8::1']"),
      ind('3', "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '192.0.2.44' AND network-traffic:dst_port = 4444]"),
      ind('4', "[ipv4-addr:value ISSUBSET '192.0.2.128/25']"),
      ind('5', "[ipv4-addr:value IN ('192.0.2.5', '192.0.2.6')]"),
      ind('6', "[ipv4-addr:value = '198.51.100.66']", { revoked: true }),
      ind('7', "[ipv4-addr:value = '198.51.100.77']", { valid_until: '2026-01-05T00:00:00Z' }),
      ind('8', "[ipv4-addr:value = '198.51.100.88']", { valid_from: '2026-02-01T00:00:00Z' }),
      ind('9', "[domain-name:value = 'evil.example']"),
      ind('10', "[ipv4-addr:value != '198.51.100.99']"),
      ind('11', 'alert tcp any any -> 198.51.100.111 any', { pattern_type: 'snort' }),
      { type: 'malware', id: 'malware--1', name: 'x', is_family: false },
    ],
  };
  const r = LIST_FORMATS.stix(JSON.stringify(bundle), { now });
  assert.deepEqual(r.entries.map(text), [
    '198.51.100.1-198.51.100.1',
    '203.0.113.0-203.0.113.255',
    '2001:db8::1-2001:db8::1',
    '192.0.2.44-192.0.2.44',
    '192.0.2.128-192.0.2.255',
    '192.0.2.5-192.0.2.5',
    '192.0.2.6-192.0.2.6',
  ]);
  assert.equal(guessFormat('feed.json', JSON.stringify(bundle)), 'stix');
  // The same indicators one per line (a TAXII export) read the same.
  const lines = bundle.objects.map((o) => JSON.stringify(o)).join('\n');
  assert.equal(LIST_FORMATS.stix(lines, { now }).entries.length, 7);
});

test('IPsum snapshot: every address, and the README counts per blocklist level', () => {
  const body = fs.readFileSync(testdata('ipsum', 'ipsum.txt'), 'utf8');
  const all = LIST_FORMATS.ipsum(body, {});
  assert.equal(all.entries.length, 120_430);
  assert.equal(all.rejected, 0);
  // N=3: 8,863, N=4: 3,941, N=5: 1,095, N=6: 248, N=7: 47, N>=8: 23, so N>=3 is 14,217 (levels/3.txt).
  assert.equal(LIST_FORMATS.ipsum(body, { min_count: 3 }).entries.length, 14_217);
  assert.equal(LIST_FORMATS.ipsum(body, { min_count: 8 }).entries.length, 23);
  assert.equal(guessFormat('ipsum.txt', body), 'ipsum');
});
