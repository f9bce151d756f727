import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseText } from '../test-helpers.js';
import { AWS_TGW_DEFAULT } from './fields.js';
import { parseS3Key } from './s3-layout.js';

const V2 = '2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK';

test('S3 text objects: the header line names the fields, in any order, hyphens or ${…}', () => {
  const text = ['srcaddr dstaddr action log-status version interface-id', '10.0.0.1 10.0.0.2 REJECT OK 3 eni-1', '${srcaddr} ${dstaddr} ${flow-direction}', '10.0.0.3 10.0.0.4 egress'].join('\n');
  const { records, problems } = parseText('aws', text);
  assert.equal(problems.total, 0);
  assert.equal(records.length, 2);
  assert.deepEqual([records[0].src_addr, records[0].action, records[0].version, records[0].interface_id], ['10.0.0.1', 'REJECT', 3, 'eni-1']);
  // A second header (concatenated files) switches the layout; flow-direction is a v5 field.
  assert.deepEqual([records[1].src_addr, records[1].direction, records[1].version], ['10.0.0.3', 'egress', 5]);
});

test('CloudWatch Logs exports to S3 put the event time before each record', () => {
  const { records, problems } = parseText('aws', `2014-12-14T04:07:50.000Z ${V2}\n`);
  assert.equal(problems.total, 0);
  assert.equal(records[0].src_addr, '172.31.16.139');
  assert.equal(records[0].start, 1418530010);
});

test('CloudWatch subscription records (logEvents) and get/filter-log-events output, one line or pretty-printed', () => {
  const sub = JSON.stringify({ messageType: 'DATA_MESSAGE', owner: '123456789010', logGroup: 'vpc', logStream: 'eni-1-all', logEvents: [{ id: '1', timestamp: 1418530010000, message: V2 }] });
  const control = JSON.stringify({ messageType: 'CONTROL_MESSAGE', owner: 'CloudwatchLogs', logEvents: [{ id: '', timestamp: 1, message: 'CWL CONTROL MESSAGE: Checking health of destination Firehose.' }] });
  const { records, problems } = parseText('aws', `${sub}\n${control}\n`);
  assert.equal(problems.total, 0);
  assert.equal(records.length, 1);
  assert.equal(records[0].dst_port, 22);

  const pretty = JSON.stringify({ events: [{ logStreamName: 'eni-1', timestamp: 1, message: V2 }, { logStreamName: 'eni-1', timestamp: 2, message: V2.replace('ACCEPT', 'REJECT') }], searchedLogStreams: [] }, null, 2);
  const doc = parseText('aws', pretty);
  assert.equal(doc.problems.total, 0);
  assert.deepEqual(
    doc.records.map((r) => r.action),
    ['ACCEPT', 'REJECT'],
  );
});

test('a CloudWatch envelope supplies the account when the custom format has none', () => {
  const sub = JSON.stringify({ owner: '999988887777', logEvents: [{ message: '10.0.0.1 10.0.0.2 443' }] });
  const { records } = parseText('aws', sub, { fields: ['srcaddr', 'dstaddr', 'dstport'] });
  assert.equal(records[0].account_id, '999988887777');
  assert.equal(records[0].dst_port, 443);
});

test('Transit Gateway records (default format, headerless): attachment as interface, loss reasons kept', () => {
  const values: Record<string, string> = {
    version: '6',
    'resource-type': 'TransitGatewayAttachment',
    'account-id': '123456789010',
    'tgw-id': 'tgw-0123',
    'tgw-attachment-id': 'tgw-attach-0456',
    'tgw-src-vpc-account-id': '123456789010',
    'tgw-dst-vpc-account-id': '123456789011',
    'tgw-src-vpc-id': 'vpc-0aaa',
    'tgw-dst-vpc-id': 'vpc-0bbb',
    'tgw-src-subnet-id': 'subnet-0aaa',
    'tgw-dst-subnet-id': 'subnet-0bbb',
    'tgw-src-eni': 'eni-0aaa',
    'tgw-dst-eni': 'eni-0bbb',
    'tgw-src-az-id': 'use1-az1',
    'tgw-dst-az-id': 'use1-az2',
    'tgw-pair-attachment-id': 'tgw-attach-0789',
    srcaddr: '10.0.1.5',
    dstaddr: '10.1.2.6',
    srcport: '49152',
    dstport: '443',
    protocol: '6',
    packets: '0',
    bytes: '0',
    start: '1700000000',
    end: '1700000060',
    'log-status': 'OK',
    type: 'IPv4',
    'packets-lost-no-route': '0',
    'packets-lost-blackhole': '12',
    'packets-lost-mtu-exceeded': '0',
    'packets-lost-ttl-expired': '0',
    'tcp-flags': '2',
    region: 'us-east-1',
    'flow-direction': 'ingress',
    'pkt-src-aws-service': '-',
    'pkt-dst-aws-service': '-',
  };
  const line = AWS_TGW_DEFAULT.map((f) => values[f]).join(' ');
  const { records, problems } = parseText('aws', line + '\n' + line.replace(' 0 0 1700000000', ' 5 400 1700000000') + '\n');
  assert.equal(problems.total, 0);
  assert.equal(records.length, 2);
  const [dropped, partly] = records;
  assert.equal(dropped.version, 6);
  assert.equal(dropped.interface_id, 'tgw-attach-0456');
  assert.equal(dropped.vpc_id, 'vpc-0aaa');
  assert.equal(dropped.subnet_id, 'subnet-0aaa');
  assert.equal(dropped.tcp_flags, 2);
  assert.equal(dropped.rule_id, 'tgw:blackhole');
  // Nothing got through: the gateway dropped the flow.
  assert.equal(dropped.action, 'REJECT');
  // Some packets delivered, some lost: accepted, with the loss reason kept.
  assert.equal(partly.packets, 5);
  assert.equal(partly.action, 'ACCEPT');
  assert.equal(partly.rule_id, 'tgw:blackhole');
});

test('S3 keys name the account, region and flow log, plain or Hive-style', () => {
  assert.deepEqual(parseS3Key('bucket/prefix/AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/05/01/123456789012_vpcflowlogs_us-east-1_fl-0abc123_20240501T0000Z_deadbeef.log.gz'), {
    account: '123456789012',
    service: 'vpcflowlogs',
    region: 'us-east-1',
    flowLogId: 'fl-0abc123',
  });
  const hive = parseS3Key('b/AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=eu-west-1/year=2024/month=05/day=01/hour=10/x.log.parquet');
  assert.equal(hive.account, '123456789012');
  assert.equal(hive.region, 'eu-west-1');
  assert.equal(parseS3Key('b/AWSLogs/123456789012/elasticloadbalancing/eu-west-1/x.log.gz').service, 'elasticloadbalancing');
});
