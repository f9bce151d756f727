// "Why can (or can't) A reach B": the connection walked hop by hop through the inventory's
// security groups and network ACLs, with the deciding rule at each hop, the smallest change
// that would allow it (or block it), and, given a store, what the flow records show and
// whether that agrees with the configuration.

import type { InventoryIndex } from '../../inventory/inventory-index.js';
import { isIcmp, parseProtocol, protocolName } from '../../inventory/rule-values.js';
import type { HopName } from '../../policy/connection-verdict.js';
import { InputError } from '../../util/errors.js';
import type { AnswerInput } from '../answer-query.js';
import { engineFor } from '../engine-cache.js';
import { describeDecision, type RuleSummary } from '../rule-text.js';
import { resolveEndpoints, type Endpoint } from './endpoints.js';
import { proposeFix, type FixProposal } from './fix.js';
import { walk, type Hop, type Leg, type Walk } from './hops.js';
import { observeConnection, type Observation } from './observed.js';

export interface DiagnoseQuery {
  /** ENI id, instance id or IP address. */
  src: string;
  dst: string;
  /** Destination port; for ICMP the type (below 256) or type × 256 + code. */
  port: number;
  /** Name or number; default tcp. */
  protocol?: string | number;
  /** The client's port; default 49152 (an ephemeral port), which decides the reply's ACL checks. */
  srcPort?: number;
  /** Propose how to block the connection instead of how to allow it. */
  deny?: boolean;
  /** The caller's accounts (undefined: all); interfaces of other accounts are not found. */
  accounts?: readonly string[];
}

export interface EndpointReport {
  input: string;
  address: string;
  /** False for an address outside the inventory (the internet). */
  in_inventory: boolean;
  interface_id: string | null;
  instance_id: string | null;
  instance_name: string | null;
  subnet_id: string | null;
  vpc_id: string | null;
  security_groups: string[];
  network_acl: string | null;
}

export interface HopReport {
  hop: HopName;
  leg: Leg;
  kind: 'security_group' | 'network_acl';
  direction: 'ingress' | 'egress';
  interface_id: string | null;
  /** On the path at all (an end outside the inventory has no hops; one subnet crosses no ACL). */
  applies: boolean;
  /** The traffic gets this far. */
  reached: boolean;
  /** A reply passing a security group because it let the request through. */
  tracked: boolean;
  action: 'ACCEPT' | 'REJECT' | null;
  /** The security group or network ACL that decides here. */
  id: string | null;
  /** The interface's groups (all are consulted at a security-group hop). */
  security_groups?: string[];
  rule_id: string | null;
  rule: RuleSummary | null;
  /** The destination port the rules see (the client's ephemeral port on the way back). */
  port: number;
  /** The remote address the rules see. */
  peer: string;
}

export interface Diagnosis {
  src: EndpointReport;
  dst: EndpointReport;
  protocol: number;
  protocol_name: string;
  port: number;
  src_port: number;
  /** Request and reply both get through. */
  reachable: boolean;
  /** The security group or network ACL that stops the traffic first (null when reachable). */
  blocked_by: string | null;
  blocked_at: HopName | null;
  deciding_rule: (RuleSummary & { rule_id: string }) | null;
  summary: string;
  hops: HopReport[];
  fix: FixProposal;
  /** Present when a store was given. */
  observed?: Observation;
  took_ms: { configuration: number; observation?: number };
}

export interface PreparedConnection {
  src: Endpoint;
  dst: Endpoint;
  walk: Walk;
}

function endpointReport(e: Endpoint): EndpointReport {
  const n = e.eni;
  return {
    input: e.input,
    address: e.address,
    in_inventory: !!n,
    interface_id: n?.id ?? null,
    instance_id: n?.instanceId || null,
    instance_name: n?.instanceName || null,
    subnet_id: n?.subnet.id ?? null,
    vpc_id: n?.vpc.id ?? null,
    security_groups: n ? n.securityGroups.map((g) => g.id) : [],
    network_acl: n?.networkAcl.id ?? null,
  };
}

function hopReport(inv: InventoryIndex, h: Hop): HopReport {
  const d = h.decision;
  return {
    hop: h.hop,
    leg: h.leg,
    kind: h.kind,
    direction: h.direction,
    interface_id: h.eni?.id ?? null,
    applies: h.applies,
    reached: h.reached,
    tracked: h.tracked,
    action: d ? d.action : null,
    id: d?.id ?? (h.applies && h.eni ? (h.kind === 'network_acl' ? h.eni.networkAcl.id : h.eni.securityGroups[0].id) : null),
    ...(h.kind === 'security_group' && h.eni ? { security_groups: h.eni.securityGroups.map((g) => g.id) } : {}),
    rule_id: d?.ruleId ?? null,
    rule: d ? describeDecision(inv, d, h.direction) : null,
    port: h.port,
    peer: h.peer.address,
  };
}

function name(e: Endpoint): string {
  const n = e.eni;
  if (!n) return `${e.address} (outside the inventory)`;
  return `${e.address} (${n.id}${n.instanceName ? `, ${n.instanceName}` : n.instanceId ? `, ${n.instanceId}` : ''})`;
}

function checkPort(port: number, protocol: number): number {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InputError(`port must be a whole number from 0 to 65535, not ${port}`);
  // Users name ICMP traffic by its type; records carry type × 256 + code.
  return isIcmp(protocol) && port < 256 ? port * 256 : port;
}

/** Resolves the ends and walks the hops; throws InputError on a bad query. */
export function prepareConnection(inv: InventoryIndex, q: DiagnoseQuery): PreparedConnection {
  const protocol = parseProtocol(q.protocol ?? 'tcp');
  if (typeof protocol === 'string') throw new InputError(protocol);
  if (protocol < 0) throw new InputError('a connection has one protocol: give tcp, udp, icmp or a number, not all');
  const port = checkPort(q.port, protocol);
  const srcPort = q.srcPort ?? 49152;
  if (!Number.isInteger(srcPort) || srcPort < 0 || srcPort > 65535) throw new InputError(`source port must be a whole number from 0 to 65535, not ${srcPort}`);
  const { src, dst } = resolveEndpoints(inv, q.src, q.dst, q.accounts);
  return { src, dst, walk: walk(engineFor(inv), src, dst, protocol, srcPort, port) };
}

/** The configuration's answer alone (no store): verdicts, deciding rules, proposed change. */
export function diagnoseConfiguration(inv: InventoryIndex, q: DiagnoseQuery): Diagnosis {
  const t0 = performance.now();
  const { src, dst, walk: w } = prepareConnection(inv, q);
  const hops = w.hops.map((h) => hopReport(inv, h));
  const b = w.blocking;
  const deciding = b ? hops[w.hops.indexOf(b)] : null;
  const what = `${dst.address}${w.protocol === 6 || w.protocol === 17 || w.protocol === 132 ? `:${w.dstPort}` : ''}/${protocolName(w.protocol)}`;
  let summary: string;
  if (!b) summary = `${name(src)} can reach ${what} on ${name(dst)}, and the replies get back`;
  else {
    const where = b.leg === 'request' ? 'the request is refused' : 'the request gets through but the reply is refused';
    summary = `${name(src)} cannot reach ${what}${dst.eni ? ` on ${name(dst)}` : ''}: ${where} at ${b.hop} by ${deciding!.id} — ${deciding!.rule?.text ?? deciding!.rule_id}`;
  }
  return {
    src: endpointReport(src),
    dst: endpointReport(dst),
    protocol: w.protocol,
    protocol_name: protocolName(w.protocol),
    port: w.dstPort,
    src_port: w.srcPort,
    reachable: w.reachable,
    blocked_by: deciding?.id ?? null,
    blocked_at: b?.hop ?? null,
    deciding_rule: deciding?.rule ? { ...deciding.rule, rule_id: deciding.rule_id! } : null,
    summary,
    hops,
    fix: proposeFix(w, q.deny ? 'deny' : 'allow'),
    took_ms: { configuration: Math.round((performance.now() - t0) * 1000) / 1000 },
  };
}

/** The configuration's answer, and with a store what the records between the two ends show. */
export async function diagnose(inv: InventoryIndex, q: DiagnoseQuery, observe?: AnswerInput): Promise<Diagnosis> {
  const d = diagnoseConfiguration(inv, q);
  if (!observe) return d;
  const t0 = performance.now();
  const { src, dst, walk: w } = prepareConnection(inv, q);
  d.observed = await observeConnection(observe, src, dst, w);
  d.took_ms.observation = Math.round(performance.now() - t0);
  return d;
}
