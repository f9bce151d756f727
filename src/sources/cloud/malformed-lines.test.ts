import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { testdata } from '../../../test/support/paths.js';
import { ParseProblems } from './problems.js';
import { parseText } from './test-helpers.js';

const good = fs.readFileSync(testdata('elastic-integrations', 'aws', 'test-extra-samples.log'), 'utf8').trim().split('\n');

test('bad AWS lines are counted by reason with their line number; every good line around them is kept', () => {
  const bad = [
    '2 123456789010 eni-1 10.0.0.1 10.0.0.2 443 22 6 20 4249 1418530010', // 11 fields
    '2 123456789010 eni-1 300.1.2.3 10.0.0.2 443 22 6 20 4249 1418530010 1418530070 ACCEPT OK',
    '2 123456789010 eni-1 10.0.0.1 10.0.0.2 70000 22 6 20 4249 1418530010 1418530070 ACCEPT OK',
    '2 123456789010 eni-1 10.0.0.1 10.0.0.2 443 22 6 20 4249 1418530010 1418530070 MAYBE OK',
    '2 123456789010 eni-1 10.0.0.1 10.0.0.2 443 22 6 20 12x4 1418530010 1418530070 ACCEPT OK',
    '2 123456789010 eni-1 10.0.0.1 10.0.0.2 443 22 6 20 4249 1418530010 1418530070 ACCEPT LATE',
    '{"message": "2 123456789010 eni-1 10.0.0.1',
  ];
  // Good line, bad line, good line …
  const lines: string[] = [];
  good.forEach((g, i) => {
    lines.push(g);
    if (bad[i]) lines.push(bad[i]);
  });
  const { records, problems } = parseText('aws', lines.join('\n') + '\n');
  assert.equal(records.length, good.length);
  assert.deepEqual(
    records.map((r) => r.start),
    good.map((g) => Number(g.split(' ')[10])),
  );
  assert.equal(problems.total, bad.length);
  assert.deepEqual(Object.fromEntries(problems.byReason), {
    'field count': 1,
    'bad address': 1,
    'bad port': 1,
    'bad action': 1,
    'bad bytes': 1,
    'bad log-status': 1,
    'bad JSON': 1,
  });
  // Line numbers: bad line i sits right after good line i, i.e. at 2(i+1).
  assert.deepEqual(
    problems.first.map((p) => p.line),
    bad.map((_, i) => 2 * (i + 1)),
  );
  assert.equal(ParseProblems.format('f.log', problems.first[1]), "f.log:4: bad address: '300.1.2.3' in srcaddr");
  assert.equal(ParseProblems.format('f.log', problems.first[0]), 'f.log:2: field count: expected 14 fields, got 11');
});

test('a line refused half-way leaves nothing behind in the row the next record gets', () => {
  const text = ['version vpc-id subnet-id srcaddr action', '3 vpc-bad subnet-bad 10.0.0.1 MAYBE', '3 - - 10.0.0.2 REJECT'].join('\n');
  const { records, problems } = parseText('aws', text);
  assert.equal(problems.total, 1);
  assert.equal(records.length, 1);
  assert.equal(records[0].vpc_id, '');
  assert.equal(records[0].subnet_id, '');
  assert.equal(records[0].src_addr, '10.0.0.2');
  assert.equal(records[0].action, 'REJECT');
});

test('headerless lines of an unknown width ask for the field list instead of guessing', () => {
  const { records, problems } = parseText('aws', '2 123456789010 eni-1 10.0.0.1 10.0.0.2 443 22\n');
  assert.equal(records.length, 0);
  assert.deepEqual([...problems.byReason.keys()], ['unknown field list']);
  const fixed = parseText('aws', '2 123456789010 eni-1 10.0.0.1 10.0.0.2 443 22\n', { fields: 'version account-id interface-id srcaddr dstaddr srcport dstport'.split(' ') });
  assert.equal(fixed.problems.total, 0);
  assert.equal(fixed.records[0].dst_port, 22);
});

test('bad JSON lines among Cloud Logging entries are counted, the rest kept', () => {
  const entries = fs.readFileSync(testdata('elastic-integrations', 'gcp', 'vpcflow-first7.ndjson'), 'utf8').trim().split('\n');
  const text = [entries[0], '{"jsonPayload": ', entries[1], '{"jsonPayload": {"connection": {"src_ip": "10.0.0.999", "dest_ip": "10.0.0.1"}}}', entries[2]].join('\n');
  const { records, problems } = parseText('gcp', text);
  assert.equal(records.length, 3);
  assert.deepEqual(Object.fromEntries(problems.byReason), { 'bad JSON': 1, 'bad address': 1 });
  assert.deepEqual(
    problems.first.map((p) => p.line),
    [2, 4],
  );
});
