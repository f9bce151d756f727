// Security-policy answers over a period: how often each rule decided traffic, which rules
// never did, which admit far more than the traffic that uses them (with the narrower rules
// that traffic needs), and a least-privilege rule set for a group with what it would have
// refused. Each replays the period's traffic through the current inventory once.

import type { Eni, SecurityGroup } from '../../inventory/model.js';
import type { InventoryIndex } from '../../inventory/inventory-index.js';
import { hasPorts, isIcmp } from '../../inventory/rule-values.js';
import { formatIp, isV4Mapped } from '../../schema/ip.js';
import type { TimeRange } from '../../store/store.js';
import { InputError } from '../../util/errors.js';
import { didYouMean } from '../../util/suggest.js';
import type { Evidence } from '../analyses.js';
import { evidenceOf, forEachRow, type AnswerInput } from '../answer-query.js';
import { engineFor } from '../engine-cache.js';
import { findSgRule } from '../rule-text.js';
import { GroupTraffic } from './group-traffic.js';
import { proposeRules, wouldReject, type LeastPrivilegeOptions, type ProposedRule, type WouldReject } from './least-privilege.js';
import { readTraffic } from './observed-traffic.js';
import { toAws, toTencent, type AwsGroupExport, type TencentGroupExport } from './rule-export.js';
import { PolicyUsage, RuleCatalog, peerWords, type CatalogRule } from './rule-usage.js';

export interface PolicyInput extends AnswerInput {
  inventory: InventoryIndex;
  /** The caller's accounts (undefined: all): rules of other accounts are not shown. */
  accounts?: readonly string[];
}

/** Which rules to report on (all when empty). */
export interface RuleSelection {
  /** A security group or network ACL id. */
  id?: string;
  vpc?: string;
  kind?: 'security_group' | 'network_acl';
}

export interface RuleUse {
  kind: 'security_group' | 'network_acl';
  id: string;
  direction: 'ingress' | 'egress';
  rule: string;
  rule_id: string;
  action: string;
  text: string;
  description: string;
  vpc_id: string;
  /** Interfaces the rule applies to. */
  interfaces: number;
  /** Flows the rule decided in the period (replayed through the current inventory). */
  hits: number;
  packets: number;
  bytes: number;
  last_hit: number | null;
  /** Distinct remote addresses of the requests it decided. */
  peers: number;
  peers_capped: boolean;
  /** Flows whose record names this rule in rule_id. */
  recorded: number;
  /** Flows that could have matched the rule (by its protocol, ports, peer and interfaces). */
  evidence: Evidence;
}

export interface Replay {
  catalog: RuleCatalog;
  usage: PolicyUsage;
  groups: Map<SecurityGroup, GroupTraffic>;
  recorded: Float64Array;
  rows: number;
  evidence: Evidence;
}

function selected(r: CatalogRule, sel: RuleSelection, accounts?: readonly string[]): boolean {
  if (accounts && !accounts.includes(r.accountId)) return false;
  if (sel.kind && r.kind !== sel.kind) return false;
  if (sel.id && r.id !== sel.id) return false;
  if (sel.vpc && r.vpcId !== sel.vpc) return false;
  return true;
}

export function checkSelection(inv: InventoryIndex, sel: RuleSelection, accounts?: readonly string[]): void {
  const visible = (acct: string) => !accounts || accounts.includes(acct);
  if (sel.id) {
    const g = inv.securityGroup(sel.id);
    const a = inv.networkAcl(sel.id);
    if (!(g && visible(g.vpc.accountId)) && !(a && visible(a.vpc.accountId))) {
      const ids = [...inv.securityGroups.filter((x) => visible(x.vpc.accountId)).map((x) => x.id), ...inv.networkAcls.filter((x) => visible(x.vpc.accountId)).map((x) => x.id)];
      throw new InputError(`no security group or network ACL '${sel.id}' in the inventory${didYouMean(sel.id, ids)}`);
    }
  }
  if (sel.vpc) {
    const v = inv.vpc(sel.vpc);
    if (!v || !visible(v.accountId)) throw new InputError(`no VPC '${sel.vpc}' in the inventory${didYouMean(sel.vpc, inv.vpcs.map((x) => x.id))}`);
  }
}

/** Replays the period's traffic; collects per-group uses for `groups`. */
export async function replay(i: PolicyInput, groups: readonly SecurityGroup[] = [], range: TimeRange = i.range): Promise<Replay> {
  const inv = i.inventory;
  const catalog = new RuleCatalog(inv);
  const usage = new PolicyUsage(catalog, engineFor(inv));
  const collectors = new Map(groups.map((g) => [g, new GroupTraffic(g, inv)]));
  const enis = new Map<string, Eni | undefined>();
  const eniOf = (id: string) => {
    let e = enis.get(id);
    if (e === undefined && !enis.has(id)) {
      e = inv.eni(id);
      enis.set(id, e);
    }
    return e;
  };
  const scoped: AnswerInput = { ...i, range };
  const { rows, select } = await readTraffic(scoped, inv, '', (r) => {
    const eni = eniOf(r.interfaceId);
    usage.add(r, eni);
    if (eni && collectors.size > 0) for (const g of eni.securityGroups) collectors.get(g)?.collect(r, eni);
  });
  const recorded = new Float64Array(catalog.rules.length);
  await forEachRow(scoped, 'rule_id:*?', 'SELECT rule_id, direction, count(*) AS flows GROUP BY rule_id, direction', (row) => {
    const ruleId = String(row[0] ?? '');
    const slash = ruleId.lastIndexOf('/');
    if (slash < 0) return;
    const id = ruleId.slice(0, slash);
    const rule = ruleId.slice(slash + 1);
    const g = inv.securityGroup(id);
    let k: number | undefined;
    // A security group rule id names its direction; an ACL rule number is read in the record's.
    if (g) k = catalog.find('security_group', id, findSgRule(g, rule)?.direction ?? String(row[1]), rule);
    else k = catalog.find('network_acl', id, String(row[1]), rule);
    if (k !== undefined) recorded[k] += Number(row[2]);
  });
  return { catalog, usage, groups: collectors, recorded, rows, evidence: evidenceOf('', select, range) };
}

function addressFilter(field: string, peer: string): string {
  return `${field}:${peer}`;
}

/** A filter for the flows that could have matched a rule: its interfaces, direction, protocol, ports and peer. */
export function ruleEvidenceFilter(inv: InventoryIndex, r: CatalogRule): string {
  const parts: string[] = [];
  if (r.kind === 'security_group') {
    const g = inv.securityGroup(r.id)!;
    parts.push(g.members.length > 0 && g.members.length <= 200 ? `interface_id:(${g.members.map((e) => e.id).join(' OR ')})` : `vpc_id:${r.vpcId}`);
  } else {
    const a = inv.networkAcl(r.id)!;
    parts.push(a.subnets.length > 0 && a.subnets.length <= 200 ? `subnet_id:(${a.subnets.map((s) => s.id).join(' OR ')})` : `vpc_id:${r.vpcId}`);
  }
  parts.push(`direction:${r.direction}`);
  const rule = r.sg ?? r.acl;
  if (rule && rule.protocol >= 0) {
    parts.push(`protocol:${rule.protocol}`);
    const full = rule.ports.length === 1 && rule.ports[0].from === 0 && rule.ports[0].to === 65535;
    if (!full && hasPorts(rule.protocol)) parts.push(`dst_port:(${rule.ports.map((p) => (p.from === p.to ? String(p.from) : `[${p.from} TO ${p.to}]`)).join(' OR ')})`);
    if (!full && isIcmp(rule.protocol)) parts.push(`dst_port:(${rule.ports.map((p) => `[${p.from * 256} TO ${p.to * 256 + 255}]`).join(' OR ')})`);
  }
  const field = r.direction === 'ingress' ? 'src_addr' : 'dst_addr';
  if (r.sg) {
    const p = r.sg.peer;
    if (p.kind === 'cidr') {
      if (p.range.bits > 96 || !isV4Mapped(p.range.lo, 0)) parts.push(addressFilter(field, p.cidr));
    } else {
      const addrs = p.group.members.flatMap((e) => e.ips);
      if (addrs.length > 0 && addrs.length <= 200) parts.push(`${field}:(${addrs.join(' OR ')})`);
    }
  } else if (r.acl && r.acl.range.bits > 96) parts.push(addressFilter(field, r.acl.cidr));
  return parts.join(' AND ');
}

function ruleUse(rp: Replay, inv: InventoryIndex, r: CatalogRule, range: TimeRange): RuleUse {
  const c = rp.usage.counters;
  const k = r.index;
  return {
    kind: r.kind,
    id: r.id,
    direction: r.direction,
    rule: r.rule,
    rule_id: `${r.id}/${r.rule}`,
    action: r.summary.action,
    text: r.summary.text,
    description: r.summary.description,
    vpc_id: r.vpcId,
    interfaces: r.interfaces,
    hits: c.hits[k],
    packets: c.packets[k],
    bytes: c.bytes[k],
    last_hit: c.lastHit[k] > 0 ? c.lastHit[k] : null,
    peers: c.peers[k]?.size ?? 0,
    peers_capped: c.peersCapped[k] === 1,
    recorded: rp.recorded[k],
    evidence: evidenceOf(ruleEvidenceFilter(inv, r), undefined, range),
  };
}

export interface HitsResult {
  from: number;
  to: number;
  /** Flows replayed; at interfaces the inventory does not know; whose recorded verdict the current policy would not give. */
  flows: number;
  unknown_interface_flows: number;
  disagreeing_flows: number;
  rules: RuleUse[];
  evidence: Evidence;
}

/** Per-rule hit counts (explicit rules and each group's and ACL's default deny), most used first. */
export async function policyHits(i: PolicyInput, sel: RuleSelection = {}, limit = 1000): Promise<HitsResult> {
  checkSelection(i.inventory, sel, i.accounts);
  const rp = await replay(i);
  const rules = rp.catalog.rules.filter((r) => selected(r, sel, i.accounts)).map((r) => ruleUse(rp, i.inventory, r, i.range));
  rules.sort((a, b) => b.hits - a.hits || a.rule_id.localeCompare(b.rule_id) || a.direction.localeCompare(b.direction));
  const u = rp.usage;
  return { from: i.range.from, to: i.range.to, flows: u.flows, unknown_interface_flows: u.unknownInterfaceFlows, disagreeing_flows: u.disagreeingFlows, rules: rules.slice(0, limit), evidence: rp.evidence };
}

/** Explicit rules that decided no flow in the period. */
export async function policyUnused(i: PolicyInput, sel: RuleSelection = {}): Promise<HitsResult> {
  checkSelection(i.inventory, sel, i.accounts);
  const rp = await replay(i);
  const rules = rp.catalog.rules
    .filter((r) => selected(r, sel, i.accounts) && r.rule !== 'default-deny' && rp.usage.counters.hits[r.index] === 0 && rp.recorded[r.index] === 0)
    .map((r) => ruleUse(rp, i.inventory, r, i.range));
  rules.sort((a, b) => a.id.localeCompare(b.id) || a.direction.localeCompare(b.direction));
  const u = rp.usage;
  return { from: i.range.from, to: i.range.to, flows: u.flows, unknown_interface_flows: u.unknownInterfaceFlows, disagreeing_flows: u.disagreeingFlows, rules, evidence: rp.evidence };
}

export interface BroadRule extends RuleUse {
  /** Addresses the rule's peer admits (2^host bits), and how many used it. */
  admits_addresses: number;
  ports_admitted: number;
  ports_used: number;
  /** The narrower rules the observed traffic needs, in the inventory file's notation. */
  narrower: ProposedRule[];
  reason: string;
}

export interface BroadResult {
  from: number;
  to: number;
  rules: BroadRule[];
  evidence: Evidence;
}

/** Addresses in a block (its prefix counted on the 128-bit form, as CIDRs are stored). */
function spanOf(bits128: number): number {
  return 2 ** (128 - bits128);
}

/**
 * Allow rules of security groups whose peer block or port range is far wider than the traffic
 * that used them: a block of at least `minAddresses` addresses used by at most `maxPeers`
 * peers, or a port range (or every protocol) used on a few ports.
 */
export async function policyBroad(i: PolicyInput, sel: RuleSelection = {}, opts: LeastPrivilegeOptions & { minAddresses?: number } = {}): Promise<BroadResult> {
  checkSelection(i.inventory, sel, i.accounts);
  const maxPeers = opts.maxPeers ?? 16;
  const minAddresses = opts.minAddresses ?? 256;
  const inv = i.inventory;
  const candidates = inv.securityGroups.filter((g) => (!sel.id || g.id === sel.id) && (!sel.vpc || g.vpc.id === sel.vpc) && (!i.accounts || i.accounts.includes(g.vpc.accountId)) && sel.kind !== 'network_acl');
  const rp = await replay(i, candidates);
  const out: BroadRule[] = [];
  for (const r of rp.catalog.rules) {
    if (r.kind !== 'security_group' || !r.sg || !r.allows || !selected(r, { ...sel, kind: 'security_group' }, i.accounts)) continue;
    const c = rp.usage.counters;
    const peers = c.peers[r.index];
    if (!peers || peers.size === 0) continue;
    const g = inv.securityGroup(r.id)!;
    const rule = r.sg;
    const portsUsed = new Set([...(c.ports[r.index]?.keys() ?? [])].map((k) => k % 65536)).size;
    const portsAdmitted = rule.protocol < 0 ? 65536 : hasPorts(rule.protocol) ? rule.ports.reduce((n, p) => n + p.to - p.from + 1, 0) : isIcmp(rule.protocol) ? rule.ports.reduce((n, p) => n + Math.min(255, p.to) - p.from + 1, 0) : 1;
    const reasons: string[] = [];
    let admits = 0;
    if (rule.peer.kind === 'cidr') {
      admits = spanOf(rule.peer.range.bits);
      if (admits >= minAddresses && peers.size <= maxPeers && !c.peersCapped[r.index]) reasons.push(`${rule.peer.cidr} admits ${admits.toExponential(2).replace('e+', 'e')} addresses; ${peers.size} used it`);
    }
    if ((rule.protocol < 0 || portsAdmitted > 16) && portsUsed > 0 && portsUsed * 16 <= portsAdmitted) reasons.push(`${rule.protocol < 0 ? 'every protocol' : `${portsAdmitted} ports`} admitted; ${portsUsed} port${portsUsed === 1 ? '' : 's'} used`);
    if (reasons.length === 0) continue;
    const uses = rp.groups.get(g)!.all().filter((u) => u.rule === rule && u.direction === r.direction);
    const narrower = proposeRules({ ...g, ingress: r.direction === 'ingress' ? [rule] : [], egress: r.direction === 'egress' ? [rule] : [] }, uses, opts).rules;
    out.push({ ...ruleUse(rp, inv, r, i.range), admits_addresses: admits, ports_admitted: portsAdmitted, ports_used: portsUsed, narrower, reason: reasons.join('; ') });
  }
  out.sort((a, b) => b.admits_addresses / Math.max(1, b.peers) - a.admits_addresses / Math.max(1, a.peers) || a.rule_id.localeCompare(b.rule_id));
  return { from: i.range.from, to: i.range.to, rules: out, evidence: rp.evidence };
}

export interface LeastPrivilegeSet {
  group_id: string;
  group_name: string;
  vpc_id: string;
  semantics: 'aws' | 'tencent';
  members: number;
  from: number;
  to: number;
  /** Accepted requests at members this group's rules admit, and those only other groups admit. */
  observed: { flows: number; uses: number; admitted_elsewhere_flows: number; truncated: boolean };
  rules: ProposedRule[];
  /** Current rules no observed traffic used (left out). */
  unused: Array<{ direction: string; rule: string; text: string }>;
  /** What the proposal would have refused in `check` (traffic this group admitted and no other group would). */
  check: WouldReject & { from: number; to: number };
  aws: AwsGroupExport;
  tencent: TencentGroupExport;
  evidence: Evidence;
}

/**
 * The least-privilege rule set for a security group from the traffic its members accepted in
 * the period, checked against `check` (default: the same period).
 */
export async function proposeLeastPrivilege(i: PolicyInput, groupId: string, opts: LeastPrivilegeOptions & { check?: TimeRange } = {}): Promise<LeastPrivilegeSet> {
  const inv = i.inventory;
  const g = inv.securityGroup(groupId);
  if (!g || (i.accounts && !i.accounts.includes(g.vpc.accountId))) {
    const ids = inv.securityGroups.filter((x) => !i.accounts || i.accounts.includes(x.vpc.accountId)).map((x) => x.id);
    throw new InputError(`no security group '${groupId}' in the inventory${didYouMean(groupId, ids)}`);
  }
  const rp = await replay(i, [g]);
  const gt = rp.groups.get(g)!;
  const uses = gt.all();
  const { rules, unused } = proposeRules(g, uses, opts);
  const lookup = (id: string) => inv.securityGroup(id);
  const checkRange = opts.check ?? i.range;
  const checkUses = opts.check && (opts.check.from !== i.range.from || opts.check.to !== i.range.to) ? (await replay(i, [g], checkRange)).groups.get(g)!.all() : uses;
  const members = g.members.length <= 200 ? `interface_id:(${g.members.map((e) => e.id).join(' OR ')}) AND ` : '';
  return {
    group_id: g.id,
    group_name: g.name,
    vpc_id: g.vpc.id,
    semantics: g.semantics,
    members: g.members.length,
    from: i.range.from,
    to: i.range.to,
    observed: { flows: uses.reduce((n, u) => n + u.flows, 0), uses: uses.length, admitted_elsewhere_flows: gt.notOurs, truncated: gt.truncated },
    rules,
    unused: unused.map((u) => ({ direction: u.direction, rule: u.rule, text: u.text })),
    check: { ...wouldReject(rules, checkUses, lookup), from: checkRange.from, to: checkRange.to },
    aws: toAws(g, rules),
    tencent: toTencent(g, rules),
    evidence: evidenceOf(`${members}action:ACCEPT`, undefined, i.range),
  };
}

/** Addresses (as text) of a rule's tracked peers, most flows first, for tables. */
export function topPeers(rp: Replay, r: CatalogRule, n = 5): string[] {
  const peers = rp.usage.counters.peers[r.index];
  if (!peers) return [];
  return [...peers].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k]) => formatIp(peerWords(k), 0));
}
