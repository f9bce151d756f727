// Security groups and network ACLs, evaluated as the clouds do. Outbound: the ENI's groups,
// then its subnet's ACL; inbound: the ACL, then the groups. Groups are stateful (a reply of an
// allowed connection passes them); ACLs are stateless (a reply is checked like any packet).
// Traffic that stays inside one subnet crosses no ACL; an end outside the inventory (the
// internet) has no hops of its own.

import { isV4Mapped } from '../schema/ip.js';
import type { InventoryIndex } from '../inventory/inventory-index.js';
import type { Eni, NetworkAcl, SecurityGroup } from '../inventory/model.js';
import { ConnectionVerdict, type PathVerdict } from './connection-verdict.js';
import { DEFAULT_DENY, DecisionTable, type Decision } from './decision.js';
import { replyDstPort, requestDstPort } from './ports.js';
import { RuleTable, within, type RuleSpec } from './rule-table.js';

/** Direction relative to an interface, numbered as the flow record's `direction` enum. */
export const INGRESS = 0;
export const EGRESS = 1;
export type Direction = typeof INGRESS | typeof EGRESS;

export class PolicyEngine {
  private readonly table = new DecisionTable();
  private readonly sgIn: RuleTable[];
  private readonly sgOut: RuleTable[];
  private readonly sgDefault: Decision[];
  private readonly aclIn: RuleTable[];
  private readonly aclOut: RuleTable[];
  private readonly aclDefaultIn: Decision[];
  private readonly aclDefaultOut: Decision[];
  /** Per ENI: its groups' indices, in evaluation order. */
  private readonly eniGroups: Int32Array[];
  /** Per ENI: whether any of its groups names a peer group (ingress bit 1, egress bit 2). */
  private readonly eniGroupPeers: Uint8Array;
  /** Per subnet: its CIDRs as lo/hi words, to tell traffic that never leaves the subnet. */
  private readonly subnetLo: Uint32Array[];
  private readonly subnetHi: Uint32Array[];
  private readonly verdict = new ConnectionVerdict();

  constructor(readonly inventory: InventoryIndex) {
    const t = this.table;
    const groupRules = (g: SecurityGroup, dir: 'ingress' | 'egress'): RuleTable =>
      new RuleTable(
        g[dir].map(
          (r): RuleSpec => ({
            protocol: r.protocol,
            ports: r.ports,
            range: r.peer.kind === 'cidr' ? r.peer.range : undefined,
            group: r.peer.kind === 'group' ? r.peer.group.index : -1,
            decision: t.add('security_group', g.id, r.id, r.action === 'accept', r.description),
          }),
        ),
      );
    this.sgIn = inventory.securityGroups.map((g) => groupRules(g, 'ingress'));
    this.sgOut = inventory.securityGroups.map((g) => groupRules(g, 'egress'));
    this.sgDefault = inventory.securityGroups.map((g) => t.add('security_group', g.id, DEFAULT_DENY, false, 'no rule allows it'));
    const aclRules = (a: NetworkAcl, dir: 'ingress' | 'egress'): RuleTable =>
      new RuleTable(
        a[dir].map(
          (r): RuleSpec => ({
            protocol: r.protocol,
            ports: r.ports,
            range: r.range,
            group: -1,
            decision: t.add('network_acl', a.id, String(r.number), r.action === 'allow', r.description),
          }),
        ),
      );
    this.aclIn = inventory.networkAcls.map((a) => aclRules(a, 'ingress'));
    this.aclOut = inventory.networkAcls.map((a) => aclRules(a, 'egress'));
    // One default per ACL would name the same rule twice; a default per direction keeps codes distinct.
    this.aclDefaultIn = inventory.networkAcls.map((a) => t.add('network_acl', a.id, DEFAULT_DENY, false, 'no inbound rule matches'));
    this.aclDefaultOut = inventory.networkAcls.map((a) => t.add('network_acl', a.id, DEFAULT_DENY, false, 'no outbound rule matches'));
    this.eniGroups = inventory.enis.map((e) => Int32Array.from(e.securityGroups.map((g) => g.index)));
    this.eniGroupPeers = Uint8Array.from(
      inventory.enis.map((e) => (e.securityGroups.some((g) => this.sgIn[g.index].hasGroupPeers) ? 1 : 0) | (e.securityGroups.some((g) => this.sgOut[g.index].hasGroupPeers) ? 2 : 0)),
    );
    this.subnetLo = inventory.subnets.map((s) => {
      const w = new Uint32Array(s.ranges.length * 4);
      s.ranges.forEach((r, k) => w.set(r.lo, k * 4));
      return w;
    });
    this.subnetHi = inventory.subnets.map((s) => {
      const w = new Uint32Array(s.ranges.length * 4);
      s.ranges.forEach((r, k) => w.set(r.hi, k * 4));
      return w;
    });
  }

  /** Every decision this engine can return, indexed by `Decision.code`. */
  get decisions(): readonly Decision[] {
    return this.table.all;
  }

  /**
   * The security groups' verdict on a packet of a new connection at `eni`. `peer` is the
   * remote address; `peerEni` the remote interface if known (undefined: look it up by address;
   * null: outside the inventory).
   */
  securityGroups(eni: Eni, direction: Direction, protocol: number, peer: Uint32Array, po: number, dstPort: number, peerEni?: Eni | null): Decision {
    const groups = this.eniGroups[eni.index];
    const tables = direction === INGRESS ? this.sgIn : this.sgOut;
    let peerGroups: Int32Array | null = null;
    if (this.eniGroupPeers[eni.index] & (direction === INGRESS ? 1 : 2)) {
      const pe = peerEni === undefined ? this.inventory.eniByIp(peer, po) : peerEni;
      if (pe) peerGroups = this.eniGroups[pe.index];
    }
    const v4 = isV4Mapped(peer, po);
    for (let k = 0; k < groups.length; k++) {
      const t = tables[groups[k]];
      const i = t.firstMatch(protocol, peer, po, v4, dstPort, peerGroups);
      if (i >= 0) return t.decisions[i];
    }
    return this.sgDefault[groups[0]];
  }

  /** A network ACL's verdict on one packet (stateless: replies are packets like any other). */
  networkAcl(acl: NetworkAcl, direction: Direction, protocol: number, peer: Uint32Array, po: number, dstPort: number): Decision {
    const t = direction === INGRESS ? this.aclIn[acl.index] : this.aclOut[acl.index];
    const i = t.firstMatch(protocol, peer, po, isV4Mapped(peer, po), dstPort, null);
    if (i >= 0) return t.decisions[i];
    return direction === INGRESS ? this.aclDefaultIn[acl.index] : this.aclDefaultOut[acl.index];
  }

  /** Whether traffic between `eni` and `peer` crosses the subnet boundary (and so its ACL). */
  crossesAcl(eni: Eni, peer: Uint32Array, po: number): boolean {
    const lo = this.subnetLo[eni.subnet.index];
    const hi = this.subnetHi[eni.subnet.index];
    for (let r = 0; r < lo.length; r += 4) if (within(peer, po, lo, hi, r)) return false;
    return true;
  }

  /**
   * The verdict at one interface on one flow, as its flow-log record shows it: `peer` is the
   * remote address (the source of an ingress flow, the destination of an egress one), ports
   * as in the record. With `reply`, the flow answers a connection the peer (ingress: the ENI)
   * opened, and the groups pass it exactly when they allowed that connection's request.
   */
  evaluateInterface(
    eni: Eni,
    direction: Direction,
    protocol: number,
    peer: Uint32Array,
    po: number,
    srcPort: number,
    dstPort: number,
    reply = false,
    peerEni?: Eni | null,
  ): Decision {
    const crosses = this.crossesAcl(eni, peer, po);
    if (direction === INGRESS && crosses) {
      const a = this.networkAcl(eni.networkAcl, INGRESS, protocol, peer, po, dstPort);
      if (!a.accept) return a;
    }
    const sg = reply
      ? this.securityGroups(eni, direction === INGRESS ? EGRESS : INGRESS, protocol, peer, po, requestDstPort(protocol, srcPort, dstPort), peerEni)
      : this.securityGroups(eni, direction, protocol, peer, po, dstPort, peerEni);
    if (!sg.accept) return sg;
    if (direction === EGRESS && crosses) {
      const a = this.networkAcl(eni.networkAcl, EGRESS, protocol, peer, po, dstPort);
      if (!a.accept) return a;
    }
    return sg;
  }

  /**
   * A connection from `src` to `dst` (each an ENI with one of its addresses, or null and an
   * address outside the inventory): the request through both ends' groups and ACLs, then,
   * if it got through, the reply back. Writes into `out` (reused when given) and returns it.
   */
  evaluateConnection(
    srcEni: Eni | null,
    srcAddr: Uint32Array,
    so: number,
    dstEni: Eni | null,
    dstAddr: Uint32Array,
    dOff: number,
    protocol: number,
    srcPort: number,
    dstPort: number,
    out: ConnectionVerdict = new ConnectionVerdict(),
  ): ConnectionVerdict {
    out.reset();
    const req = out.request;
    this.path(req, srcEni, srcAddr, so, dstEni, dstAddr, dOff, protocol, dstPort, null, null);
    if (!req.accepted) return out;
    // The groups pass the reply on the strength of the decisions that let the request through.
    const atDst = req.hops[3].decision;
    const atSrc = req.hops[0].decision;
    this.path(out.reply, dstEni, dstAddr, dOff, srcEni, srcAddr, so, protocol, replyDstPort(protocol, srcPort, dstPort), atDst, atSrc);
    return out;
  }

  /** Like evaluateConnection, into the engine's own result object (valid until the next call). */
  connection(srcEni: Eni | null, srcAddr: Uint32Array, so: number, dstEni: Eni | null, dstAddr: Uint32Array, dOff: number, protocol: number, srcPort: number, dstPort: number): ConnectionVerdict {
    return this.evaluateConnection(srcEni, srcAddr, so, dstEni, dstAddr, dOff, protocol, srcPort, dstPort, this.verdict);
  }

  private path(
    p: PathVerdict,
    sEni: Eni | null,
    sAddr: Uint32Array,
    so: number,
    rEni: Eni | null,
    rAddr: Uint32Array,
    ro: number,
    protocol: number,
    dstPort: number,
    trackedAtSender: Decision | null,
    trackedAtReceiver: Decision | null,
  ): void {
    p.evaluated = true;
    const hops = p.hops;
    const sSg = hops[0];
    const sAcl = hops[1];
    const rAcl = hops[2];
    const rSg = hops[3];
    if (sEni) {
      sSg.crossed = true;
      sSg.interfaceId = sEni.id;
      const sg = trackedAtSender ?? this.securityGroups(sEni, EGRESS, protocol, rAddr, ro, dstPort, rEni);
      sSg.decision = sg;
      p.atSender = sg;
      if (!sg.accept) {
        p.blockedBy = sSg;
        return;
      }
      if (this.crossesAcl(sEni, rAddr, ro)) {
        sAcl.crossed = true;
        sAcl.interfaceId = sEni.id;
        const a = this.networkAcl(sEni.networkAcl, EGRESS, protocol, rAddr, ro, dstPort);
        sAcl.decision = a;
        if (!a.accept) {
          p.atSender = a;
          p.blockedBy = sAcl;
          return;
        }
      }
    }
    if (rEni) {
      if (this.crossesAcl(rEni, sAddr, so)) {
        rAcl.crossed = true;
        rAcl.interfaceId = rEni.id;
        const a = this.networkAcl(rEni.networkAcl, INGRESS, protocol, sAddr, so, dstPort);
        rAcl.decision = a;
        if (!a.accept) {
          p.atReceiver = a;
          p.blockedBy = rAcl;
          return;
        }
      }
      rSg.crossed = true;
      rSg.interfaceId = rEni.id;
      const sg = trackedAtReceiver ?? this.securityGroups(rEni, INGRESS, protocol, sAddr, so, dstPort, sEni);
      rSg.decision = sg;
      p.atReceiver = sg;
      if (!sg.accept) {
        p.blockedBy = rSg;
        return;
      }
    }
    p.accepted = true;
  }
}
