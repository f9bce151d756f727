// AWS flow-log fields (VPC versions 2-8 and Transit Gateway) and what each becomes. Fields
// with no place in our record are known (so a header naming them is still recognised as a
// header) but skipped.

import { K, makeLayout, type FieldInfo, type Kind, type Layout } from '../field-kinds.js';

const F = (kind: Kind, version: number): FieldInfo => ({ kind, version });

export const AWS_FIELDS: ReadonlyMap<string, FieldInfo> = new Map<string, FieldInfo>([
  ['version', F(K.version, 2)],
  ['account-id', F(K.account, 2)],
  ['interface-id', F(K.iface, 2)],
  ['srcaddr', F(K.srcAddr, 2)],
  ['dstaddr', F(K.dstAddr, 2)],
  ['srcport', F(K.srcPort, 2)],
  ['dstport', F(K.dstPort, 2)],
  ['protocol', F(K.protocol, 2)],
  ['packets', F(K.packets, 2)],
  ['bytes', F(K.bytes, 2)],
  ['start', F(K.start, 2)],
  ['end', F(K.end, 2)],
  ['action', F(K.action, 2)],
  ['log-status', F(K.logStatus, 2)],
  ['vpc-id', F(K.vpc, 3)],
  ['subnet-id', F(K.subnet, 3)],
  ['instance-id', F(K.instance, 3)],
  ['tcp-flags', F(K.tcpFlags, 3)],
  ['type', F(K.skip, 3)],
  ['pkt-srcaddr', F(K.pktSrcAddr, 3)],
  ['pkt-dstaddr', F(K.pktDstAddr, 3)],
  ['region', F(K.skip, 4)],
  ['az-id', F(K.skip, 4)],
  ['sublocation-type', F(K.skip, 4)],
  ['sublocation-id', F(K.skip, 4)],
  ['pkt-src-aws-service', F(K.skip, 5)],
  ['pkt-dst-aws-service', F(K.skip, 5)],
  ['flow-direction', F(K.direction, 5)],
  ['traffic-path', F(K.skip, 5)],
  ['ecs-cluster-arn', F(K.skip, 7)],
  ['ecs-cluster-name', F(K.skip, 7)],
  ['ecs-container-instance-arn', F(K.skip, 7)],
  ['ecs-container-instance-id', F(K.skip, 7)],
  ['ecs-container-id', F(K.skip, 7)],
  ['ecs-second-container-id', F(K.skip, 7)],
  ['ecs-service-name', F(K.skip, 7)],
  ['ecs-task-definition-arn', F(K.skip, 7)],
  ['ecs-task-arn', F(K.skip, 7)],
  ['ecs-task-id', F(K.skip, 7)],
  ['reject-reason', F(K.rejectReason, 8)],
  // Newer fields whose version numbers AWS's archived docs do not pin down.
  ['resource-id', F(K.skip, 0)],
  ['encryption-status', F(K.skip, 0)],
  ['interface-type', F(K.skip, 0)],
  // Transit Gateway (version 6).
  ['resource-type', F(K.skip, 6)],
  ['tgw-id', F(K.skip, 6)],
  ['tgw-attachment-id', F(K.iface, 6)],
  ['tgw-src-vpc-account-id', F(K.skip, 6)],
  ['tgw-dst-vpc-account-id', F(K.skip, 6)],
  ['tgw-src-vpc-id', F(K.vpc, 6)],
  ['tgw-dst-vpc-id', F(K.skip, 6)],
  ['tgw-src-subnet-id', F(K.subnet, 6)],
  ['tgw-dst-subnet-id', F(K.skip, 6)],
  ['tgw-src-eni', F(K.skip, 6)],
  ['tgw-dst-eni', F(K.skip, 6)],
  ['tgw-src-az-id', F(K.skip, 6)],
  ['tgw-dst-az-id', F(K.skip, 6)],
  ['tgw-pair-attachment-id', F(K.skip, 6)],
  ['packets-lost-no-route', F(K.lostNoRoute, 6)],
  ['packets-lost-blackhole', F(K.lostBlackhole, 6)],
  ['packets-lost-mtu-exceeded', F(K.lostMtu, 6)],
  ['packets-lost-ttl-expired', F(K.lostTtl, 6)],
]);

/** The default format (version 2): fixed and headerless in CloudWatch Logs. */
export const AWS_V2_DEFAULT = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status'.split(' ');

/**
 * Every VPC field in AWS's documented order. A headerless line with 14, 21, 25, 29, 39 or 40
 * columns is read as this list cut at the end of a version (v2, v3, v4, v5, v7, v8): the
 * order Athena's DDL and other readers assume when the format is "all fields".
 */
export const AWS_ALL_FIELDS = [
  ...AWS_V2_DEFAULT,
  ...'vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr'.split(' '),
  ...'region az-id sublocation-type sublocation-id'.split(' '),
  ...'pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path'.split(' '),
  ...'ecs-cluster-arn ecs-cluster-name ecs-container-instance-arn ecs-container-instance-id ecs-container-id ecs-second-container-id ecs-service-name ecs-task-definition-arn ecs-task-arn ecs-task-id'.split(' '),
  'reject-reason',
];

const VERSION_CUTS = [14, 21, 25, 29, 39, 40];

/** The Transit Gateway default format (every field, version 6). */
export const AWS_TGW_DEFAULT =
  'version resource-type account-id tgw-id tgw-attachment-id tgw-src-vpc-account-id tgw-dst-vpc-account-id tgw-src-vpc-id tgw-dst-vpc-id tgw-src-subnet-id tgw-dst-subnet-id tgw-src-eni tgw-dst-eni tgw-src-az-id tgw-dst-az-id tgw-pair-attachment-id srcaddr dstaddr srcport dstport protocol packets bytes start end log-status type packets-lost-no-route packets-lost-blackhole packets-lost-mtu-exceeded packets-lost-ttl-expired tcp-flags region flow-direction pkt-src-aws-service pkt-dst-aws-service'.split(
    ' ',
  );

export function awsLayout(names: readonly string[]): Layout {
  return makeLayout(names, AWS_FIELDS, { packetTimes: true });
}

const headerless = new Map<number, Layout>(VERSION_CUTS.map((n) => [n, awsLayout(AWS_ALL_FIELDS.slice(0, n))]));
const tgwDefault = awsLayout(AWS_TGW_DEFAULT);

/** The layout of a headerless AWS line with `count` columns, or undefined. */
export function awsHeaderless(count: number, secondToken: () => string): Layout | undefined {
  if (count === AWS_TGW_DEFAULT.length && secondToken().startsWith('TransitGateway')) return tgwDefault;
  return headerless.get(count);
}
