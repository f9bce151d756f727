// "Why can (or can't) A reach B": a connection given as text, evaluated hop by hop, with the
// answer as plain data for the command line and the HTTP API.

import { parseIp } from '../schema/ip.js';
import { parseProtocol } from '../inventory/rule-values.js';
import type { Eni } from '../inventory/model.js';
import type { PolicyEngine } from './engine.js';
import type { HopName, PathVerdict } from './connection-verdict.js';

export interface ConnectionQuery {
  src: string;
  dst: string;
  /** Name or number; default tcp. */
  protocol?: string | number;
  /** Default 49152 (an ephemeral port). */
  srcPort?: number;
  /** For ICMP: type × 256 + code (2048 = echo request). */
  dstPort: number;
}

export interface HopReport {
  hop: HopName;
  interface_id: string;
  crossed: boolean;
  action: 'ACCEPT' | 'REJECT' | null;
  kind: 'security_group' | 'network_acl' | null;
  id: string | null;
  rule: string | null;
}

export interface PathReport {
  evaluated: boolean;
  action: 'ACCEPT' | 'REJECT' | null;
  /** The hop that stopped the traffic. */
  blocked_by: HopName | null;
  rule_id: string | null;
  hops: HopReport[];
}

export interface ConnectionReport {
  src: { address: string; interface_id: string | null; subnet_id: string | null };
  dst: { address: string; interface_id: string | null; subnet_id: string | null };
  protocol: number;
  src_port: number;
  dst_port: number;
  request: PathReport;
  reply: PathReport;
}

function endpoint(address: string, eni: Eni | undefined) {
  return { address, interface_id: eni?.id ?? null, subnet_id: eni?.subnet.id ?? null };
}

function report(p: PathVerdict): PathReport {
  const deciding = p.blockedBy?.decision ?? p.atReceiver ?? p.atSender;
  return {
    evaluated: p.evaluated,
    action: p.evaluated ? (p.accepted ? 'ACCEPT' : 'REJECT') : null,
    blocked_by: p.blockedBy?.hop ?? null,
    rule_id: deciding?.ruleId ?? null,
    hops: p.hops.map((h) => ({
      hop: h.hop,
      interface_id: h.interfaceId,
      crossed: h.crossed,
      action: h.decision?.action ?? null,
      kind: h.decision?.kind ?? null,
      id: h.decision?.id ?? null,
      rule: h.decision?.rule ?? null,
    })),
  };
}

/** Throws an Error naming the bad value when an address or protocol cannot be read. */
export function explainConnection(engine: PolicyEngine, q: ConnectionQuery): ConnectionReport {
  const src = parseIp(q.src);
  if (!src) throw new Error(`'${q.src}' is not an IP address`);
  const dst = parseIp(q.dst);
  if (!dst) throw new Error(`'${q.dst}' is not an IP address`);
  const protocol = parseProtocol(q.protocol ?? 'tcp');
  if (typeof protocol === 'string') throw new Error(protocol);
  if (protocol < 0) throw new Error('a connection needs one protocol, not all');
  const srcEni = engine.inventory.eniByIp(src);
  const dstEni = engine.inventory.eniByIp(dst);
  const srcPort = q.srcPort ?? 49152;
  const v = engine.evaluateConnection(srcEni ?? null, src, 0, dstEni ?? null, dst, 0, protocol, srcPort, q.dstPort);
  return {
    src: endpoint(q.src, srcEni),
    dst: endpoint(q.dst, dstEni),
    protocol,
    src_port: srcPort,
    dst_port: q.dstPort,
    request: report(v.request),
    reply: report(v.reply),
  };
}
