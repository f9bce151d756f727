// A proposed rule set in the clouds' own JSON: AWS as a describe-security-groups entry (its
// IpPermissions and IpPermissionsEgress are what authorize-security-group-ingress/-egress
// take), Tencent as the input of ModifySecurityGroupPolicies (SecurityGroupId with its
// SecurityGroupPolicySet). Both read back with `flowlogs inventory import`.

import { isV4Mapped, parseCidr } from '../../schema/ip.js';
import type { SecurityGroup } from '../../inventory/model.js';
import type { ProposedRule } from './least-privilege.js';

interface AwsPermission {
  IpProtocol: string;
  FromPort?: number;
  ToPort?: number;
  IpRanges: Array<{ CidrIp: string; Description?: string }>;
  Ipv6Ranges: Array<{ CidrIpv6: string; Description?: string }>;
  UserIdGroupPairs: Array<{ GroupId: string; Description?: string }>;
  PrefixListIds: never[];
}

export interface AwsGroupExport {
  SecurityGroups: Array<{ GroupId: string; GroupName: string; Description: string; VpcId: string; IpPermissions: AwsPermission[]; IpPermissionsEgress: AwsPermission[] }>;
}

interface TencentPolicy {
  PolicyIndex: number;
  Protocol: string;
  Port: string;
  CidrBlock?: string;
  Ipv6CidrBlock?: string;
  SecurityGroupId?: string;
  Action: 'ACCEPT';
  PolicyDescription: string;
}

export interface TencentGroupExport {
  SecurityGroupId: string;
  SecurityGroupPolicySet: { Ingress: TencentPolicy[]; Egress: TencentPolicy[] };
}

type PeerKind = 'v4' | 'v6' | 'group';

function peerKind(peer: string): PeerKind {
  const c = parseCidr(peer);
  if (!c) return 'group';
  return isV4Mapped(c.lo, 0) && c.bits >= 96 ? 'v4' : 'v6';
}

function ranges(ports: string): Array<[number, number]> {
  if (ports === 'all') return [[-1, -1]];
  return ports.split(',').map((s) => {
    const [a, b] = s.split('-').map(Number);
    return [a, b ?? a];
  });
}

const AWS_PROTOCOL: Record<string, string> = { all: '-1', tcp: 'tcp', udp: 'udp', icmp: 'icmp', icmpv6: 'icmpv6' };

function awsPermissions(rules: readonly ProposedRule[]): AwsPermission[] {
  const byKey = new Map<string, AwsPermission>();
  for (const r of rules) {
    const proto = AWS_PROTOCOL[r.protocol] ?? r.protocol;
    const icmp = proto === 'icmp' || proto === 'icmpv6';
    // AWS names one ICMP type per permission (FromPort = type, ToPort = code, -1 = any).
    const spans: Array<[number | undefined, number | undefined]> =
      proto === '-1' || (!icmp && proto !== 'tcp' && proto !== 'udp')
        ? [[undefined, undefined]]
        : icmp
          ? ranges(r.ports).flatMap(([a, b]): Array<[number, number]> => (a < 0 ? [[-1, -1]] : Array.from({ length: b - a + 1 }, (_, k): [number, number] => [a + k, -1])))
          : ranges(r.ports).map(([a, b]): [number, number] => (a < 0 ? [0, 65535] : [a, b]));
    for (const [from, to] of spans) {
      const key = `${proto}|${from}|${to}`;
      let p = byKey.get(key);
      if (!p) {
        p = { IpProtocol: proto, ...(from !== undefined ? { FromPort: from, ToPort: to } : {}), IpRanges: [], Ipv6Ranges: [], UserIdGroupPairs: [], PrefixListIds: [] };
        byKey.set(key, p);
      }
      const kind = peerKind(r.peer);
      if (kind === 'v4') p.IpRanges.push({ CidrIp: r.peer, Description: r.description });
      else if (kind === 'v6') p.Ipv6Ranges.push({ CidrIpv6: r.peer, Description: r.description });
      else p.UserIdGroupPairs.push({ GroupId: r.peer, Description: r.description });
    }
  }
  return [...byKey.values()];
}

export function toAws(group: SecurityGroup, rules: readonly ProposedRule[]): AwsGroupExport {
  return {
    SecurityGroups: [
      {
        GroupId: group.id,
        GroupName: group.name,
        Description: group.description || `least privilege for ${group.id}`,
        VpcId: group.vpc.id,
        IpPermissions: awsPermissions(rules.filter((r) => r.direction === 'ingress')),
        IpPermissionsEgress: awsPermissions(rules.filter((r) => r.direction === 'egress')),
      },
    ],
  };
}

const TENCENT_PROTOCOL: Record<string, string> = { all: 'ALL', tcp: 'TCP', udp: 'UDP', icmp: 'ICMP', icmpv6: 'ICMPv6', gre: 'GRE' };

function tencentPolicies(rules: readonly ProposedRule[]): TencentPolicy[] {
  const out: TencentPolicy[] = [];
  for (const r of rules) {
    const proto = TENCENT_PROTOCOL[r.protocol] ?? 'ALL';
    const withPorts = proto === 'TCP' || proto === 'UDP';
    // A Tencent port is one port, one range, or a list of single ports: never a mix.
    const rs = ranges(r.ports);
    const ports = !withPorts || r.ports === 'all' ? ['ALL'] : rs.every(([a, b]) => a === b) ? [rs.map(([a]) => a).join(',')] : rs.map(([a, b]) => (a === b ? String(a) : `${a}-${b}`));
    for (const port of ports) {
      const kind = peerKind(r.peer);
      out.push({
        PolicyIndex: out.length,
        Protocol: proto,
        Port: port,
        ...(kind === 'v4' ? { CidrBlock: r.peer } : kind === 'v6' ? { Ipv6CidrBlock: r.peer } : { SecurityGroupId: r.peer }),
        Action: 'ACCEPT',
        PolicyDescription: r.description,
      });
    }
  }
  return out;
}

/** Tencent ICMP policies cannot name a type, so ICMP rules come out for every type. */
export function toTencent(group: SecurityGroup, rules: readonly ProposedRule[]): TencentGroupExport {
  return {
    SecurityGroupId: group.id,
    SecurityGroupPolicySet: { Ingress: tencentPolicies(rules.filter((r) => r.direction === 'ingress')), Egress: tencentPolicies(rules.filter((r) => r.direction === 'egress')) },
  };
}
