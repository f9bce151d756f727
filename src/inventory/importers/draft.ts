// An inventory being assembled from describe outputs, in our file format, with the notes on
// what could not be carried over (rules naming prefix lists or address templates, interfaces
// without security groups). Cross-references are checked here so that a missing describe
// output is reported as such, not as a dangling id deep inside the result.

import type { InventoryFileInput } from '../file-schema.js';
import { InputError } from '../../util/errors.js';

type Section<K extends keyof InventoryFileInput> = NonNullable<InventoryFileInput[K]>;
export type VpcEntry = Section<'vpcs'>[number];
export type SubnetEntry = Section<'subnets'>[number];
export type EniEntry = Section<'enis'>[number];
export type GroupEntry = Section<'security_groups'>[number];
export type SgRuleEntry = NonNullable<GroupEntry['ingress']>[number];
export type AclEntry = Section<'network_acls'>[number];
export type AclRuleEntry = NonNullable<AclEntry['ingress']>[number];

/** Where each object came from, for messages. */
export interface Origin {
  file: string;
}

export class InventoryDraft {
  readonly vpcs: VpcEntry[] = [];
  readonly subnets: SubnetEntry[] = [];
  readonly enis: EniEntry[] = [];
  readonly groups: GroupEntry[] = [];
  readonly acls: AclEntry[] = [];
  readonly notes: string[] = [];
  private readonly origin = new Map<string, string>();

  note(message: string): void {
    this.notes.push(message);
  }

  private add<T extends { id: string }>(list: T[], item: T, kind: string, file: string): void {
    const prev = this.origin.get(`${kind}:${item.id}`);
    if (prev !== undefined) {
      // The same object in two files (two describe runs): the later one wins.
      const i = list.findIndex((x) => x.id === item.id);
      list[i] = item;
      this.note(`${kind} ${item.id} is described in ${prev} and ${file}; using ${file}`);
    } else list.push(item);
    this.origin.set(`${kind}:${item.id}`, file);
  }

  addVpc(v: VpcEntry, file: string): void {
    this.add(this.vpcs, v, 'VPC', file);
  }
  addSubnet(s: SubnetEntry, file: string): void {
    this.add(this.subnets, s, 'subnet', file);
  }
  addEni(e: EniEntry, file: string): void {
    this.add(this.enis, e, 'ENI', file);
  }
  addGroup(g: GroupEntry, file: string): void {
    this.add(this.groups, g, 'security group', file);
  }
  addAcl(a: AclEntry, file: string): void {
    this.add(this.acls, a, 'network ACL', file);
  }

  originOf(kind: string, id: string): string {
    return this.origin.get(`${kind}:${id}`) ?? '?';
  }

  hasGroup(id: string): boolean {
    return this.groups.some((g) => g.id === id);
  }

  /** Checks that every reference names an object of the import; the message says which describe output is missing. */
  checkReferences(what: { vpcs: string; subnets: string; groups: string }): void {
    const vpcIds = new Set(this.vpcs.map((v) => v.id));
    const subnetIds = new Set(this.subnets.map((s) => s.id));
    const groupIds = new Set(this.groups.map((g) => g.id));
    for (const s of this.subnets)
      if (!vpcIds.has(s.vpc)) throw new InputError(`${this.originOf('subnet', s.id)}: subnet ${s.id} is in VPC ${s.vpc}, which no imported file describes (add the ${what.vpcs} output)`);
    for (const e of this.enis) {
      if (!subnetIds.has(e.subnet)) throw new InputError(`${this.originOf('ENI', e.id)}: ENI ${e.id} is in subnet ${e.subnet}, which no imported file describes (add the ${what.subnets} output)`);
      for (const g of e.security_groups)
        if (!groupIds.has(g)) throw new InputError(`${this.originOf('ENI', e.id)}: ENI ${e.id} uses security group ${g}, which no imported file describes (add the ${what.groups} output)`);
    }
    for (const g of this.groups)
      if (!vpcIds.has(g.vpc)) throw new InputError(`${this.originOf('security group', g.id)}: security group ${g.id} is in VPC ${g.vpc}, which no imported file describes (add the ${what.vpcs} output)`);
  }

  toFile(): InventoryFileInput {
    return { version: 1, vpcs: this.vpcs, subnets: this.subnets, enis: this.enis, security_groups: this.groups, network_acls: this.acls };
  }
}

/** Our stand-in for "no filtering": an allow-all ACL, as a subnet without one behaves. */
export function allowAllAcl(id: string, vpc: string, name: string): AclEntry {
  const rule = { number: 100, action: 'allow', protocol: 'all', cidr: '0.0.0.0/0', description: 'no network ACL: all traffic allowed' };
  const rule6 = { ...rule, number: 101, cidr: '::/0' };
  return { id, name, vpc, ingress: [rule, rule6], egress: [rule, rule6] };
}

/** A group standing for "no security group": interfaces without one are not filtered. */
export function allowAllGroup(id: string, vpc: string): GroupEntry {
  const all = (dir: string, peer: string, n: number) => ({ id: `${dir}-${n}`, protocol: 'all', peer, description: 'no security group: all traffic allowed' });
  return {
    id,
    name: 'no security group',
    vpc,
    description: 'Stands for interfaces without security groups (NAT gateways, endpoints): nothing is filtered',
    ingress: [all('ingress', '0.0.0.0/0', 1), all('ingress', '::/0', 2)],
    egress: [all('egress', '0.0.0.0/0', 1), all('egress', '::/0', 2)],
  };
}
