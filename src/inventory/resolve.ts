// From the validated file to the linked model: every id reference is checked and replaced by
// the object it names, and the address plan is checked (subnets inside their VPC, no overlaps,
// ENI addresses inside their subnet and used once).

import { formatMac, parseCidr, parseIp, parseIpInto, parseMac, type Cidr } from '../schema/ip.js';
import { toBig } from './cidr-index.js';
import type { InventoryFile } from './file-schema.js';
import type { PathPart } from './errors.js';
import type { AclRule, Eni, NetworkAcl, SecurityGroup, SgPeer, SgRule, Subnet, Vpc } from './model.js';

export interface InventoryModel {
  vpcs: Vpc[];
  subnets: Subnet[];
  enis: Eni[];
  securityGroups: SecurityGroup[];
  networkAcls: NetworkAcl[];
}

/** Reports a problem at a path of the file; never returns. */
export type Fail = (path: PathPart[], problem: string) => never;

const big = (w: Uint32Array): bigint => toBig(w, 0);

function contains(outer: Cidr, inner: Cidr): boolean {
  return big(outer.lo) <= big(inner.lo) && big(inner.hi) <= big(outer.hi);
}

function overlaps(a: Cidr, b: Cidr): boolean {
  return big(a.lo) <= big(b.hi) && big(b.lo) <= big(a.hi);
}

function uniqueIds<T extends { id: string }>(items: readonly T[], section: string, fail: Fail): Map<string, number> {
  const seen = new Map<string, number>();
  items.forEach((it, i) => {
    const first = seen.get(it.id);
    if (first !== undefined) fail([section, i, 'id'], `duplicate id '${it.id}' (also ${section}[${first}])`);
    seen.set(it.id, i);
  });
  return seen;
}

export function resolveInventory(file: InventoryFile, fail: Fail): InventoryModel {
  const fVpcs = file.vpcs ?? [];
  const fSubnets = file.subnets ?? [];
  const fEnis = file.enis ?? [];
  const fGroups = file.security_groups ?? [];
  const fAcls = file.network_acls ?? [];

  // VPCs: their address spaces must not overlap, or "VPC by IP" would be ambiguous.
  const vpcAt = uniqueIds(fVpcs, 'vpcs', fail);
  const vpcs: Vpc[] = fVpcs.map((v, i) => ({
    index: i,
    id: v.id,
    name: v.name ?? v.id,
    accountId: v.account_id,
    region: v.region ?? '',
    cidrs: v.cidrs,
    ranges: v.cidrs.map((c) => parseCidr(c)!),
    subnets: [],
    enis: [],
  }));
  vpcs.forEach((v, i) =>
    v.ranges.forEach((r, k) => {
      for (let j = 0; j <= i; j++) {
        const other = vpcs[j];
        other.ranges.forEach((o, m) => {
          if ((j < i || m < k) && overlaps(r, o)) {
            fail(['vpcs', i, 'cidrs', k], `${v.cidrs[k]} overlaps ${j === i ? 'this VPC\'s' : `VPC '${other.id}'`} ${other.cidrs[m]}`);
          }
        });
      }
    }),
  );

  const vpcRef = (id: string, path: PathPart[]): Vpc => {
    const at = vpcAt.get(id);
    if (at === undefined) fail(path, `unknown VPC '${id}'`);
    return vpcs[at];
  };

  // Network ACLs: rules in evaluation order (rule number, lowest first).
  const aclAt = uniqueIds(fAcls, 'network_acls', fail);
  const acls: NetworkAcl[] = fAcls.map((a, i) => {
    const rules = (dir: 'ingress' | 'egress'): AclRule[] => {
      const list = a[dir] ?? [];
      const numbers = new Map<number, number>();
      const out = list.map((r, j): AclRule => {
        const first = numbers.get(r.number);
        if (first !== undefined) fail(['network_acls', i, dir, j, 'number'], `duplicate rule number ${r.number} (also ${dir}[${first}])`);
        numbers.set(r.number, j);
        return {
          number: r.number,
          action: r.action === 'allow' || r.action === 'accept' ? 'allow' : 'deny',
          protocol: r.protocol,
          ports: r.ports,
          cidr: r.cidr,
          range: parseCidr(r.cidr)!,
          description: r.description ?? '',
        };
      });
      return out.sort((x, y) => x.number - y.number);
    };
    return {
      index: i,
      id: a.id,
      name: a.name ?? a.id,
      vpc: vpcRef(a.vpc, ['network_acls', i, 'vpc']),
      ingress: rules('ingress'),
      egress: rules('egress'),
      subnets: [],
    };
  });

  // Subnets: inside their VPC, not overlapping each other, with an ACL of the same VPC.
  const subnetAt = uniqueIds(fSubnets, 'subnets', fail);
  const subnets: Subnet[] = fSubnets.map((s, i) => {
    const vpc = vpcRef(s.vpc, ['subnets', i, 'vpc']);
    // Both `cidr` and `cidrs` may be given; each CIDR keeps its own path for messages.
    const written: Array<[string, PathPart[]]> = [];
    if (s.cidr !== undefined) written.push([s.cidr, ['subnets', i, 'cidr']]);
    (s.cidrs ?? []).forEach((c, k) => written.push([c, ['subnets', i, 'cidrs', k]]));
    const cidrs = written.map(([c]) => c);
    const ranges = cidrs.map((c) => parseCidr(c)!);
    ranges.forEach((r, k) => {
      if (!vpc.ranges.some((v) => contains(v, r))) fail(written[k][1], `${cidrs[k]} is not inside VPC '${vpc.id}' (${vpc.cidrs.join(', ')})`);
    });
    const aclIdx = aclAt.get(s.network_acl);
    if (aclIdx === undefined) fail(['subnets', i, 'network_acl'], `unknown network ACL '${s.network_acl}'`);
    const acl = acls[aclIdx];
    if (acl.vpc !== vpc) fail(['subnets', i, 'network_acl'], `network ACL '${acl.id}' belongs to VPC '${acl.vpc.id}', not '${vpc.id}'`);
    const subnet: Subnet = { index: i, id: s.id, name: s.name ?? s.id, vpc, cidrs, ranges, zone: s.zone ?? '', networkAcl: acl, enis: [] };
    for (const other of vpc.subnets) {
      ranges.forEach((r, k) => {
        other.ranges.forEach((o, m) => {
          if (overlaps(r, o)) fail(written[k][1], `${cidrs[k]} overlaps subnet '${other.id}' (${other.cidrs[m]})`);
        });
      });
    }
    vpc.subnets.push(subnet);
    acl.subnets.push(subnet);
    return subnet;
  });

  // Security groups: created first so that rules can name any group as their peer.
  const groupAt = uniqueIds(fGroups, 'security_groups', fail);
  const groups: SecurityGroup[] = fGroups.map((g, i) => ({
    index: i,
    id: g.id,
    name: g.name ?? g.id,
    vpc: vpcRef(g.vpc, ['security_groups', i, 'vpc']),
    semantics: (g.semantics ?? 'aws') as 'aws' | 'tencent',
    description: g.description ?? '',
    ingress: [],
    egress: [],
    members: [],
  }));
  fGroups.forEach((g, i) => {
    const group = groups[i];
    const ruleIds = new Map<string, string>();
    for (const dir of ['ingress', 'egress'] as const) {
      const out = group[dir] as SgRule[];
      (g[dir] ?? []).forEach((r, j) => {
        const path = (f: string): PathPart[] => ['security_groups', i, dir, j, f];
        const ruleId = r.id ?? `${dir}-${j + 1}`;
        const first = ruleIds.get(ruleId);
        if (first !== undefined) fail(path('id'), `duplicate rule id '${ruleId}' in security group '${group.id}' (also ${first})`);
        ruleIds.set(ruleId, `${dir}[${j}]`);
        let action: 'accept' | 'drop';
        if (group.semantics === 'aws') {
          if (r.action === 'drop' || r.action === 'deny') {
            fail(path('action'), `aws security groups only allow; use semantics: tencent for ordered ACCEPT/DROP rules`);
          }
          action = 'accept';
        } else {
          if (r.action === undefined) fail(path('action'), 'tencent security group rules need an action (accept or drop)');
          action = r.action === 'accept' || r.action === 'allow' ? 'accept' : 'drop';
        }
        let peer: SgPeer;
        const cidr = parseCidr(r.peer);
        if (cidr) peer = { kind: 'cidr', cidr: r.peer, range: cidr };
        else {
          const at = groupAt.get(r.peer);
          if (at === undefined) fail(path('peer'), `'${r.peer}' is neither a CIDR nor a known security group`);
          peer = { kind: 'group', group: groups[at] };
        }
        out.push({ id: ruleId, action, protocol: r.protocol, ports: r.ports, peer, description: r.description ?? '' });
      });
    }
  });

  // ENIs: in a known subnet, guarded by groups of their own VPC, with addresses used once.
  uniqueIds(fEnis, 'enis', fail);
  const addrOwner = new Map<string, number>();
  const macOwner = new Map<number, number>();
  const enis: Eni[] = fEnis.map((e, i) => {
    const sIdx = subnetAt.get(e.subnet);
    if (sIdx === undefined) fail(['enis', i, 'subnet'], `unknown subnet '${e.subnet}'`);
    const subnet = subnets[sIdx];
    const sgs = e.security_groups.map((gid, k) => {
      const at = groupAt.get(gid);
      if (at === undefined) fail(['enis', i, 'security_groups', k], `unknown security group '${gid}'`);
      const g = groups[at];
      if (g.vpc !== subnet.vpc) fail(['enis', i, 'security_groups', k], `security group '${gid}' is in VPC '${g.vpc.id}', the ENI in '${subnet.vpc.id}'`);
      return g;
    });
    if (sgs.some((g) => g.semantics !== sgs[0].semantics)) {
      fail(['enis', i, 'security_groups'], 'mixes aws and tencent security groups; their rule orders cannot be combined');
    }
    const macValue = parseMac(e.mac)!;
    const macFirst = macOwner.get(macValue);
    if (macFirst !== undefined) fail(['enis', i, 'mac'], `MAC ${e.mac} is also used by enis[${macFirst}]`);
    macOwner.set(macValue, i);
    const addrs = new Uint32Array(e.ips.length * 4);
    e.ips.forEach((ip, k) => {
      parseIpInto(ip, addrs, k * 4);
      const w = addrs.subarray(k * 4, k * 4 + 4);
      if (!subnet.ranges.some((r) => big(r.lo) <= big(w) && big(w) <= big(r.hi))) {
        fail(['enis', i, 'ips', k], `${ip} is outside subnet '${subnet.id}' (${subnet.cidrs.join(', ')})`);
      }
      const key = big(w).toString(16);
      const first = addrOwner.get(key);
      if (first !== undefined) fail(['enis', i, 'ips', k], `${ip} is also used by enis[${first}]`);
      addrOwner.set(key, i);
    });
    if (e.public_ip !== undefined) {
      const key = big(parseIp(e.public_ip)!).toString(16);
      const first = addrOwner.get(key);
      if (first !== undefined) fail(['enis', i, 'public_ip'], `${e.public_ip} is also used by enis[${first}]`);
      addrOwner.set(key, i);
    }
    const eni: Eni = {
      index: i,
      id: e.id,
      mac: macValue,
      macText: formatMac(macValue),
      ips: e.ips,
      addrs,
      publicIp: e.public_ip,
      subnet,
      vpc: subnet.vpc,
      networkAcl: subnet.networkAcl,
      securityGroups: sgs,
      instanceId: e.instance_id ?? '',
      instanceName: e.instance_name ?? '',
      bandwidthMbps: e.bandwidth_mbps,
      tags: e.tags ?? {},
      accountId: subnet.vpc.accountId,
    };
    subnet.enis.push(eni);
    subnet.vpc.enis.push(eni);
    for (const g of sgs) g.members.push(eni);
    return eni;
  });

  return { vpcs, subnets, enis, securityGroups: groups, networkAcls: acls };
}
