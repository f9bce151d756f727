// A least-privilege rule set for one security group, from the traffic it actually admitted:
// each rule that was used becomes rules for exactly the protocols, ports and peers that used
// it; rules nobody used are left out. Peers stay single addresses while they are few; many
// peers are summarised into blocks (never wider than the rule they replace), and a rule that
// names a peer group keeps naming it. The set is then checked against observed traffic: what
// it would have refused that the group admitted and no other group of the interface would.

import { formatIp, inCidr, isV4Mapped, parseCidr, type Cidr } from '../../schema/ip.js';
import { ANY_PROTOCOL, type PortRange, type SecurityGroup, type SgPeer, type SgRule } from '../../inventory/model.js';
import { hasPorts, isIcmp, parseProtocol, protocolName } from '../../inventory/rule-values.js';
import { toBig } from '../../inventory/cidr-index.js';
import { cidrMatches, ruleMatches } from '../rule-match.js';
import { portsText, sgRuleSummary, type RuleSummary } from '../rule-text.js';
import type { ObservedUse } from './group-traffic.js';
import { peerKey, peerWords, rangesOf } from './rule-usage.js';

export interface LeastPrivilegeOptions {
  /** Single addresses per rule at most before they are summarised into blocks; default 16. */
  maxPeers?: number;
  /** Port ranges per rule at most before the original rule's ports are kept; default 16. */
  maxPortRanges?: number;
}

export interface ProposedRule {
  direction: 'ingress' | 'egress';
  /** In the inventory file's notation. */
  id: string;
  action?: 'accept';
  protocol: string;
  ports: string;
  peer: string;
  description: string;
  /** The rule it narrows. */
  replaces: string;
  flows: number;
  /** Distinct peer addresses that used it. */
  peers: number;
}

/** A proposed rule in matchable form. */
export interface CompiledRule {
  protocol: number;
  ports: readonly PortRange[];
  peer: SgPeer;
}

function cidrText(lo: Uint32Array, bits128: number): string {
  const v4 = isV4Mapped(lo, 0) && bits128 >= 96;
  return `${formatIp(lo, 0)}/${v4 ? bits128 - 96 : bits128}`;
}

/** The smallest prefix holding every address (all of one family). */
function coveringPrefix(addrs: readonly Uint32Array[]): string {
  let lo = toBig(addrs[0]);
  let hi = lo;
  for (const a of addrs) {
    const v = toBig(a);
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  let bits = 128;
  while (bits > 0 && lo >> BigInt(128 - bits) !== hi >> BigInt(128 - bits)) bits--;
  const base = bits === 0 ? 0n : (lo >> BigInt(128 - bits)) << BigInt(128 - bits);
  const w = new Uint32Array(4);
  for (let k = 0; k < 4; k++) w[k] = Number((base >> BigInt(96 - 32 * k)) & 0xffffffffn);
  return cidrText(w, bits);
}

/** Blocks of /24 (IPv4) or /64 (IPv6) holding the addresses, never wider than `within`. */
function blocks(addrs: readonly Uint32Array[], within: Cidr): string[] {
  const out = new Set<string>();
  for (const a of addrs) {
    const bits = Math.max(isV4Mapped(a, 0) ? 96 + 24 : 64, within.bits);
    const w = Uint32Array.from(a);
    for (let k = 0; k < 4; k++) {
      const keep = Math.max(0, Math.min(32, bits - 32 * k));
      w[k] = keep === 0 ? 0 : keep === 32 ? w[k] : (w[k] & ((0xffffffff << (32 - keep)) >>> 0)) >>> 0;
    }
    out.add(cidrText(w, bits));
  }
  return [...out];
}

const portOfUse = (u: ObservedUse) => (isIcmp(u.protocol) ? u.port >>> 8 : u.port);

function portsFor(protocol: number, used: readonly number[], original: readonly PortRange[], maxRanges: number): PortRange[] {
  if (!hasPorts(protocol) && !isIcmp(protocol)) return [{ from: 0, to: 65535 }];
  const r = rangesOf(used);
  return r.length <= maxRanges ? r : [...original];
}

export function compileProposed(p: ProposedRule, group: (id: string) => SecurityGroup | undefined): CompiledRule {
  const parsed = parseProtocol(p.protocol);
  const protocol = typeof parsed === 'number' ? parsed : ANY_PROTOCOL;
  const ports: PortRange[] =
    p.ports === 'all'
      ? [{ from: 0, to: 65535 }]
      : p.ports.split(',').map((s) => {
          const [a, b] = s.split('-').map(Number);
          return { from: a, to: b ?? a };
        });
  const g = group(p.peer);
  const peer: SgPeer = g ? { kind: 'group', group: g } : { kind: 'cidr', cidr: p.peer, range: parseCidr(p.peer)! };
  return { protocol, ports, peer };
}

/** Narrows the rules of `group` to the uses observed; rules without uses are left out. */
export function proposeRules(group: SecurityGroup, uses: readonly ObservedUse[], opts: LeastPrivilegeOptions = {}): { rules: ProposedRule[]; unused: Array<RuleSummary & { direction: string }> } {
  const maxPeers = opts.maxPeers ?? 16;
  const maxRanges = opts.maxPortRanges ?? 16;
  const out: ProposedRule[] = [];
  const unused: Array<RuleSummary & { direction: string }> = [];
  for (const dir of ['ingress', 'egress'] as const) {
    for (const r of group[dir]) {
      if (r.action !== 'accept') continue;
      const mine = uses.filter((u) => u.rule === r && u.direction === dir);
      if (mine.length === 0) {
        unused.push({ ...sgRuleSummary(r, dir), direction: dir });
        continue;
      }
      const made = narrow(r, dir, mine, maxPeers, maxRanges, group.vpc.id);
      made.forEach((m, k) => out.push({ ...m, id: made.length === 1 ? r.id : `${r.id}-${k + 1}`, replaces: r.id }));
    }
  }
  return { rules: out, unused };
}

function narrow(r: SgRule, dir: 'ingress' | 'egress', uses: readonly ObservedUse[], maxPeers: number, maxRanges: number, vpcId: string): Array<Omit<ProposedRule, 'id' | 'replaces'>> {
  const out: Array<Omit<ProposedRule, 'id' | 'replaces'>> = [];
  const byProto = new Map<number, ObservedUse[]>();
  for (const u of uses) {
    const p = r.protocol === ANY_PROTOCOL ? u.protocol : r.protocol;
    if (!byProto.has(p)) byProto.set(p, []);
    byProto.get(p)!.push(u);
  }
  for (const [p, us] of [...byProto].sort((a, b) => a[0] - b[0])) {
    const protocol = protocolName(p);
    const flows = (xs: readonly ObservedUse[]) => xs.reduce((n, u) => n + u.flows, 0);
    const distinct = (xs: readonly ObservedUse[]) => new Set(xs.map((u) => peerKey(u.peer))).size;
    const describe = (xs: readonly ObservedUse[]) => `narrowed from ${r.id}: ${flows(xs)} flows from ${distinct(xs)} peers observed`;
    const ruleFrom = (xs: readonly ObservedUse[], peer: string): Omit<ProposedRule, 'id' | 'replaces'> => ({
      direction: dir,
      protocol,
      ports: portsText(p, portsFor(p, xs.map(portOfUse), r.ports, maxRanges)),
      peer,
      description: describe(xs),
      flows: flows(xs),
      peers: distinct(xs),
    });
    if (r.peer.kind === 'group') {
      out.push(ruleFrom(us, r.peer.group.id));
      continue;
    }
    const peers = new Map<number | string, ObservedUse[]>();
    for (const u of us) {
      const k = peerKey(u.peer);
      if (!peers.has(k)) peers.set(k, []);
      peers.get(k)!.push(u);
    }
    if (peers.size <= maxPeers) {
      for (const [k, xs] of [...peers].sort((a, b) => flows(b[1]) - flows(a[1]))) {
        const w = peerWords(k);
        out.push(ruleFrom(xs, cidrText(w, 128)));
      }
      continue;
    }
    // Many peers that are all interfaces of one role: name their group, as people write it.
    const peerGroup = commonGroup(us, vpcId, r.peer.range);
    if (peerGroup) {
      out.push(ruleFrom(us, peerGroup.id));
      continue;
    }
    const addrs = [...peers.keys()].map(peerWords);
    let cover = blocks(addrs, r.peer.range);
    if (cover.length > maxPeers) cover = [coveringPrefix(addrs)];
    const compiled = cover.map((c) => parseCidr(c)!);
    for (let k = 0; k < cover.length; k++) {
      const inside = us.filter((u) => inCidr(u.peer, 0, compiled[k]));
      out.push(ruleFrom(inside, cover[k]));
    }
  }
  return out;
}

export interface WouldReject {
  flows: number;
  /** Distinct (direction, protocol, port, peer) combinations. */
  uses: number;
  examples: Array<{ direction: string; protocol: string; port: number; peer: string; flows: number; last_seen: number; rule: string }>;
}

/** Uses the proposal would refuse (and no other group of the interface admits). */
export function wouldReject(proposal: readonly ProposedRule[], uses: readonly ObservedUse[], group: (id: string) => SecurityGroup | undefined, examples = 20): WouldReject {
  const compiled = proposal.map((p) => ({ p, c: compileProposed(p, group) }));
  const refused = uses.filter((u) => !u.othersAdmit && !compiled.some(({ p, c }) => p.direction === u.direction && ruleMatches(c, u.protocol, u.peer, 0, u.port, u.peerEni)));
  refused.sort((a, b) => b.flows - a.flows);
  return {
    flows: refused.reduce((n, u) => n + u.flows, 0),
    uses: refused.length,
    examples: refused.slice(0, examples).map((u) => ({ direction: u.direction, protocol: protocolName(u.protocol), port: u.port, peer: formatIp(u.peer, 0), flows: u.flows, last_seen: u.lastSeen, rule: u.rule.id })),
  };
}

/**
 * The smallest security group every peer interface belongs to (all in `vpc`) whose members'
 * addresses all lie inside the rule's block, so naming it admits nothing the rule did not;
 * undefined when there is none.
 */
function commonGroup(us: readonly ObservedUse[], vpc: string, within: Cidr): SecurityGroup | undefined {
  let common: Set<SecurityGroup> | undefined;
  for (const u of us) {
    const e = u.peerEni;
    if (!e || e.vpc.id !== vpc) return undefined;
    if (!common) common = new Set(e.securityGroups);
    else for (const g of common) if (!e.securityGroups.includes(g)) common.delete(g);
    if (common.size === 0) return undefined;
  }
  const inside = (g: SecurityGroup) => g.members.every((m) => m.ips.every((_, k) => cidrMatches(within, m.addrs, k * 4)));
  return [...(common ?? [])].sort((a, b) => a.members.length - b.members.length || a.id.localeCompare(b.id)).find(inside);
}
