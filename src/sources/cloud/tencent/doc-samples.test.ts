import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { testdata } from '../../../../test/support/paths.js';
import { detectFormat } from '../detect-format.js';
import { parseFile, parseText } from '../test-helpers.js';
import { TENCENT_CCN_FIELDS } from './fields.js';

interface Expected {
  line: number;
  version: string;
  'account-id': string;
  'interface-id': string;
  srcaddr: string | null;
  dstaddr: string | null;
  srcport: number | null;
  dstport: number | null;
  protocol: number | null;
  packets: number | null;
  bytes: number | null;
  start: number;
  end: number;
  action: string | null;
  'log-status': string;
}

test('Tencent’s documented ENI records parse to the documented values (versions 2 and V1)', () => {
  const file = testdata('tencent-cloud-docs', 'flowlog-samples.log');
  const facts = JSON.parse(fs.readFileSync(testdata('tencent-cloud-docs', 'flowlog-samples.expected-facts.json'), 'utf8')) as { expected: Expected[] };
  assert.equal(detectFormat(fs.readFileSync(file), file)?.format, 'tencent');
  const { records, problems } = parseFile('tencent', file);
  assert.equal(problems.total, 0);
  assert.equal(records.length, facts.expected.length);
  for (const e of facts.expected) {
    const r = records[e.line - 1];
    const at = `line ${e.line}`;
    assert.equal(r.version, Number(e.version.replace(/^V/i, '')), at);
    assert.equal(r.account_id, e['account-id'], at);
    assert.equal(r.interface_id, e['interface-id'], at);
    assert.equal(r.src_addr, e.srcaddr ?? '::', at);
    assert.equal(r.dst_addr, e.dstaddr ?? '::', at);
    assert.equal(r.src_port, e.srcport ?? 0, at);
    assert.equal(r.dst_port, e.dstport ?? 0, at);
    assert.equal(r.protocol, e.protocol ?? 0, at);
    assert.equal(r.packets, e.packets ?? 0, at);
    assert.equal(r.bytes, e.bytes ?? 0, at);
    assert.equal(r.start, e.start, at);
    assert.equal(r.end, e.end, at);
    if (e.action) assert.equal(r.action, e.action, at);
    assert.equal(r.log_status, e['log-status'], at);
    // ENI start/end are the capture window, not packet times.
    assert.equal(r.first_ms, 0, at);
  }
});

test('-1 placeholders (ICMP ports, NODATA counters) read as absent; ICMP type/code stay in dstport', () => {
  const text = [
    '2 1251762227 eni-lq6mkcis 172.31.16.139 172.31.16.21 -1 -1 1 4 336 1432917027 1432917142 ACCEPT OK',
    // Echo request (type 8, code 0) with identifier 4660: dstport = 8 × 256 + 0.
    '2 1251762227 eni-lq6mkcis 172.31.16.139 172.31.16.21 4660 2048 1 4 336 1432917027 1432917142 ACCEPT OK',
    'V1 1251762227 eni-lq6mkcis - - - - - -1 -1 1431280876 1431280934 - NODATA',
  ].join('\n');
  const { records, problems } = parseText('tencent', text);
  assert.equal(problems.total, 0);
  assert.deepEqual(
    records.map((r) => [r.src_port, r.dst_port, r.packets, r.log_status]),
    [
      [0, 0, 4, 'OK'],
      [4660, 2048, 4, 'OK'],
      [0, 0, 0, 'NODATA'],
    ],
  );
});

test('CCN records: their own field order; REJECT is a bandwidth-limit drop, marked in rule_id', () => {
  const rec = (v: Record<string, string>) => TENCENT_CCN_FIELDS.map((f) => v[f]).join(' ');
  const base = { srcaddr: '10.0.0.1', dstregionid: 'ap-shanghai', dstport: '443', start: '1700000000', dstaddr: '10.8.0.9', version: '1', packets: '100', ccnid: 'ccn-abc123', protocol: '6', srcregionid: 'ap-guangzhou', bytes: '64000', action: 'ACCEPT', 'region-id': 'ap-guangzhou', srcport: '51000', end: '1700000059', 'log-status': 'OK' };
  const text = [rec(base), rec({ ...base, action: 'REJECT' }), rec({ ...base, protocol: '1', srcport: '-', dstport: '-' })].join('\n');
  assert.equal(detectFormat(Buffer.from(text))?.format, 'tencent');
  const { records, problems } = parseText('tencent', text);
  assert.equal(problems.total, 0);
  const [ok, limited, icmp] = records;
  assert.equal(ok.interface_id, 'ccn-abc123');
  assert.equal(ok.src_addr, '10.0.0.1');
  assert.equal(ok.dst_addr, '10.8.0.9');
  assert.equal(ok.dst_port, 443);
  assert.equal(ok.bytes, 64000);
  assert.equal(ok.rule_id, '');
  // CCN start/end are the first and last packet.
  assert.equal(ok.first_ms, 1700000000_000);
  assert.equal(limited.action, 'REJECT');
  assert.equal(limited.rule_id, 'ccn:bandwidth-limit');
  assert.deepEqual([icmp.src_port, icmp.dst_port], [0, 0]);
});
