// AWS describe outputs (aws ec2 describe-vpcs, describe-subnets, describe-network-interfaces,
// describe-security-groups, describe-network-acls; JSON as the CLI prints it) into our model.
// What AWS leaves implicit is made explicit: a subnet without an ACL association uses its
// VPC's default ACL; the final "*" deny entries (32767/32768) are our engines' default deny;
// an interface without security groups (NAT gateways) gets an allow-all stand-in group.

import { InventoryDraft, allowAllAcl, allowAllGroup, type AclRuleEntry, type SgRuleEntry } from './draft.js';
import { Reader, regionOfZone, tagMap, type Json } from './json-fields.js';

export const AWS_KEYS = ['Vpcs', 'Subnets', 'NetworkInterfaces', 'SecurityGroups', 'NetworkAcls'] as const;
export type AwsKey = (typeof AWS_KEYS)[number];

export interface AwsPart {
  file: string;
  key: AwsKey;
  items: unknown[];
}

const LAST_USER_RULE = 32766;

function protocolOf(p: string): string {
  // AWS writes "-1" for all, and either names (tcp) or numbers ("6").
  return p === '-1' ? 'all' : p.toLowerCase();
}

function isIcmpProto(p: string): boolean {
  return p === 'icmp' || p === '1' || p === 'icmpv6' || p === '58';
}

function portsOf(proto: string, from: number | undefined, to: number | undefined): string | undefined {
  if (proto === 'all') return undefined;
  // ICMP rules give the type in FromPort (and the code in ToPort); -1 means every type.
  if (isIcmpProto(proto)) return from === undefined || from < 0 ? 'all' : String(from);
  if (from === undefined || from < 0) return 'all';
  const hi = to === undefined || to < 0 ? from : to;
  return hi === from ? String(from) : `${from}-${hi}`;
}

export function importAws(parts: readonly AwsPart[], draft: InventoryDraft): void {
  const of = (key: AwsKey) => parts.filter((p) => p.key === key);
  const vpcRegion = new Map<string, string>();
  const subnetsOfVpc = new Map<string, string[]>();

  for (const part of of('Subnets')) {
    const r: Reader = new Reader(part.file);
    part.items.forEach((raw, i) => {
      const at = ['Subnets', i];
      const s = r.obj(raw, at);
      const id = r.str(s, 'SubnetId', at);
      const vpc = r.str(s, 'VpcId', at);
      const zone = r.optStr(s, 'AvailabilityZone');
      if (zone && !vpcRegion.has(vpc)) vpcRegion.set(vpc, regionOfZone(zone, 'aws'));
      const cidrs = [r.str(s, 'CidrBlock', at)];
      for (const a of r.list(s, 'Ipv6CidrBlockAssociationSet', at)) {
        const o = a as Json;
        const state = ((o.Ipv6CidrBlockState as Json | undefined)?.State as string | undefined) ?? 'associated';
        if (typeof o.Ipv6CidrBlock === 'string' && state === 'associated') cidrs.push(o.Ipv6CidrBlock);
      }
      const tags = tagMap(r.list(s, 'Tags', at));
      (subnetsOfVpc.get(vpc) ?? subnetsOfVpc.set(vpc, []).get(vpc)!).push(id);
      // The ACL is filled in below, once the ACL associations are known.
      draft.addSubnet({ id, name: tags.Name ?? id, vpc, cidrs, zone: zone ?? '', network_acl: '' }, part.file);
    });
  }

  for (const part of of('Vpcs')) {
    const r: Reader = new Reader(part.file);
    part.items.forEach((raw, i) => {
      const at = ['Vpcs', i];
      const v = r.obj(raw, at);
      const id = r.str(v, 'VpcId', at);
      const cidrs: string[] = [];
      for (const a of r.list(v, 'CidrBlockAssociationSet', at)) {
        const o = a as Json;
        const state = ((o.CidrBlockState as Json | undefined)?.State as string | undefined) ?? 'associated';
        if (typeof o.CidrBlock === 'string' && state === 'associated' && !cidrs.includes(o.CidrBlock)) cidrs.push(o.CidrBlock);
      }
      const primary = r.optStr(v, 'CidrBlock');
      if (primary && !cidrs.includes(primary)) cidrs.unshift(primary);
      for (const a of r.list(v, 'Ipv6CidrBlockAssociationSet', at)) {
        const o = a as Json;
        const state = ((o.Ipv6CidrBlockState as Json | undefined)?.State as string | undefined) ?? 'associated';
        if (typeof o.Ipv6CidrBlock === 'string' && state === 'associated') cidrs.push(o.Ipv6CidrBlock);
      }
      if (cidrs.length === 0) r.fail(at, 'has no associated CIDR block');
      const tags = tagMap(r.list(v, 'Tags', at));
      draft.addVpc({ id, name: tags.Name ?? id, account_id: r.optStr(v, 'OwnerId') ?? '', region: vpcRegion.get(id) ?? '', cidrs }, part.file);
    });
  }

  // Network ACLs: entries split by direction, the implicit final deny left to the engine.
  const aclOfSubnet = new Map<string, string>();
  const defaultAcl = new Map<string, string>();
  for (const part of of('NetworkAcls')) {
    const r: Reader = new Reader(part.file);
    part.items.forEach((raw, i) => {
      const at = ['NetworkAcls', i];
      const a = r.obj(raw, at);
      const id = r.str(a, 'NetworkAclId', at);
      const vpc = r.str(a, 'VpcId', at);
      if (a.IsDefault === true) defaultAcl.set(vpc, id);
      for (const as of r.list(a, 'Associations', at)) {
        const sid = (as as Json).SubnetId;
        if (typeof sid === 'string') aclOfSubnet.set(sid, id);
      }
      const ingress: AclRuleEntry[] = [];
      const egress: AclRuleEntry[] = [];
      r.list(a, 'Entries', at).forEach((rawE, j) => {
        const eat = [...at, 'Entries', j];
        const e = r.obj(rawE, eat);
        const number = r.optNum(e, 'RuleNumber', eat);
        if (number === undefined) r.fail([...eat, 'RuleNumber'], 'is required');
        if (number > LAST_USER_RULE) return;
        const proto = protocolOf(r.str(e, 'Protocol', eat));
        const range = e.PortRange as Json | undefined;
        const icmp = e.IcmpTypeCode as Json | undefined;
        const ports = isIcmpProto(proto) ? portsOf(proto, icmp?.Type as number | undefined, undefined) : portsOf(proto, range?.From as number | undefined, range?.To as number | undefined);
        const cidr = r.optStr(e, 'CidrBlock') ?? r.optStr(e, 'Ipv6CidrBlock');
        if (!cidr) r.fail(eat, 'has neither CidrBlock nor Ipv6CidrBlock');
        const rule: AclRuleEntry = { number, action: r.str(e, 'RuleAction', eat).toLowerCase(), protocol: proto, cidr };
        if (ports !== undefined) rule.ports = ports;
        (e.Egress === true ? egress : ingress).push(rule);
      });
      const tags = tagMap(r.list(a, 'Tags', at));
      draft.addAcl({ id, name: tags.Name ?? id, vpc, ingress, egress }, part.file);
    });
  }
  for (const s of draft.subnets) {
    if (s.network_acl !== '') continue;
    const acl = aclOfSubnet.get(s.id) ?? defaultAcl.get(s.vpc);
    if (acl) s.network_acl = acl;
    else {
      const stand = `acl-allow-all-${s.vpc}`;
      if (!draft.acls.some((a) => a.id === stand)) {
        draft.addAcl(allowAllAcl(stand, s.vpc, 'default (allows all)'), 'import');
        draft.note(`no network ACL described for VPC ${s.vpc}: its subnets get ${stand}, which allows everything as AWS's default ACL does`);
      }
      s.network_acl = stand;
    }
  }

  for (const part of of('SecurityGroups')) {
    const r: Reader = new Reader(part.file);
    part.items.forEach((raw, i) => {
      const at = ['SecurityGroups', i];
      const g = r.obj(raw, at);
      const id = r.str(g, 'GroupId', at);
      const rules = (key: 'IpPermissions' | 'IpPermissionsEgress', dir: 'ingress' | 'egress'): SgRuleEntry[] => {
        const out: SgRuleEntry[] = [];
        let n = 0;
        r.list(g, key, at).forEach((rawP, j) => {
          const pat = [...at, key, j];
          const p = r.obj(rawP, pat);
          const proto = protocolOf(r.str(p, 'IpProtocol', pat));
          const ports = portsOf(proto, r.optNum(p, 'FromPort', pat), r.optNum(p, 'ToPort', pat));
          const base = (peer: string, description: unknown): SgRuleEntry => {
            const rule: SgRuleEntry = { id: `${dir}-${++n}`, protocol: proto, peer };
            if (ports !== undefined) rule.ports = ports;
            if (typeof description === 'string' && description) rule.description = description;
            return rule;
          };
          for (const x of r.list(p, 'IpRanges', pat)) if (typeof (x as Json).CidrIp === 'string') out.push(base((x as Json).CidrIp as string, (x as Json).Description));
          for (const x of r.list(p, 'Ipv6Ranges', pat)) if (typeof (x as Json).CidrIpv6 === 'string') out.push(base((x as Json).CidrIpv6 as string, (x as Json).Description));
          for (const x of r.list(p, 'UserIdGroupPairs', pat)) if (typeof (x as Json).GroupId === 'string') out.push(base((x as Json).GroupId as string, (x as Json).Description));
          for (const x of r.list(p, 'PrefixListIds', pat))
            draft.note(`${id} ${dir} ${proto}${ports ? ` ${ports}` : ''} from prefix list ${String((x as Json).PrefixListId)}: prefix lists are not imported, the rule is left out`);
        });
        return out;
      };
      draft.addGroup(
        {
          id,
          name: r.optStr(g, 'GroupName') ?? id,
          vpc: r.str(g, 'VpcId', at),
          semantics: 'aws',
          description: r.optStr(g, 'Description') ?? '',
          ingress: rules('IpPermissions', 'ingress'),
          egress: rules('IpPermissionsEgress', 'egress'),
        },
        part.file,
      );
    });
  }
  // A rule naming a group outside the import (another account, a peered VPC) cannot be resolved.
  for (const g of draft.groups) {
    for (const dir of ['ingress', 'egress'] as const) {
      const kept = (g[dir] ?? []).filter((rule) => {
        if (!/^sg-/.test(rule.peer) || draft.hasGroup(rule.peer)) return true;
        draft.note(`${g.id} ${dir} rule ${rule.id} names security group ${rule.peer}, which no imported file describes: left out`);
        return false;
      });
      g[dir] = kept;
    }
  }

  for (const part of of('NetworkInterfaces')) {
    const r: Reader = new Reader(part.file);
    part.items.forEach((raw, i) => {
      const at = ['NetworkInterfaces', i];
      const e = r.obj(raw, at);
      const id = r.str(e, 'NetworkInterfaceId', at);
      const vpc = r.str(e, 'VpcId', at);
      const ips: string[] = [];
      let publicIp = ((e.Association as Json | undefined)?.PublicIp as string | undefined) ?? undefined;
      const priv = r.list(e, 'PrivateIpAddresses', at).map((x) => x as Json);
      // The primary address first, as the model expects.
      priv.sort((a, b) => (b.Primary === true ? 1 : 0) - (a.Primary === true ? 1 : 0));
      for (const p of priv) {
        if (typeof p.PrivateIpAddress === 'string') ips.push(p.PrivateIpAddress);
        const pub = (p.Association as Json | undefined)?.PublicIp;
        if (p.Primary === true && typeof pub === 'string') publicIp ??= pub;
      }
      const primary = r.optStr(e, 'PrivateIpAddress');
      if (primary && !ips.includes(primary)) ips.unshift(primary);
      for (const x of r.list(e, 'Ipv6Addresses', at)) if (typeof (x as Json).Ipv6Address === 'string') ips.push((x as Json).Ipv6Address as string);
      if (ips.length === 0) r.fail(at, 'has no private address');
      let groups = r.list(e, 'Groups', at).map((x) => (x as Json).GroupId).filter((x): x is string => typeof x === 'string');
      if (groups.length === 0) {
        const stand = `sg-none-${vpc}`;
        if (!draft.hasGroup(stand)) draft.addGroup(allowAllGroup(stand, vpc), 'import');
        draft.note(`${id} (${r.optStr(e, 'InterfaceType') ?? 'interface'}) has no security group: it gets ${stand}, which filters nothing`);
        groups = [stand];
      }
      const att = e.Attachment as Json | undefined;
      const tags = tagMap(r.list(e, 'TagSet', at));
      draft.addEni(
        {
          id,
          mac: r.str(e, 'MacAddress', at).toLowerCase(),
          ips,
          ...(publicIp ? { public_ip: publicIp } : {}),
          subnet: r.str(e, 'SubnetId', at),
          instance_id: typeof att?.InstanceId === 'string' ? att.InstanceId : '',
          instance_name: tags.Name ?? '',
          security_groups: groups,
          tags,
        },
        part.file,
      );
    });
  }
}
