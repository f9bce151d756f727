// Tencent Cloud describe outputs (VPC API 2017-03-12: DescribeVpcs, DescribeSubnets,
// DescribeNetworkInterfaces, DescribeSecurityGroups, DescribeSecurityGroupPolicies,
// DescribeNetworkAcls; with or without the {"Response": …} wrapper) into our model.
// Tencent security groups are ordered ACCEPT/DROP lists (semantics: tencent) that belong to no
// VPC; each is placed in the VPC of the interfaces that use it. A DescribeSecurityGroupPolicies
// response does not name its group, so the group id comes from the file (a SecurityGroupId key
// beside the policy set, or sg-… in the file name). A subnet without a network ACL is not
// filtered, which an allow-all stand-in expresses.

import path from 'node:path';
import { InputError } from '../../util/errors.js';
import { InventoryDraft, allowAllAcl, type AclRuleEntry, type SgRuleEntry } from './draft.js';
import { Reader, regionOfZone, tagMap, type Json } from './json-fields.js';

export const TENCENT_KEYS = ['VpcSet', 'SubnetSet', 'NetworkInterfaceSet', 'SecurityGroupSet', 'SecurityGroupPolicySet', 'NetworkAclSet'] as const;
export type TencentKey = (typeof TENCENT_KEYS)[number];

export interface TencentPart {
  file: string;
  key: TencentKey;
  /** The list (or, for SecurityGroupPolicySet, the one policy set object). */
  items: unknown[];
  /** For SecurityGroupPolicySet: the group, from the document or the file name. */
  groupId?: string;
}

export interface TencentOptions {
  /** Tencent describe outputs carry no owner account: the account id to record (default ''). */
  account?: string;
}

/** The security group a DescribeSecurityGroupPolicies file is about. */
export function policyGroupId(file: string, doc: Json): string | undefined {
  if (typeof doc.SecurityGroupId === 'string') return doc.SecurityGroupId;
  const m = /(sg-[0-9a-z]+)/i.exec(path.basename(file));
  return m ? m[1] : undefined;
}

function protocolOf(p: string | undefined): string {
  const s = (p ?? 'all').trim().toLowerCase();
  return s === '' || s === 'all' || s === '-1' ? 'all' : s === 'icmpv6' ? 'icmpv6' : s;
}

function portsOf(proto: string, port: string | undefined): string | undefined {
  if (proto === 'all') return undefined;
  const p = (port ?? '').trim();
  if (p === '' || p.toUpperCase() === 'ALL' || p === '-1') return 'all';
  return p;
}

function actionOf(a: string): 'accept' | 'drop' {
  return a.trim().toLowerCase() === 'accept' ? 'accept' : 'drop';
}

export function importTencent(parts: readonly TencentPart[], draft: InventoryDraft, opts: TencentOptions = {}): void {
  const of = (key: TencentKey) => parts.filter((p) => p.key === key);
  const vpcRegion = new Map<string, string>();

  for (const part of of('SubnetSet')) {
    const r: Reader = new Reader(part.file);
    part.items.forEach((raw, i) => {
      const at = ['SubnetSet', i];
      const s = r.obj(raw, at);
      const id = r.str(s, 'SubnetId', at);
      const vpc = r.str(s, 'VpcId', at);
      const zone = r.optStr(s, 'Zone');
      if (zone && !vpcRegion.has(vpc)) vpcRegion.set(vpc, regionOfZone(zone, 'tencent'));
      const cidrs = [r.str(s, 'CidrBlock', at)];
      const v6 = r.optStr(s, 'Ipv6CidrBlock');
      if (v6) cidrs.push(v6);
      draft.addSubnet({ id, name: r.optStr(s, 'SubnetName') ?? id, vpc, cidrs, zone: zone ?? '', network_acl: r.optStr(s, 'NetworkAclId') ?? '' }, part.file);
    });
  }

  for (const part of of('VpcSet')) {
    const r: Reader = new Reader(part.file);
    part.items.forEach((raw, i) => {
      const at = ['VpcSet', i];
      const v = r.obj(raw, at);
      const id = r.str(v, 'VpcId', at);
      const cidrs = [r.str(v, 'CidrBlock', at)];
      for (const a of r.list(v, 'AssistantCidrSet', at)) if (typeof (a as Json).CidrBlock === 'string') cidrs.push((a as Json).CidrBlock as string);
      const v6 = r.optStr(v, 'Ipv6CidrBlock');
      if (v6) cidrs.push(v6);
      draft.addVpc({ id, name: r.optStr(v, 'VpcName') ?? id, account_id: opts.account ?? '', region: vpcRegion.get(id) ?? '', cidrs }, part.file);
    });
  }

  const aclOfSubnet = new Map<string, string>();
  for (const part of of('NetworkAclSet')) {
    const r: Reader = new Reader(part.file);
    part.items.forEach((raw, i) => {
      const at = ['NetworkAclSet', i];
      const a = r.obj(raw, at);
      const id = r.str(a, 'NetworkAclId', at);
      for (const s of r.list(a, 'SubnetSet', at)) if (typeof (s as Json).SubnetId === 'string') aclOfSubnet.set((s as Json).SubnetId as string, id);
      // Entries are evaluated in the order listed (Priority, where given, says the same).
      const rules = (key: 'IngressEntries' | 'EgressEntries'): AclRuleEntry[] => {
        const entries = r.list(a, key, at).map((e, j) => ({ e: r.obj(e, [...at, key, j]), j }));
        entries.sort((x, y) => (Number(x.e.Priority ?? x.j) || 0) - (Number(y.e.Priority ?? y.j) || 0) || x.j - y.j);
        const out: AclRuleEntry[] = [];
        for (const { e, j } of entries) {
          const eat = [...at, key, j];
          const proto = protocolOf(r.optStr(e, 'Protocol'));
          const ports = portsOf(proto, r.optStr(e, 'Port'));
          const action = actionOf(r.str(e, 'Action', eat));
          for (const cidr of [r.optStr(e, 'CidrBlock'), r.optStr(e, 'Ipv6CidrBlock')]) {
            if (!cidr) continue;
            const rule: AclRuleEntry = { number: out.length + 1, action, protocol: proto, cidr };
            if (ports !== undefined) rule.ports = ports;
            const d = r.optStr(e, 'Description');
            if (d) rule.description = d;
            out.push(rule);
          }
        }
        return out;
      };
      draft.addAcl({ id, name: r.optStr(a, 'NetworkAclName') ?? id, vpc: r.str(a, 'VpcId', at), ingress: rules('IngressEntries'), egress: rules('EgressEntries') }, part.file);
    });
  }
  for (const s of draft.subnets) {
    if (s.network_acl === '') s.network_acl = aclOfSubnet.get(s.id) ?? '';
    if (s.network_acl !== '') continue;
    const stand = `acl-none-${s.vpc}`;
    if (!draft.acls.some((a) => a.id === stand)) draft.addAcl(allowAllAcl(stand, s.vpc, 'no network ACL'), 'import');
    s.network_acl = stand;
  }

  // ENIs first: they tell which VPC each security group serves.
  const groupVpcs = new Map<string, Set<string>>();
  for (const part of of('NetworkInterfaceSet')) {
    const r: Reader = new Reader(part.file);
    part.items.forEach((raw, i) => {
      const at = ['NetworkInterfaceSet', i];
      const e = r.obj(raw, at);
      const id = r.str(e, 'NetworkInterfaceId', at);
      const vpc = r.str(e, 'VpcId', at);
      const addrs = r.list(e, 'PrivateIpAddressSet', at).map((x) => x as Json);
      addrs.sort((a, b) => (b.Primary === true ? 1 : 0) - (a.Primary === true ? 1 : 0));
      const ips = addrs.map((x) => x.PrivateIpAddress).filter((x): x is string => typeof x === 'string' && x !== '');
      for (const x of r.list(e, 'Ipv6AddressSet', at)) if (typeof (x as Json).Address === 'string') ips.push((x as Json).Address as string);
      if (ips.length === 0) r.fail(at, 'has no private address');
      const pub = addrs.find((x) => x.Primary === true && typeof x.PublicIpAddress === 'string' && x.PublicIpAddress !== '')?.PublicIpAddress as string | undefined;
      const groups = r.list(e, 'GroupSet', at).filter((x): x is string => typeof x === 'string');
      if (groups.length === 0) r.fail([...at, 'GroupSet'], 'is empty: Tencent ENIs are always bound to a security group');
      for (const g of groups) (groupVpcs.get(g) ?? groupVpcs.set(g, new Set()).get(g)!).add(vpc);
      const att = e.Attachment as Json | undefined;
      draft.addEni(
        {
          id,
          mac: r.str(e, 'MacAddress', at).toLowerCase(),
          ips,
          ...(pub ? { public_ip: pub } : {}),
          subnet: r.str(e, 'SubnetId', at),
          instance_id: typeof att?.InstanceId === 'string' ? att.InstanceId : '',
          instance_name: r.optStr(e, 'NetworkInterfaceName') ?? '',
          security_groups: groups,
          tags: tagMap(r.list(e, 'TagSet', at)),
        },
        part.file,
      );
    });
  }

  const names = new Map<string, { name: string; description: string }>();
  for (const part of of('SecurityGroupSet')) {
    const r: Reader = new Reader(part.file);
    part.items.forEach((raw, i) => {
      const g = r.obj(raw, ['SecurityGroupSet', i]);
      names.set(r.str(g, 'SecurityGroupId', ['SecurityGroupSet', i]), { name: r.optStr(g, 'SecurityGroupName') ?? '', description: r.optStr(g, 'SecurityGroupDesc') ?? '' });
    });
  }
  const firstVpc = draft.vpcs[0]?.id;
  for (const part of of('SecurityGroupPolicySet')) {
    const r: Reader = new Reader(part.file);
    const id = part.groupId;
    if (!id) throw new InputError(`${part.file}: a DescribeSecurityGroupPolicies output does not say which security group it describes: put the group id in the file name (e.g. ${path.basename(part.file, '.json')}.sg-xxxxxxxx.json) or add "SecurityGroupId": "sg-…" beside SecurityGroupPolicySet`);
    const set = r.obj(part.items[0], ['SecurityGroupPolicySet']);
    const vpcs = [...(groupVpcs.get(id) ?? [])];
    if (vpcs.length > 1) throw new InputError(`${part.file}: security group ${id} is used by ENIs in VPCs ${vpcs.join(' and ')}; the inventory model keeps a group in one VPC, so import each VPC separately`);
    const vpc = vpcs[0] ?? firstVpc;
    if (!vpc) throw new InputError(`${part.file}: security group ${id} is used by no imported ENI and there is no VPC to place it in (add the DescribeVpcs and DescribeNetworkInterfaces outputs)`);
    const rules = (key: 'Ingress' | 'Egress'): SgRuleEntry[] => {
      const dir = key === 'Ingress' ? 'ingress' : 'egress';
      const list = r.list(set, key, ['SecurityGroupPolicySet']).map((p, j) => ({ p: r.obj(p, ['SecurityGroupPolicySet', key, j]), j }));
      list.sort((x, y) => (Number(x.p.PolicyIndex ?? x.j) || 0) - (Number(y.p.PolicyIndex ?? y.j) || 0) || x.j - y.j);
      const out: SgRuleEntry[] = [];
      for (const { p, j } of list) {
        const pat = ['SecurityGroupPolicySet', key, j];
        const index = p.PolicyIndex ?? j;
        const proto = protocolOf(r.optStr(p, 'Protocol'));
        const ports = portsOf(proto, r.optStr(p, 'Port'));
        const action = actionOf(r.str(p, 'Action', pat));
        const service = p.ServiceTemplate as Json | undefined;
        const address = p.AddressTemplate as Json | undefined;
        if ((service && (service.ServiceId || service.ServiceGroupId)) || (address && (address.AddressId || address.AddressGroupId))) {
          draft.note(`${id} ${dir} policy ${String(index)} uses a parameter template (${[service?.ServiceId, service?.ServiceGroupId, address?.AddressId, address?.AddressGroupId].filter(Boolean).join(', ')}): templates are not imported, the policy is left out`);
          continue;
        }
        const peers = [r.optStr(p, 'CidrBlock'), r.optStr(p, 'Ipv6CidrBlock'), r.optStr(p, 'SecurityGroupId')].filter((x): x is string => x !== undefined);
        if (peers.length === 0) {
          draft.note(`${id} ${dir} policy ${String(index)} names no peer: left out`);
          continue;
        }
        peers.forEach((peer, k) => {
          const rule: SgRuleEntry = { id: `${dir}-${String(index)}${k ? `-${k + 1}` : ''}`, action, protocol: proto, peer };
          if (ports !== undefined) rule.ports = ports;
          const d = r.optStr(p, 'PolicyDescription');
          if (d) rule.description = d;
          out.push(rule);
        });
      }
      return out;
    };
    const info = names.get(id);
    draft.addGroup({ id, name: info?.name || id, vpc, semantics: 'tencent', description: info?.description ?? '', ingress: rules('Ingress'), egress: rules('Egress') }, part.file);
  }
  for (const [id] of names) if (!draft.hasGroup(id) && groupVpcs.has(id)) draft.note(`security group ${id} is listed but its policies were not imported (add its DescribeSecurityGroupPolicies output)`);
  for (const g of draft.groups) {
    for (const dir of ['ingress', 'egress'] as const) {
      g[dir] = (g[dir] ?? []).filter((rule) => {
        if (!/^sg-/.test(rule.peer) || draft.hasGroup(rule.peer)) return true;
        draft.note(`${g.id} ${dir} policy ${rule.id} names security group ${rule.peer}, whose policies were not imported: left out`);
        return false;
      });
    }
  }
}
