// The network as the clouds describe it, with every cross-reference resolved to the object it
// names: an ENI holds its subnet, VPC, network ACL and security groups, not their ids, so that
// lookups on the flow path never go through a map.

import type { Cidr } from '../schema/ip.js';

/** Matches every protocol in a rule. */
export const ANY_PROTOCOL = -1;

/** An inclusive range of ports (or, for ICMP and ICMPv6 rules, of ICMP types). */
export interface PortRange {
  readonly from: number;
  readonly to: number;
}

export const ALL_PORTS: readonly PortRange[] = [{ from: 0, to: 65535 }];

/**
 * `aws`: allow-only rules, unordered, anything not allowed is denied.
 * `tencent`: ordered ACCEPT/DROP policies, the first match wins, anything unmatched is dropped.
 */
export type SgSemantics = 'aws' | 'tencent';

export interface Vpc {
  readonly index: number;
  readonly id: string;
  readonly name: string;
  readonly accountId: string;
  readonly region: string;
  readonly cidrs: readonly string[];
  readonly ranges: readonly Cidr[];
  readonly subnets: Subnet[];
  readonly enis: Eni[];
}

export interface Subnet {
  readonly index: number;
  readonly id: string;
  readonly name: string;
  readonly vpc: Vpc;
  readonly cidrs: readonly string[];
  readonly ranges: readonly Cidr[];
  readonly zone: string;
  readonly networkAcl: NetworkAcl;
  readonly enis: Eni[];
}

export interface Eni {
  readonly index: number;
  readonly id: string;
  /** The 48-bit MAC as a number (the form FlowBatch stores). */
  readonly mac: number;
  readonly macText: string;
  /** Private addresses, primary first, as written in the inventory. */
  readonly ips: readonly string[];
  /** `ips` as four words each (IPv4 IPv4-mapped), in the same order. */
  readonly addrs: Uint32Array;
  readonly publicIp: string | undefined;
  readonly subnet: Subnet;
  readonly vpc: Vpc;
  readonly networkAcl: NetworkAcl;
  readonly securityGroups: readonly SecurityGroup[];
  readonly instanceId: string;
  readonly instanceName: string;
  readonly bandwidthMbps: number | undefined;
  readonly tags: Readonly<Record<string, string>>;
  /** The owning account: the VPC's. */
  readonly accountId: string;
}

export type SgPeer =
  | { readonly kind: 'cidr'; readonly cidr: string; readonly range: Cidr }
  | { readonly kind: 'group'; readonly group: SecurityGroup };

export interface SgRule {
  readonly id: string;
  /** Always `accept` in an `aws` group. */
  readonly action: 'accept' | 'drop';
  /** IANA number, or ANY_PROTOCOL. */
  readonly protocol: number;
  readonly ports: readonly PortRange[];
  readonly peer: SgPeer;
  readonly description: string;
}

export interface SecurityGroup {
  readonly index: number;
  readonly id: string;
  readonly name: string;
  readonly vpc: Vpc;
  readonly semantics: SgSemantics;
  readonly description: string;
  readonly ingress: readonly SgRule[];
  readonly egress: readonly SgRule[];
  readonly members: Eni[];
}

export interface AclRule {
  readonly number: number;
  readonly action: 'allow' | 'deny';
  readonly protocol: number;
  readonly ports: readonly PortRange[];
  readonly cidr: string;
  readonly range: Cidr;
  readonly description: string;
}

export interface NetworkAcl {
  readonly index: number;
  readonly id: string;
  readonly name: string;
  readonly vpc: Vpc;
  /** Ordered by rule number, lowest first (the order they are evaluated in). */
  readonly ingress: readonly AclRule[];
  readonly egress: readonly AclRule[];
  readonly subnets: Subnet[];
}
