import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { testdata } from '../../../../test/support/paths.js';
import { detectFormat } from '../detect-format.js';
import { parseFile, parseText } from '../test-helpers.js';

interface ExpectedTuple {
  rule: string;
  mac: string;
  ts: number;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  proto: 'tcp' | 'udp';
  direction: 'inbound' | 'outbound';
  decision: 'allow' | 'deny';
  state: 'begin' | 'continuing' | 'end';
  packets_src_to_dst: number | null;
  bytes_src_to_dst: number | null;
  packets_dst_to_src: number | null;
  bytes_dst_to_src: number | null;
}

const facts = JSON.parse(fs.readFileSync(testdata('azure-docs', 'nsg-flowlog-v2.expected-facts.json'), 'utf8')) as {
  expected_tuple_count: number;
  expected_tuples: ExpectedTuple[];
  bandwidth_example_from_doc: { tuples: string[]; expected_total_packets: number; expected_total_bytes: number };
};

test('every tuple of Microsoft’s NSG v2 sample: forward record per tuple, reply record where counters came back', () => {
  const file = testdata('azure-docs', 'nsg-flowlog-v2.PT1H.json');
  assert.equal(detectFormat(fs.readFileSync(file), file)?.format, 'azure');
  const { records, problems } = parseFile('azure', file);
  assert.equal(problems.total, 0);
  const forward = records.filter((r, i) => i === 0 || !(r.src_addr === records[i - 1].dst_addr && r.src_port === records[i - 1].dst_port && r.start === records[i - 1].start));
  assert.equal(forward.length, facts.expected_tuple_count);
  let at = 0;
  for (const t of facts.expected_tuples) {
    const r = records[at++];
    const where = `${t.src}:${t.sport} → ${t.dst}:${t.dport}`;
    assert.equal(r.start, t.ts, where);
    assert.equal(r.src_addr, t.src, where);
    assert.equal(r.dst_addr, t.dst, where);
    assert.equal(r.src_port, t.sport, where);
    assert.equal(r.dst_port, t.dport, where);
    assert.equal(r.protocol, t.proto === 'tcp' ? 6 : 17, where);
    assert.equal(r.direction, t.direction === 'inbound' ? 'ingress' : 'egress', where);
    assert.equal(r.action, t.decision === 'allow' ? 'ACCEPT' : 'REJECT', where);
    assert.equal(r.rule_id, t.rule, where);
    assert.equal(r.interface_id, t.mac.toLowerCase().match(/../g)!.join(':'), where);
    assert.equal(r.packets, t.packets_src_to_dst ?? 0, where);
    assert.equal(r.bytes, t.bytes_src_to_dst ?? 0, where);
    assert.equal(r.account_id, 'aaaa0a0a-bb1b-cc2c-dd3d-eeeeee4e4e4e', where);
    assert.equal(r.version, 2, where);
    // The NIC's MAC is the source of outbound traffic and the destination of inbound.
    assert.equal(t.direction === 'outbound' ? r.src_mac : r.dst_mac, r.interface_id, where);
    if ((t.packets_dst_to_src ?? 0) > 0) {
      const back = records[at++];
      assert.deepEqual([back.src_addr, back.src_port, back.dst_addr, back.dst_port], [t.dst, t.dport, t.src, t.sport], where);
      assert.equal(back.direction, t.direction === 'inbound' ? 'egress' : 'ingress', where);
      assert.equal(back.packets, t.packets_dst_to_src, where);
      assert.equal(back.bytes, t.bytes_dst_to_src, where);
    }
  }
  assert.equal(at, records.length);
});

test('the documentation’s bandwidth example: summing the records gives 9,125 packets and 5,256,000 bytes', () => {
  const ex = facts.bandwidth_example_from_doc;
  const blob = { records: [{ time: '2024-02-26T20:11:00Z', resourceId: '/SUBSCRIPTIONS/S/RESOURCEGROUPS/G/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/N', properties: { Version: 2, flows: [{ rule: 'R', flows: [{ mac: '000D3AF87856', flowTuples: ex.tuples }] }] } }] };
  const { records, problems } = parseText('azure', JSON.stringify(blob));
  assert.equal(problems.total, 0);
  assert.equal(
    records.reduce((n, r) => n + r.packets, 0),
    ex.expected_total_packets,
  );
  assert.equal(
    records.reduce((n, r) => n + r.bytes, 0),
    ex.expected_total_bytes,
  );
});

test('Elastic’s NSG v2 record (one line): an End tuple with 1/66 each way', () => {
  const { records, problems } = parseFile('azure', testdata('elastic-integrations', 'azure', 'test-nsg.log'));
  assert.equal(problems.total, 0);
  assert.equal(records.length, 2);
  assert.deepEqual([records[0].src_addr, records[0].dst_addr, records[0].src_port, records[0].dst_port, records[0].packets, records[0].bytes], ['1.128.0.0', '1.128.0.1', 59932, 443, 1, 66]);
  assert.deepEqual([records[1].src_addr, records[1].dst_addr, records[1].packets, records[1].bytes, records[1].direction], ['1.128.0.1', '1.128.0.0', 1, 66, 'ingress']);
  assert.equal(records[0].rule_id, 'DefaultRule_AllowInternetOutBound');
  assert.equal(records[0].account_id, '00000000-0000-0000-0000-000000000000');
});

test('Elastic’s VNet flow log (v4): ms timestamps, numeric protocol, state letters, VNet from the target', () => {
  const { records, problems } = parseFile('azure', testdata('elastic-integrations', 'azure', 'test-vnet.log'));
  assert.equal(problems.total, 0);
  // Tuple 1 is a Begin (0 counters), tuple 2 an End with 22/2217 out and 33/0 back.
  assert.equal(records.length, 3);
  const [begin, end, back] = records;
  assert.equal(begin.start, 1663146003);
  assert.deepEqual([begin.src_addr, begin.dst_addr, begin.src_port, begin.dst_port, begin.protocol, begin.packets], ['1.128.0.0', '175.16.199.0', 23956, 443, 6, 0]);
  assert.deepEqual([end.src_addr, end.dst_addr, end.packets, end.bytes, end.action], ['216.160.83.56', '81.2.69.142', 22, 2217, 'ACCEPT']);
  assert.deepEqual([back.src_addr, back.dst_addr, back.packets, back.bytes], ['81.2.69.142', '216.160.83.56', 33, 0]);
  assert.equal(end.version, 4);
  assert.equal(end.interface_id, '00:22:48:7b:c2:05');
  assert.equal(end.vpc_id, '/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/myresourcegroup/providers/microsoft.network/virtualnetworks/myvnet');
  assert.equal(end.rule_id, 'DefaultRule_AllowInternetOutBound');
});

test('NSG v1 tuples, VNet deny (D) tuples, and bad tuples counted with their JSON path', () => {
  const nsg1 = { time: '2017-02-16T22:00:32Z', resourceId: '/SUBSCRIPTIONS/X/RESOURCEGROUPS/G/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/N', properties: { Version: 1, flows: [{ rule: 'DefaultRule_DenyAllInBound', flows: [{ mac: '000D3AF8801A', flowTuples: ['1487282421,192.0.2.95,10.1.0.4,51529,5358,T,I,D', '1487282421,192.0.2.95,10.1.0.4,x,5358,T,I,D'] }] }] } };
  const vnet = { time: '2022-09-14T09:00:52Z', flowLogVersion: 4, macAddress: '0022487BC205', targetResourceID: '/subscriptions/S/resourceGroups/G/providers/Microsoft.Network/virtualNetworks/V/subnets/sub1', flowRecords: { flows: [{ aclID: 'a', flowGroups: [{ rule: 'BlockAll', flowTuples: ['1663146003606,10.0.0.6,52.239.184.180,23956,443,6,O,D,NX,,,,'] }] }] } };
  const { records, problems } = parseText('azure', JSON.stringify(nsg1) + '\n' + JSON.stringify(vnet) + '\n');
  assert.equal(records.length, 2);
  assert.deepEqual([records[0].src_addr, records[0].dst_port, records[0].action, records[0].version, records[0].packets], ['192.0.2.95', 5358, 'REJECT', 1, 0]);
  assert.deepEqual([records[1].action, records[1].rule_id, records[1].subnet_id, records[1].vpc_id], ['REJECT', 'BlockAll', '/subscriptions/s/resourcegroups/g/providers/microsoft.network/virtualnetworks/v/subnets/sub1', '/subscriptions/s/resourcegroups/g/providers/microsoft.network/virtualnetworks/v']);
  assert.equal(problems.total, 1);
  assert.equal(problems.first[0].line, 1);
  assert.equal(problems.first[0].where, 'properties.flows[0].flows[0].flowTuples[1]');
  assert.match(problems.first[0].reason, /bad port/);
});
