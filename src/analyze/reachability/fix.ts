// The smallest rule change that lets a connection through (or, asked to deny, stops it): one
// rule per hop that refuses, as narrow as the connection itself (its protocol, its port, the
// other end's single address), on the security group or ACL whose change touches the fewest
// interfaces, placed where the evaluation order makes it decide.
//
// Allow: a security group gets a rule (AWS: anywhere, since allow rules are unordered; Tencent:
// just before the drop rule that matched); an ACL gets an allow rule numbered just below the
// deny that matched. The reply crosses ACLs as a packet to the client's ephemeral port, so its
// rule covers the ephemeral range the client's port belongs to.
//
// Deny: preferably a deny rule in an ACL numbered just below the allow that matched, or a
// drop rule in a Tencent group; AWS groups cannot deny, so there the answer is to remove every
// rule that admits the connection, which may also stop other traffic (said so).

import { formatIp, isV4Mapped } from '../../schema/ip.js';
import type { AclRule, Eni, NetworkAcl, SecurityGroup, SgRule } from '../../inventory/model.js';
import { hasPorts, isIcmp, protocolName } from '../../inventory/rule-values.js';
import type { HopName } from '../../policy/connection-verdict.js';
import { DEFAULT_DENY } from '../../policy/decision.js';
import { portsMatch, protocolMatches, ruleMatches } from '../rule-match.js';
import { findSgRule, sgRuleSummary, type RuleSummary } from '../rule-text.js';
import type { Endpoint } from './endpoints.js';
import type { Hop, Walk } from './hops.js';

/** A security-group rule in the inventory file's notation. */
export interface ProposedSgRule {
  id: string;
  /** Tencent groups only (AWS rules always allow). */
  action?: 'accept' | 'drop';
  protocol: string;
  ports: string;
  peer: string;
  description: string;
}

/** A network-ACL rule in the inventory file's notation. */
export interface ProposedAclRule {
  number: number;
  action: 'allow' | 'deny';
  protocol: string;
  ports: string;
  cidr: string;
  description: string;
}

export interface RuleChange {
  change: 'add' | 'remove';
  kind: 'security_group' | 'network_acl';
  /** The security group or network ACL to change. */
  id: string;
  direction: 'ingress' | 'egress';
  hop: HopName;
  rule: ProposedSgRule | ProposedAclRule | RuleSummary;
  /** Ordered (Tencent) groups: the new rule goes just before this rule, at this index of the direction's list. */
  before?: { rule: string; index: number };
  /** Interfaces whose policy the change touches. */
  interfaces: number;
  text: string;
  /** A broader but more idiomatic way to say the same (a group reference instead of one address). */
  alternative?: string;
}

export interface FixProposal {
  goal: 'allow' | 'deny';
  /** False when the connection is already as asked. */
  needed: boolean;
  changes: RuleChange[];
  note: string;
}

const MAX_RULE_NUMBER = 32766;
const FIX_TAG = 'proposed by flowlogs diagnose';

function hostCidr(e: Endpoint): string {
  return `${formatIp(e.addr, 0)}/${isV4Mapped(e.addr, 0) ? 32 : 128}`;
}

/** Ports as the new rule should name them: the connection's port (ICMP: its type), or the client's ephemeral range for a reply. */
function rulePorts(h: Hop, w: Walk): string {
  const p = w.protocol;
  if (isIcmp(p)) return String(h.port >>> 8);
  if (!hasPorts(p)) return 'all';
  if (h.leg === 'request') return String(h.port);
  if (h.port >= 32768) return '32768-65535';
  if (h.port >= 1024) return '1024-65535';
  return String(h.port);
}

function aclInterfaces(a: NetworkAcl): number {
  return a.subnets.reduce((n, s) => n + s.enis.length, 0);
}

function hasRuleFor(g: SecurityGroup, dir: 'ingress' | 'egress', protocol: number, port: number): boolean {
  return g[dir].some((r) => r.action === 'accept' && protocolMatches(r.protocol, protocol) && portsMatch(protocol, r.protocol, r.ports, port));
}

/** The group whose change touches the fewest interfaces; then one already about this port; then the interface's order. */
function narrowestGroup(eni: Eni, dir: 'ingress' | 'egress', protocol: number, port: number): SecurityGroup {
  const gs = eni.securityGroups.map((g, i) => ({ g, i, about: hasRuleFor(g, dir, protocol, port) ? 0 : 1 }));
  gs.sort((a, b) => a.g.members.length - b.g.members.length || a.about - b.about || a.i - b.i);
  return gs[0].g;
}

function uniqueRuleId(g: SecurityGroup, base: string): string {
  const used = new Set([...g.ingress, ...g.egress].map((r) => r.id));
  if (!used.has(base)) return base;
  for (let k = 2; ; k++) if (!used.has(`${base}-${k}`)) return `${base}-${k}`;
}

/** The largest free rule number below `limit` (so the new rule is evaluated just before it), or undefined. */
function numberBelow(rules: readonly AclRule[], limit: number): number | undefined {
  const used = new Set(rules.map((r) => r.number));
  for (let n = limit - 1; n >= 1; n--) if (!used.has(n)) return n;
  return undefined;
}

/** A free number after every existing rule (a round one where possible). */
function numberAfter(rules: readonly AclRule[]): number | undefined {
  if (rules.length === 0) return 100;
  const max = Math.max(...rules.map((r) => r.number));
  const round = (Math.floor(max / 10) + 1) * 10;
  if (round <= MAX_RULE_NUMBER) return round;
  return numberBelow(rules, MAX_RULE_NUMBER + 1);
}

function sgText(change: 'add' | 'insert' | 'remove', g: SecurityGroup, dir: 'ingress' | 'egress', verb: string, protocol: string, ports: string, peer: string, before?: string): string {
  const what = `${verb} ${protocol}${ports === 'all' ? '' : ` ${ports}`} ${dir === 'ingress' ? 'from' : 'to'} ${peer}`;
  if (change === 'insert') return `insert into ${g.id} ${dir}, before rule ${before}: ${what}`;
  return `${change === 'add' ? 'add to' : 'remove from'} ${g.id} ${dir}: ${what}`;
}

function aclText(a: NetworkAcl, dir: 'ingress' | 'egress', r: ProposedAclRule): string {
  return `add to ${a.id} ${dir}: #${r.number} ${r.action} ${r.protocol}${r.ports === 'all' ? '' : ` ${r.ports}`} ${dir === 'ingress' ? 'from' : 'to'} ${r.cidr}`;
}

function sgAdd(h: Hop, w: Walk, action: 'accept' | 'drop'): RuleChange {
  const eni = h.eni!;
  const dir = h.direction;
  const protocol = protocolName(w.protocol);
  const ports = rulePorts(h, w);
  const peer = hostCidr(h.peer);
  const d = h.decision;
  // In an ordered group the new rule must come before the rule that decided.
  let g: SecurityGroup;
  let before: RuleChange['before'];
  const deciding = d && d.rule !== DEFAULT_DENY ? eni.securityGroups.find((x) => x.id === d.id) : undefined;
  const ordered = eni.securityGroups[0]?.semantics === 'tencent';
  if (ordered && deciding) {
    g = deciding;
    const found = findSgRule(g, d!.rule)!;
    before = { rule: found.rule.id, index: found.index };
  } else {
    g = narrowestGroup(eni, dir, w.protocol, h.port);
  }
  const rule: ProposedSgRule = {
    id: uniqueRuleId(g, `${action === 'accept' ? 'allow' : 'deny'}-${h.peer.address.replace(/[:.]/g, '-')}-${ports.replace(/[^0-9a-z]+/g, '-')}`),
    ...(g.semantics === 'tencent' ? { action } : {}),
    protocol,
    ports,
    peer,
    description: FIX_TAG,
  };
  const verb = action === 'accept' ? 'allow' : 'drop';
  const change: RuleChange = {
    change: 'add',
    kind: 'security_group',
    id: g.id,
    direction: dir,
    hop: h.hop,
    rule,
    ...(before ? { before } : {}),
    interfaces: g.members.length,
    text: sgText(before ? 'insert' : 'add', g, dir, verb, protocol, ports, peer, before?.rule),
  };
  const peerEni = h.peer.eni;
  if (action === 'accept' && peerEni && peerEni.vpc === eni.vpc && g.semantics === 'aws') {
    const pg = [...peerEni.securityGroups].sort((a, b) => a.members.length - b.members.length)[0];
    change.alternative = `${sgText('add', g, dir, verb, protocol, ports, pg.id)} (admits all ${pg.members.length} members of ${pg.id})`;
  }
  return change;
}

function aclAdd(h: Hop, w: Walk, action: 'allow' | 'deny'): RuleChange | undefined {
  const a = h.eni!.networkAcl;
  const dir = h.direction;
  const rules = a[dir];
  const d = h.decision!;
  const number = d.rule === DEFAULT_DENY ? numberAfter(rules) : numberBelow(rules, Number(d.rule));
  if (number === undefined) return undefined;
  const rule: ProposedAclRule = { number, action, protocol: protocolName(w.protocol), ports: rulePorts(h, w), cidr: hostCidr(h.peer), description: FIX_TAG };
  return { change: 'add', kind: 'network_acl', id: a.id, direction: dir, hop: h.hop, rule, interfaces: aclInterfaces(a), text: aclText(a, dir, rule) };
}

/** Every rule of the interface's groups that admits the hop's packet (AWS groups: all of them must go to stop it). */
function admittingRules(h: Hop, w: Walk): Array<{ g: SecurityGroup; r: SgRule }> {
  const out: Array<{ g: SecurityGroup; r: SgRule }> = [];
  for (const g of h.eni!.securityGroups) {
    for (const r of g[h.direction]) if (r.action === 'accept' && ruleMatches(r, w.protocol, h.peer.addr, 0, h.port, h.peer.eni)) out.push({ g, r });
  }
  return out;
}

function proposeAllow(w: Walk): FixProposal {
  const changes: RuleChange[] = [];
  let stuck = '';
  for (const h of w.hops) {
    if (!h.applies || h.tracked || h.decision?.accept) continue;
    if (h.kind === 'security_group') changes.push(sgAdd(h, w, 'accept'));
    else {
      const c = aclAdd(h, w, 'allow');
      if (c) changes.push(c);
      else stuck = `${h.eni!.networkAcl.id} ${h.direction} has no free rule number below ${h.decision!.rule}: renumber or narrow that rule instead`;
    }
  }
  const n = changes.length;
  return {
    goal: 'allow',
    needed: true,
    changes,
    note: stuck || `${n} change${n === 1 ? '' : 's'}, one per hop that refuses; each admits this connection and nothing wider`,
  };
}

function proposeDeny(w: Walk): FixProposal {
  const at = (name: HopName) => w.hops.find((h) => h.hop === name && h.applies && h.decision)!;
  const candidates: Array<() => RuleChange[] | undefined> = [
    () => {
      const h = w.hops.find((x) => x.hop === 'dst_acl_ingress' && x.applies);
      const c = h && aclAdd(h, w, 'deny');
      return c && [c];
    },
    () => {
      const h = w.hops.find((x) => x.hop === 'src_acl_egress' && x.applies);
      const c = h && aclAdd(h, w, 'deny');
      return c && [c];
    },
    ...(['dst_sg_ingress', 'src_sg_egress'] as const).map((name) => () => {
      const h = w.hops.find((x) => x.hop === name && x.applies);
      if (!h || h.eni!.securityGroups[0]?.semantics !== 'tencent') return undefined;
      return [sgAdd(at(name), w, 'drop')];
    }),
  ];
  for (const c of candidates) {
    const changes = c();
    if (changes) return { goal: 'deny', needed: true, changes, note: 'one rule, evaluated before the rule that now admits the connection' };
  }
  // AWS groups only allow: the rules that admit the connection have to go.
  for (const name of ['dst_sg_ingress', 'src_sg_egress'] as const) {
    const h = w.hops.find((x) => x.hop === name && x.applies);
    if (!h) continue;
    const rules = admittingRules(h, w);
    if (rules.length === 0) continue;
    const changes = rules.map(({ g, r }): RuleChange => {
      const s = sgRuleSummary(r, h.direction);
      return { change: 'remove', kind: 'security_group', id: g.id, direction: h.direction, hop: h.hop, rule: s, interfaces: g.members.length, text: sgText('remove', g, h.direction, 'allow', s.protocol, s.ports, s.peer) };
    });
    return {
      goal: 'deny',
      needed: true,
      changes,
      note: 'the path crosses no network ACL and AWS security groups cannot deny, so every rule admitting the connection must go; they may admit other traffic too (see flowlogs policy hits)',
    };
  }
  return { goal: 'deny', needed: true, changes: [], note: 'no rule on the path could be changed to stop it' };
}

export function proposeFix(w: Walk, goal: 'allow' | 'deny'): FixProposal {
  if (goal === 'allow' && w.reachable) return { goal, needed: false, changes: [], note: 'already reachable: nothing to change' };
  if (goal === 'deny' && !w.reachable) return { goal, needed: false, changes: [], note: 'already blocked: nothing to change' };
  return goal === 'allow' ? proposeAllow(w) : proposeDeny(w);
}
