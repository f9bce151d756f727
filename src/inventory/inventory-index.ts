// The inventory in the form lookups want: by id, by MAC and by address (a prefix index, not a
// scan), with every ENI's subnet, VPC, ACL and groups already linked.

import { parseIp, parseMac } from '../schema/ip.js';
import { CidrIndex } from './cidr-index.js';
import type { Eni, NetworkAcl, SecurityGroup, Subnet, Vpc } from './model.js';
import type { InventoryModel } from './resolve.js';

const host = (w: Uint32Array) => ({ lo: w, hi: w, bits: 128 });

export class InventoryIndex {
  readonly vpcs: readonly Vpc[];
  readonly subnets: readonly Subnet[];
  readonly enis: readonly Eni[];
  readonly securityGroups: readonly SecurityGroup[];
  readonly networkAcls: readonly NetworkAcl[];

  private readonly vpcById: Map<string, Vpc>;
  private readonly subnetById: Map<string, Subnet>;
  private readonly eniById: Map<string, Eni>;
  private readonly groupById: Map<string, SecurityGroup>;
  private readonly aclById: Map<string, NetworkAcl>;
  private readonly eniByMacMap = new Map<number, Eni>();
  private readonly eniByAddr = new CidrIndex<Eni>();
  private readonly subnetByAddr = new CidrIndex<Subnet>();
  private readonly vpcByAddr = new CidrIndex<Vpc>();

  constructor(
    model: InventoryModel,
    /** The file the inventory came from, for messages. */
    readonly source = '',
  ) {
    this.vpcs = model.vpcs;
    this.subnets = model.subnets;
    this.enis = model.enis;
    this.securityGroups = model.securityGroups;
    this.networkAcls = model.networkAcls;
    this.vpcById = new Map(model.vpcs.map((v) => [v.id, v]));
    this.subnetById = new Map(model.subnets.map((s) => [s.id, s]));
    this.eniById = new Map(model.enis.map((e) => [e.id, e]));
    this.groupById = new Map(model.securityGroups.map((g) => [g.id, g]));
    this.aclById = new Map(model.networkAcls.map((a) => [a.id, a]));
    for (const v of model.vpcs) for (const r of v.ranges) this.vpcByAddr.add(r, v);
    for (const s of model.subnets) for (const r of s.ranges) this.subnetByAddr.add(r, s);
    for (const e of model.enis) {
      this.eniByMacMap.set(e.mac, e);
      for (let k = 0; k < e.ips.length; k++) this.eniByAddr.add(host(e.addrs.subarray(k * 4, k * 4 + 4)), e);
      if (e.publicIp !== undefined) this.eniByAddr.add(host(parseIp(e.publicIp)!), e);
    }
  }

  vpc(id: string): Vpc | undefined {
    return this.vpcById.get(id);
  }

  subnet(id: string): Subnet | undefined {
    return this.subnetById.get(id);
  }

  eni(id: string): Eni | undefined {
    return this.eniById.get(id);
  }

  securityGroup(id: string): SecurityGroup | undefined {
    return this.groupById.get(id);
  }

  networkAcl(id: string): NetworkAcl | undefined {
    return this.aclById.get(id);
  }

  /** By the 48-bit value FlowBatch stores, or by its text. */
  eniByMac(mac: number | string): Eni | undefined {
    const v = typeof mac === 'number' ? mac : parseMac(mac);
    return v === undefined ? undefined : this.eniByMacMap.get(v);
  }

  /** The ENI holding an address (private or public): four words at `w[o]`, or text. */
  eniByIp(addr: Uint32Array | string, o = 0): Eni | undefined {
    const w = this.words(addr);
    return w ? this.eniByAddr.lookup(w, typeof addr === 'string' ? 0 : o) : undefined;
  }

  subnetByIp(addr: Uint32Array | string, o = 0): Subnet | undefined {
    const w = this.words(addr);
    return w ? this.subnetByAddr.lookup(w, typeof addr === 'string' ? 0 : o) : undefined;
  }

  vpcByIp(addr: Uint32Array | string, o = 0): Vpc | undefined {
    const w = this.words(addr);
    return w ? this.vpcByAddr.lookup(w, typeof addr === 'string' ? 0 : o) : undefined;
  }

  private words(addr: Uint32Array | string): Uint32Array | undefined {
    return typeof addr === 'string' ? parseIp(addr) : addr;
  }
}
