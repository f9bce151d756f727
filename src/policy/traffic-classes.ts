// Addresses and ports no rule can tell apart. Every CIDR the policy looks at (group and ACL
// rules, subnets) is a prefix, so two addresses with the same most specific covering prefix
// are inside exactly the same rules and subnets; ports with no rule boundary between them
// match exactly the same rules. A verdict therefore depends on the classes of its addresses
// and ports (and on which interfaces are involved), not on the values: callers that evaluate
// the same kinds of traffic over and over can cache verdicts by class.

import { parseCidr } from '../schema/ip.js';
import { CidrIndex } from '../inventory/cidr-index.js';
import type { InventoryIndex } from '../inventory/inventory-index.js';
import type { PortRange } from '../inventory/model.js';
import { hasPorts, isIcmp } from '../inventory/rule-values.js';

export class TrafficClasses {
  /** Number of address classes (class 0: covered by no prefix at all). */
  readonly addressClasses: number;
  /** TCP/UDP/SCTP port → class. */
  private readonly portClass: Uint16Array;
  private readonly tcpUdpClasses: number;
  /** Number of port classes portClassOf can return. */
  readonly portClasses: number;
  private readonly index = new CidrIndex<number>();

  constructor(inventory: InventoryIndex) {
    let n = 0;
    const add = (r: Parameters<CidrIndex<number>['add']>[0]) => this.index.add(r, ++n);
    // IPv6 rules never match IPv4 addresses, so the two families must never share a class.
    add(parseCidr('::ffff:0:0/96')!);
    for (const s of inventory.subnets) for (const r of s.ranges) add(r);
    for (const g of inventory.securityGroups) for (const r of [...g.ingress, ...g.egress]) if (r.peer.kind === 'cidr') add(r.peer.range);
    for (const a of inventory.networkAcls) for (const r of [...a.ingress, ...a.egress]) add(r.range);
    this.addressClasses = n + 1;

    const cuts = new Set<number>([0]);
    const cut = (ranges: readonly PortRange[], protocol: number) => {
      if (!hasPorts(protocol)) return;
      for (const p of ranges) {
        cuts.add(p.from);
        if (p.to < 65535) cuts.add(p.to + 1);
      }
    };
    for (const g of inventory.securityGroups) for (const r of [...g.ingress, ...g.egress]) cut(r.ports, r.protocol);
    for (const a of inventory.networkAcls) for (const r of [...a.ingress, ...a.egress]) cut(r.ports, r.protocol);
    const sorted = [...cuts].sort((a, b) => a - b);
    this.portClass = new Uint16Array(65536);
    let cls = 0;
    for (let p = 0, k = 0; p < 65536; p++) {
      if (k < sorted.length && sorted[k] === p) cls = k++;
      this.portClass[p] = cls;
    }
    this.tcpUdpClasses = sorted.length;
    this.portClasses = sorted.length + 256;
  }

  /**
   * The class of a port as the flow record carries it: TCP, UDP and SCTP ports by rule
   * boundaries; for ICMP the type (rules match nothing else, and each type answers to its
   * own); other protocols have none. Source ports of ICMP flows (identifiers) are class 0.
   */
  portClassOf(protocol: number, port: number, isSource: boolean): number {
    if (hasPorts(protocol)) return this.portClass[port];
    if (isIcmp(protocol) && !isSource) return this.tcpUdpClasses + (port >>> 8);
    return 0;
  }

  /** The class of the address at `w[o..o+3]`. */
  addressClass(w: Uint32Array, o = 0): number {
    return this.index.lookup(w, o) ?? 0;
  }
}
