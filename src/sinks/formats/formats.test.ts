import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { batchToCsv, batchToJsonl, csvHeader } from '../../schema/formats.js';
import { testdata } from '../../../test/support/paths.js';
import { parseText } from '../../sources/cloud/test-helpers.js';
import { awsSampleBatch, awsSampleLines, simulatedBatches } from '../test-support.js';
import { communityId } from './community-id.js';
import { EcsDocs } from './ecs.js';
import { encodeLines, formatOptionsSchema, textFormat } from './index.js';
import { OcsfEvents } from './ocsf.js';

const opts = formatOptionsSchema.parse(undefined);

interface Fact {
  line: number;
  source: { ip: string; port: number; bytes: number; packets: number } | null;
  destination: { ip: string; port: number } | null;
  network: { type: string; iana_number: string; bytes: number; packets: number; community_id: string } | null;
  timestamp: string;
  event: { start: string; end: string; outcome: string | null };
}

const facts = (JSON.parse(fs.readFileSync(testdata('elastic-integrations', 'expected', 'aws-test-extra-samples.expected-facts.json'), 'utf8')) as { expected: Fact[] }).expected;

test('AWS text: the sample file written back out is the same lines, under the default-format header', () => {
  const text = Buffer.concat(encodeLines(textFormat('aws', opts), awsSampleBatch(), 'b', undefined, true)).toString();
  const lines = text.trimEnd().split('\n');
  assert.equal(lines[0], 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status');
  assert.deepEqual(lines.slice(1), awsSampleLines());
  // …and our own AWS importer reads the written file back to the same records.
  const again = parseText('aws', text);
  assert.equal(again.problems.total, 0);
  assert.deepEqual(again.records, [...awsSampleBatch().rows()]);
});

test('AWS text: extra fields by name, and an unknown field is refused', () => {
  const fmt = textFormat('aws', { ...opts, aws_fields: ['srcaddr', 'dstport', 'flow-direction', 'type'] });
  const lines = Buffer.concat(encodeLines(fmt, awsSampleBatch(), 'b')).toString().trimEnd().split('\n');
  assert.equal(lines[0], '2001:db8:1234:a100:8d6e:3477:df66:f105 22 ingress IPv6');
  assert.equal(lines[1], '- - - -');
  assert.throws(() => textFormat('aws', { ...opts, aws_fields: ['srcaddr', 'nope'] }), /nope/);
});

test('ECS: each sample line becomes the document Elastic’s AWS integration produces for it', () => {
  const b = awsSampleBatch();
  const doc = new EcsDocs().forBatch(b);
  for (const f of facts) {
    const d = doc(f.line - 1) as Record<string, Record<string, unknown>>;
    const where = `line ${f.line}`;
    assert.equal(d['@timestamp'], f.timestamp, where);
    assert.equal(d.event.start, f.event.start, where);
    assert.equal(d.event.end, f.event.end, where);
    assert.equal(d.event.outcome ?? null, f.event.outcome, where);
    if (f.source === null) {
      assert.equal(d.source, undefined, where);
      assert.equal(d.network, undefined, where);
      continue;
    }
    assert.deepEqual({ ip: d.source.ip, port: d.source.port, bytes: d.source.bytes, packets: d.source.packets }, { ip: f.source.ip, port: f.source.port, bytes: f.source.bytes, packets: f.source.packets }, where);
    // Geo and AS values in the facts come from Elastic's test GeoIP databases, not the line.
    assert.deepEqual({ ip: d.destination.ip, port: d.destination.port }, { ip: f.destination!.ip, port: f.destination!.port }, where);
    const n = f.network!;
    assert.deepEqual(
      { type: d.network.type, iana_number: d.network.iana_number, bytes: d.network.bytes, packets: d.network.packets, community_id: d.network.community_id },
      { type: n.type, iana_number: n.iana_number, bytes: n.bytes, packets: n.packets, community_id: n.community_id },
      where,
    );
  }
});

test('Community ID v1: both directions of a flow hash alike, and ICMP uses type/code', () => {
  const ip = (s: string) => Uint8Array.from(s.split('.').map(Number));
  // Line 4 of the samples, and the same flow seen from the other side.
  assert.equal(communityId(ip('78.24.182.42'), ip('158.109.0.1'), 6, 20641, 22), facts[3].network!.community_id);
  assert.equal(communityId(ip('158.109.0.1'), ip('78.24.182.42'), 6, 22, 20641), facts[3].network!.community_id);
  assert.equal(communityId(ip('203.0.113.12'), ip('172.31.16.139'), 1, 0, 0), facts[5].network!.community_id);
});

test('OCSF 4001: traffic events with endpoints, counters and the security-control verdict', () => {
  const ev = new OcsfEvents({ cloudProvider: 'AWS', productVersion: '1.2.3' }).forBatch(awsSampleBatch());
  const e = ev(3, 'batch-3') as Record<string, Record<string, unknown>>;
  assert.equal(e.class_uid, 4001);
  assert.equal(e.type_uid, 400106);
  assert.equal(e.category_uid, 4);
  assert.equal(e.time, 1418530070 * 1000);
  assert.deepEqual(e.src_endpoint, { ip: '78.24.182.42', port: 20641 });
  assert.deepEqual(e.dst_endpoint, { ip: '158.109.0.1', port: 22, interface_uid: 'eni-1235b8ca123456789' });
  assert.deepEqual(e.traffic, { bytes: 4249, packets: 20 });
  assert.equal(e.connection_info.protocol_num, 6);
  assert.equal(e.connection_info.protocol_name, 'tcp');
  assert.deepEqual([e.action_id, e.action, e.disposition_id], [1, 'Allowed', 1]);
  assert.deepEqual((e.cloud as Record<string, unknown>).account, { uid: '123456789010' });
  assert.equal(e.metadata.uid, 'batch-3');
  const reject = ev(4) as Record<string, unknown>;
  assert.deepEqual([reject.action_id, reject.action, reject.disposition], [2, 'Denied', 'Blocked']);
  const nodata = ev(1) as Record<string, unknown>;
  assert.equal(nodata.status_code, 'NODATA');
  assert.equal(nodata.traffic, undefined);
});

test('our JSON and CSV lines are exactly what `--format jsonl` / `--format csv` print', () => {
  const [sim] = simulatedBatches(3000, 5, 3000);
  for (const b of [awsSampleBatch(), sim]) {
    assert.equal(Buffer.concat(encodeLines(textFormat('json', opts), b, 'x')).toString(), batchToJsonl(b));
    assert.equal(Buffer.concat(encodeLines(textFormat('csv', opts), b, 'x', undefined, true)).toString(), csvHeader() + batchToCsv(b));
  }
  // Chosen rows only, in the order given.
  const b = awsSampleBatch();
  const two = Buffer.concat(encodeLines(textFormat('json', opts), b, 'x', [6, 0])).toString().trimEnd().split('\n');
  assert.deepEqual(two.map((l) => (JSON.parse(l) as { start: number }).start), [1432917094, 1477913708]);
});
