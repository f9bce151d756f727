// Rules as people read them and as the inventory file writes them: "allow tcp 6379 from
// sg-prod-app", and the rule objects behind a policy decision.

import type { AclRule, NetworkAcl, PortRange, SecurityGroup, SgRule } from '../inventory/model.js';
import { ANY_PROTOCOL } from '../inventory/model.js';
import type { InventoryIndex } from '../inventory/inventory-index.js';
import { hasPorts, isIcmp, protocolName } from '../inventory/rule-values.js';
import { DEFAULT_DENY, type Decision } from '../policy/decision.js';

export function portsText(protocol: number, ports: readonly PortRange[]): string {
  if (protocol === ANY_PROTOCOL || !(hasPorts(protocol) || isIcmp(protocol))) return 'all';
  if (ports.length === 1 && ports[0].from === 0 && ports[0].to === 65535) return 'all';
  return ports.map((r) => (r.from === r.to ? String(r.from) : `${r.from}-${r.to}`)).join(',');
}

/** A rule as written in an inventory file (the notation `flowlogs inventory import` reads). */
export interface RuleSummary {
  /** Security-group rule id, or the ACL rule number as text; DEFAULT_DENY for the implicit default. */
  rule: string;
  action: 'accept' | 'drop' | 'allow' | 'deny';
  protocol: string;
  ports: string;
  /** CIDR or security-group id. */
  peer: string;
  description: string;
  text: string;
}

export function sgRuleSummary(r: SgRule, direction: 'ingress' | 'egress'): RuleSummary {
  const peer = r.peer.kind === 'cidr' ? r.peer.cidr : r.peer.group.id;
  const protocol = protocolName(r.protocol);
  const ports = portsText(r.protocol, r.ports);
  return {
    rule: r.id,
    action: r.action,
    protocol,
    ports,
    peer,
    description: r.description,
    text: `${r.action === 'accept' ? 'allow' : 'drop'} ${protocol}${ports === 'all' ? '' : ` ${ports}`} ${direction === 'ingress' ? 'from' : 'to'} ${peer}`,
  };
}

export function aclRuleSummary(r: AclRule, direction: 'ingress' | 'egress'): RuleSummary {
  const protocol = protocolName(r.protocol);
  const ports = portsText(r.protocol, r.ports);
  return {
    rule: String(r.number),
    action: r.action,
    protocol,
    ports,
    peer: r.cidr,
    description: r.description,
    text: `#${r.number} ${r.action} ${protocol}${ports === 'all' ? '' : ` ${ports}`} ${direction === 'ingress' ? 'from' : 'to'} ${r.cidr}`,
  };
}

function defaultSummary(kind: Decision['kind'], direction: 'ingress' | 'egress'): RuleSummary {
  const text = kind === 'security_group' ? `no rule allows it (${direction} default deny)` : `no rule matches (${direction} default deny, rule *)`;
  return { rule: DEFAULT_DENY, action: kind === 'security_group' ? 'drop' : 'deny', protocol: 'all', ports: 'all', peer: kind === 'security_group' ? '' : '0.0.0.0/0', description: '', text };
}

export function findSgRule(g: SecurityGroup, id: string): { rule: SgRule; direction: 'ingress' | 'egress'; index: number } | undefined {
  let i = g.ingress.findIndex((r) => r.id === id);
  if (i >= 0) return { rule: g.ingress[i], direction: 'ingress', index: i };
  i = g.egress.findIndex((r) => r.id === id);
  if (i >= 0) return { rule: g.egress[i], direction: 'egress', index: i };
  return undefined;
}

export function findAclRule(a: NetworkAcl, direction: 'ingress' | 'egress', number: string): AclRule | undefined {
  return a[direction].find((r) => String(r.number) === number);
}

/** The rule behind a decision, described; `direction` is the hop's (ACL rule numbers repeat across directions). */
export function describeDecision(inventory: InventoryIndex, d: Decision, direction: 'ingress' | 'egress'): RuleSummary {
  if (d.rule === DEFAULT_DENY) return defaultSummary(d.kind, direction);
  if (d.kind === 'security_group') {
    const g = inventory.securityGroup(d.id);
    const found = g && findSgRule(g, d.rule);
    if (found) return sgRuleSummary(found.rule, found.direction);
  } else {
    const a = inventory.networkAcl(d.id);
    const r = a && findAclRule(a, direction, d.rule);
    if (r) return aclRuleSummary(r, direction);
  }
  return { rule: d.rule, action: d.accept ? 'allow' : 'deny', protocol: '', ports: '', peer: '', description: d.description, text: d.ruleId };
}
