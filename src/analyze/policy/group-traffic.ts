// The traffic a security group is responsible for: accepted requests at its members that the
// group's own rules admit, each with the rule that admits it and whether the member's other
// groups would admit it anyway. The least-privilege proposal is built from this, and checked
// against it ("what would the proposal have rejected").

import type { Eni, SecurityGroup, SgRule } from '../../inventory/model.js';
import type { InventoryIndex } from '../../inventory/inventory-index.js';
import { ruleMatches } from '../rule-match.js';
import type { TrafficRow } from './observed-traffic.js';
import { peerKey } from './rule-usage.js';

/** Distinct uses kept per group. */
export const MAX_USES = 500_000;

export interface ObservedUse {
  direction: 'ingress' | 'egress';
  protocol: number;
  /** The destination port as the rules see it (ICMP: type × 256 + code). */
  port: number;
  peer: Uint32Array;
  /** The remote interface, when the peer is one of the inventory's. */
  peerEni: Eni | null;
  /** The group's rule that admits it. */
  rule: SgRule;
  /** Another group of the interface admits it too, so narrowing this group cannot refuse it. */
  othersAdmit: boolean;
  flows: number;
  packets: number;
  bytes: number;
  lastSeen: number;
}

/** The rule of `g` that admits a request, if any: AWS, any allow rule; Tencent, the first match if it accepts. */
export function admittingRule(g: SecurityGroup, dir: 'ingress' | 'egress', protocol: number, peer: Uint32Array, port: number, peerEni: () => Eni | null): SgRule | undefined {
  for (const r of g[dir]) {
    if (!ruleMatches(r, protocol, peer, 0, port, r.peer.kind === 'group' ? peerEni() : null)) continue;
    if (r.action === 'accept') return r;
    if (g.semantics === 'tencent') return undefined;
  }
  return undefined;
}

export class GroupTraffic {
  private readonly uses = new Map<string, ObservedUse>();
  /** Requests accepted at members that this group's rules do not admit (other groups did). */
  notOurs = 0;
  truncated = false;

  constructor(
    readonly group: SecurityGroup,
    private readonly inventory: InventoryIndex,
  ) {}

  /** Call for rows at the group's members. */
  collect(r: TrafficRow, eni: Eni): void {
    if (r.reply || !r.accepted) return;
    const dir = r.direction === 0 ? 'ingress' : 'egress';
    let peerEni: Eni | null | undefined;
    const lookup = () => (peerEni === undefined ? (peerEni = this.inventory.eniByIp(r.peer) ?? null) : peerEni);
    const rule = admittingRule(this.group, dir, r.protocol, r.peer, r.port, lookup);
    if (!rule) {
      this.notOurs += r.flows;
      return;
    }
    const key = `${r.direction}|${r.protocol}|${r.port}|${peerKey(r.peer)}|${rule.id}`;
    const others = () => eni.securityGroups.some((g) => g !== this.group && admittingRule(g, dir, r.protocol, r.peer, r.port, lookup) !== undefined);
    let u = this.uses.get(key);
    if (!u) {
      if (this.uses.size >= MAX_USES) {
        this.truncated = true;
        return;
      }
      u = { direction: dir, protocol: r.protocol, port: r.port, peer: Uint32Array.from(r.peer), peerEni: lookup(), rule, othersAdmit: others(), flows: 0, packets: 0, bytes: 0, lastSeen: 0 };
      this.uses.set(key, u);
    } else if (u.othersAdmit) {
      // Members may have different other groups: it must hold at every one of them.
      u.othersAdmit = others();
    }
    u.flows += r.flows;
    u.packets += r.packets;
    u.bytes += r.bytes;
    if (r.lastSeen > u.lastSeen) u.lastSeen = r.lastSeen;
  }

  all(): ObservedUse[] {
    return [...this.uses.values()];
  }
}
