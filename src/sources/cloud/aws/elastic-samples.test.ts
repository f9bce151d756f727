import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { testdata } from '../../../../test/support/paths.js';
import { isoSeconds, parseFile } from '../test-helpers.js';

const dir = (...p: string[]) => testdata('elastic-integrations', ...p);

interface Expected {
  line: number;
  source: { ip: string; port: number; bytes: number; packets: number } | null;
  destination: { ip: string; port: number } | null;
  network: { iana_number: string } | null;
  event: { start: string; end: string; outcome: 'allow' | 'deny' | null };
  aws_vpcflow: { version: string; account_id: string; interface_id: string; action?: string; log_status: string };
}

test('default-format lines match the values in Elastic’s expected output, line by line', () => {
  const facts = JSON.parse(fs.readFileSync(dir('expected', 'aws-test-extra-samples.expected-facts.json'), 'utf8')) as { expected: Expected[] };
  // Fed in 7-byte pieces so that every line is split across reads.
  const { records, problems } = parseFile('aws', dir('aws', 'test-extra-samples.log'), {}, 7);
  assert.equal(problems.total, 0);
  assert.equal(records.length, facts.expected.length);
  for (const e of facts.expected) {
    const r = records[e.line - 1];
    const at = `line ${e.line}`;
    assert.equal(r.version, Number(e.aws_vpcflow.version), at);
    assert.equal(r.account_id, e.aws_vpcflow.account_id, at);
    assert.equal(r.interface_id, e.aws_vpcflow.interface_id, at);
    assert.equal(r.log_status, e.aws_vpcflow.log_status, at);
    assert.equal(r.start, isoSeconds(e.event.start), at);
    assert.equal(r.end, isoSeconds(e.event.end), at);
    if (e.aws_vpcflow.action) assert.equal(r.action, e.aws_vpcflow.action, at);
    if (e.event.outcome) assert.equal(r.action, e.event.outcome === 'allow' ? 'ACCEPT' : 'REJECT', at);
    if (e.source && e.destination && e.network) {
      assert.equal(r.src_addr, e.source.ip, at);
      assert.equal(r.src_port, e.source.port, at);
      assert.equal(r.dst_addr, e.destination.ip, at);
      assert.equal(r.dst_port, e.destination.port, at);
      assert.equal(r.bytes, e.source.bytes, at);
      assert.equal(r.packets, e.source.packets, at);
      assert.equal(r.protocol, Number(e.network.iana_number), at);
      // AWS's start/end are the first and last packet of the flow in the window.
      assert.equal(r.first_ms, isoSeconds(e.event.start) * 1000, at);
      assert.equal(r.last_ms, isoSeconds(e.event.end) * 1000, at);
    } else {
      // NODATA/SKIPDATA lines carry no addresses, ports or counters.
      assert.equal(r.src_addr, '::', at);
      assert.equal(r.dst_addr, '::', at);
      assert.equal(r.packets, 0, at);
      assert.equal(r.bytes, 0, at);
      assert.equal(r.first_ms, 0, at);
    }
    assert.equal(r.sampling_rate, 1, at);
  }
});

test('a v5 line with every field up to traffic-path keeps ids, flags, direction and packet-level addresses', () => {
  // Field order from the README: the documented v2..v5 order, 29 fields, no header.
  const { records, problems } = parseFile('aws', dir('aws', 'test-v5-all-fields.log'));
  assert.equal(problems.total, 0);
  assert.equal(records.length, 1);
  const r = records[0];
  assert.equal(r.version, 5);
  assert.equal(r.account_id, '64111117617');
  assert.equal(r.interface_id, 'eni-069xxxxxb7a490');
  assert.equal(r.src_addr, '89.160.20.156');
  assert.equal(r.dst_addr, '10.200.0.0');
  assert.equal(r.src_port, 50041);
  assert.equal(r.dst_port, 33004);
  assert.equal(r.protocol, 17);
  assert.equal(r.packets, 52);
  assert.equal(r.bytes, 1);
  assert.equal(r.start, 164000066);
  assert.equal(r.end, 1640000297);
  assert.equal(r.action, 'REJECT');
  assert.equal(r.vpc_id, 'vpc-09676f97xxxxxb8a7');
  assert.equal(r.subnet_id, 'subnet-02d645xxxxxxxdbc0');
  assert.equal(r.instance_id, 'i-0axxxxxx1ad77');
  assert.equal(r.tcp_flags, 1);
  assert.equal(r.direction, 'ingress');
  // pkt-srcaddr equals srcaddr (nothing to add); pkt-dstaddr differs and is kept.
  assert.equal(r.nat_src_addr, '::');
  assert.equal(r.nat_dst_addr, '10.200.0.80');
});

test('ECS (v7) lines: 39 fields, the ECS columns skipped, flow-direction read', () => {
  const { records, problems } = parseFile('aws', dir('aws', 'test-ecs-samples.log'));
  assert.equal(problems.total, 0);
  assert.equal(records.length, 10);
  const lines = fs.readFileSync(dir('aws', 'test-ecs-samples.log'), 'utf8').trim().split('\n');
  lines.forEach((line, i) => {
    const t = line.split(' ');
    const r = records[i];
    assert.equal(r.version, Number(t[0]));
    assert.equal(r.account_id, t[1]);
    assert.equal(r.interface_id, '');
    assert.equal(r.src_addr, t[3]);
    assert.equal(r.dst_addr, t[4]);
    assert.equal(r.src_port, Number(t[5]));
    assert.equal(r.dst_port, Number(t[6]));
    assert.equal(r.protocol, Number(t[7]));
    assert.equal(r.packets, Number(t[8]));
    assert.equal(r.bytes, Number(t[9]));
    assert.equal(r.start, Number(t[10]));
    assert.equal(r.end, Number(t[11]));
    assert.equal(r.action, t[12]);
    assert.equal(r.log_status, t[13]);
    assert.equal(r.direction, t[27]);
  });
  assert.deepEqual(
    records.map((r) => r.direction),
    ['ingress', 'egress', 'ingress', 'egress', 'egress', 'ingress', 'egress', 'ingress', 'ingress', 'ingress'],
  );
});

test('a v8 line: reject-reason BPA becomes the rule that decided the REJECT', () => {
  const { records, problems } = parseFile('aws', dir('aws', 'test-v8-samples.log'));
  assert.equal(problems.total, 0);
  assert.equal(records.length, 1);
  assert.equal(records[0].action, 'REJECT');
  assert.equal(records[0].rule_id, 'aws:block-public-access');
  assert.equal(records[0].src_addr, '2a02:cf40::');
  assert.equal(records[0].dst_port, 80);
});

test('a record wrapped in {"message": …} (CloudWatch/Firehose) is unwrapped', () => {
  const { records, problems } = parseFile('aws', dir('aws', 'test-with-message-field.log'));
  assert.equal(problems.total, 0);
  assert.equal(records.length, 1);
  assert.equal(records[0].account_id, '428961148399');
  assert.equal(records[0].interface_id, 'eni-0e0bf7be352692297');
  assert.equal(records[0].log_status, 'NODATA');
  assert.equal(records[0].start, 1671029698);
  assert.equal(records[0].end, 1671029728);
});
