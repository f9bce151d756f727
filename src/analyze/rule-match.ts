// Whether one rule, taken on its own, matches a packet: the same tests the policy engine
// compiles into tables, for the few rules an answer looks at one by one (every rule of a
// group that admits a connection, a proposed rule checked against observed traffic).

import { inCidr, isV4Mapped, type Cidr } from '../schema/ip.js';
import { ANY_PROTOCOL, type Eni, type PortRange, type SgPeer } from '../inventory/model.js';
import { hasPorts, isIcmp } from '../inventory/rule-values.js';

/** Whether `port` (as a flow record carries it: ICMP type × 256 + code) is inside the rule's ports. */
export function portsMatch(protocol: number, ruleProtocol: number, ports: readonly PortRange[], port: number): boolean {
  if (ruleProtocol === ANY_PROTOCOL) return true;
  if (hasPorts(protocol)) return ports.some((r) => port >= r.from && port <= r.to);
  if (isIcmp(protocol)) return ports.some((r) => port >>> 8 >= r.from && port >>> 8 <= r.to);
  return true;
}

export function protocolMatches(ruleProtocol: number, protocol: number): boolean {
  return ruleProtocol === ANY_PROTOCOL || ruleProtocol === protocol;
}

/** A CIDR match that keeps the families apart (::/0 does not hold IPv4 addresses). */
export function cidrMatches(range: Cidr, w: Uint32Array, o: number): boolean {
  const ruleV4 = isV4Mapped(range.lo, 0) && range.bits >= 96;
  if (ruleV4 !== isV4Mapped(w, o)) return false;
  return inCidr(w, o, range);
}

export function peerMatches(peer: SgPeer, w: Uint32Array, o: number, peerEni: Eni | null | undefined): boolean {
  if (peer.kind === 'cidr') return cidrMatches(peer.range, w, o);
  return !!peerEni && peerEni.securityGroups.includes(peer.group);
}

export interface RuleShape {
  protocol: number;
  ports: readonly PortRange[];
}

export function ruleMatches(rule: RuleShape & { peer: SgPeer }, protocol: number, w: Uint32Array, o: number, port: number, peerEni: Eni | null | undefined): boolean {
  return protocolMatches(rule.protocol, protocol) && portsMatch(protocol, rule.protocol, rule.ports, port) && peerMatches(rule.peer, w, o, peerEni);
}
