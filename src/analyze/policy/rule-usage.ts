// How much each rule was used: observed traffic replayed through the policy engine, crediting
// every hop's deciding rule (security groups on requests; replies pass them by connection
// tracking and are not credited again; network ACLs on every packet, replies included). This
// covers what flow records cannot say by themselves: a record names one deciding rule at
// best, never the ACL rule that let an accepted packet through, and imported cloud logs name
// none. Per rule: flows, packets, bytes, last hit, and the peers and ports that used it
// (exactly, up to a cap) for narrowing it.

import type { Eni, PortRange } from '../../inventory/model.js';
import type { InventoryIndex } from '../../inventory/inventory-index.js';
import { DEFAULT_DENY, type Decision } from '../../policy/decision.js';
import { EGRESS, INGRESS, type PolicyEngine } from '../../policy/engine.js';
import { aclRuleSummary, sgRuleSummary, type RuleSummary } from '../rule-text.js';
import type { TrafficRow } from './observed-traffic.js';

/** Distinct peers (and ports) kept per rule; past this a rule counts them no more. */
export const MAX_TRACKED = 4096;

export interface CatalogRule {
  index: number;
  kind: 'security_group' | 'network_acl';
  /** Security group or network ACL id. */
  id: string;
  direction: 'ingress' | 'egress';
  /** Rule id, ACL rule number, or DEFAULT_DENY. */
  rule: string;
  vpcId: string;
  accountId: string;
  allows: boolean;
  summary: RuleSummary;
  /** The inventory's rule (undefined for the implicit defaults). */
  sg?: import('../../inventory/model.js').SgRule;
  acl?: import('../../inventory/model.js').AclRule;
  /** Interfaces the rule applies to (group members; ENIs of the ACL's subnets). */
  interfaces: number;
  /** Position in its group's or ACL's list for that direction. */
  position: number;
}

const keyOf = (kind: string, id: string, dir: string, rule: string) => `${kind}\u0000${id}\u0000${dir}\u0000${rule}`;

/** Every rule of the inventory (and each group's and ACL's implicit default), densely numbered. */
export class RuleCatalog {
  readonly rules: CatalogRule[] = [];
  private readonly byKey = new Map<string, number>();

  constructor(readonly inventory: InventoryIndex) {
    const add = (r: Omit<CatalogRule, 'index'>) => {
      const index = this.rules.length;
      this.rules.push({ ...r, index });
      this.byKey.set(keyOf(r.kind, r.id, r.direction, r.rule), index);
    };
    for (const g of inventory.securityGroups) {
      for (const dir of ['ingress', 'egress'] as const) {
        g[dir].forEach((r, i) => add({ kind: 'security_group', id: g.id, direction: dir, rule: r.id, vpcId: g.vpc.id, accountId: g.vpc.accountId, allows: r.action === 'accept', summary: sgRuleSummary(r, dir), sg: r, interfaces: g.members.length, position: i }));
        add({ kind: 'security_group', id: g.id, direction: dir, rule: DEFAULT_DENY, vpcId: g.vpc.id, accountId: g.vpc.accountId, allows: false, summary: { rule: DEFAULT_DENY, action: 'drop', protocol: 'all', ports: 'all', peer: '', description: '', text: `${dir} default deny` }, interfaces: g.members.length, position: g[dir].length });
      }
    }
    for (const a of inventory.networkAcls) {
      const n = a.subnets.reduce((k, s) => k + s.enis.length, 0);
      for (const dir of ['ingress', 'egress'] as const) {
        a[dir].forEach((r, i) => add({ kind: 'network_acl', id: a.id, direction: dir, rule: String(r.number), vpcId: a.vpc.id, accountId: a.vpc.accountId, allows: r.action === 'allow', summary: aclRuleSummary(r, dir), acl: r, interfaces: n, position: i }));
        add({ kind: 'network_acl', id: a.id, direction: dir, rule: DEFAULT_DENY, vpcId: a.vpc.id, accountId: a.vpc.accountId, allows: false, summary: { rule: DEFAULT_DENY, action: 'deny', protocol: 'all', ports: 'all', peer: '0.0.0.0/0', description: '', text: `#* deny all ${dir}` }, interfaces: n, position: a[dir].length });
      }
    }
  }

  find(kind: string, id: string, dir: string, rule: string): number | undefined {
    return this.byKey.get(keyOf(kind, id, dir, rule));
  }
}

/** A compact key for an address: the IPv4 value, or the four words as text. */
export function peerKey(w: Uint32Array, o = 0): number | string {
  return w[o] === 0 && w[o + 1] === 0 && w[o + 2] === 0xffff ? w[o + 3] : `${w[o]}:${w[o + 1]}:${w[o + 2]}:${w[o + 3]}`;
}

export function peerWords(k: number | string): Uint32Array {
  if (typeof k === 'number') return Uint32Array.of(0, 0, 0xffff, k);
  return Uint32Array.from(k.split(':').map(Number));
}

export interface RuleCounters {
  hits: Float64Array;
  packets: Float64Array;
  bytes: Float64Array;
  lastHit: Float64Array;
  /** Peers of requests the rule decided, with their flows (up to MAX_TRACKED). */
  peers: Array<Map<number | string, number> | undefined>;
  peersCapped: Uint8Array;
  /** protocol × 65536 + port of requests the rule decided, with their flows (up to MAX_TRACKED). */
  ports: Array<Map<number, number> | undefined>;
}

export class PolicyUsage {
  readonly counters: RuleCounters;
  /** Catalog index per decision code, per direction (-2: not looked up yet; -1: not in the catalog). */
  private readonly byCode: [Int32Array, Int32Array];
  /** Flows replayed, flows at interfaces outside the inventory, flows whose recorded verdict the policy does not give. */
  flows = 0;
  unknownInterfaceFlows = 0;
  disagreeingFlows = 0;

  constructor(
    readonly catalog: RuleCatalog,
    readonly engine: PolicyEngine,
  ) {
    const n = catalog.rules.length;
    this.counters = { hits: new Float64Array(n), packets: new Float64Array(n), bytes: new Float64Array(n), lastHit: new Float64Array(n), peers: new Array(n), peersCapped: new Uint8Array(n), ports: new Array(n) };
    const codes = engine.decisions.length;
    this.byCode = [new Int32Array(codes).fill(-2), new Int32Array(codes).fill(-2)];
  }

  private indexOf(d: Decision, dir: number): number {
    const t = this.byCode[dir];
    let i = t[d.code];
    if (i === -2) {
      i = this.catalog.find(d.kind, d.id, dir === INGRESS ? 'ingress' : 'egress', d.rule) ?? -1;
      t[d.code] = i;
    }
    return i;
  }

  private credit(d: Decision, dir: number, r: TrafficRow): void {
    const i = this.indexOf(d, dir);
    if (i < 0) return;
    const c = this.counters;
    c.hits[i] += r.flows;
    c.packets[i] += r.packets;
    c.bytes[i] += r.bytes;
    if (r.lastSeen > c.lastHit[i]) c.lastHit[i] = r.lastSeen;
    if (r.reply) return;
    let peers = c.peers[i];
    if (!peers) c.peers[i] = peers = new Map();
    const k = peerKey(r.peer);
    const had = peers.get(k);
    if (had !== undefined) peers.set(k, had + r.flows);
    else if (peers.size < MAX_TRACKED) peers.set(k, r.flows);
    else c.peersCapped[i] = 1;
    let ports = c.ports[i];
    if (!ports) c.ports[i] = ports = new Map();
    const pk = r.protocol * 65536 + r.port;
    const hp = ports.get(pk);
    if (hp !== undefined) ports.set(pk, hp + r.flows);
    else if (ports.size < MAX_TRACKED) ports.set(pk, r.flows);
  }

  /** Replays one row at its interface; returns the verdict the policy gives it. */
  add(r: TrafficRow, eni: Eni | undefined): boolean {
    this.flows += r.flows;
    if (!eni) {
      this.unknownInterfaceFlows += r.flows;
      return r.accepted;
    }
    const e = this.engine;
    const crosses = e.crossesAcl(eni, r.peer, 0);
    let ok = true;
    if (r.direction === INGRESS) {
      if (crosses) {
        const a = e.networkAcl(eni.networkAcl, INGRESS, r.protocol, r.peer, 0, r.port);
        this.credit(a, INGRESS, r);
        ok = a.accept;
      }
      if (ok && !r.reply) {
        const s = e.securityGroups(eni, INGRESS, r.protocol, r.peer, 0, r.port);
        this.credit(s, INGRESS, r);
        ok = s.accept;
      }
    } else {
      if (!r.reply) {
        const s = e.securityGroups(eni, EGRESS, r.protocol, r.peer, 0, r.port);
        this.credit(s, EGRESS, r);
        ok = s.accept;
      }
      if (ok && crosses) {
        const a = e.networkAcl(eni.networkAcl, EGRESS, r.protocol, r.peer, 0, r.port);
        this.credit(a, EGRESS, r);
        ok = a.accept;
      }
    }
    if (ok !== r.accepted) this.disagreeingFlows += r.flows;
    return ok;
  }
}

export function rangesOf(ports: readonly number[]): PortRange[] {
  const sorted = [...new Set(ports)].sort((a, b) => a - b);
  const out: PortRange[] = [];
  for (const p of sorted) {
    const last = out[out.length - 1];
    if (last && p === last.to + 1) out[out.length - 1] = { from: last.from, to: p };
    else out.push({ from: p, to: p });
  }
  return out;
}
