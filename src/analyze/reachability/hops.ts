// A connection walked hop by hop: the request leaves through the source's security groups and
// subnet ACL and arrives through the destination's ACL and groups; the reply goes back through
// the destination's groups and ACL and the source's ACL and groups. Every hop is evaluated on
// its own, so one answer names every hop that would stop the traffic, not only the first;
// `reached` says which hops the traffic actually gets to.
//
// Groups are stateful: the reply passes them on the strength of the rule that let the request
// through (`tracked`). ACLs are stateless: the reply, addressed to the client's ephemeral port,
// is checked like any packet. Traffic inside one subnet crosses no ACL; an end outside the
// inventory has no hops of its own.

import type { HopName } from '../../policy/connection-verdict.js';
import type { Decision } from '../../policy/decision.js';
import { EGRESS, INGRESS, type PolicyEngine } from '../../policy/engine.js';
import { replyDstPort } from '../../policy/ports.js';
import type { Endpoint } from './endpoints.js';

export type Leg = 'request' | 'reply';

export interface Hop {
  hop: HopName;
  leg: Leg;
  kind: 'security_group' | 'network_acl';
  /** Relative to the interface the hop belongs to. */
  direction: 'ingress' | 'egress';
  /** The interface whose groups or subnet ACL this is (undefined when the hop is not on the path). */
  eni: Endpoint['eni'];
  /** False when the path does not cross this hop (an end outside the inventory, or one subnet). */
  applies: boolean;
  /** The deciding rule; null when the hop does not apply, or is tracked on a request that was refused. */
  decision: Decision | null;
  /** A reply passing a group because the group let the request in (or out). */
  tracked: boolean;
  /** Whether traffic gets this far (every hop before it, request first, accepted). */
  reached: boolean;
  /** The destination port the hop's rules are matched against (for ICMP, type × 256 + code). */
  port: number;
  /** The remote address the hop's rules are matched against. */
  peer: Endpoint;
}

export interface Walk {
  hops: Hop[];
  /** Every hop on the path accepts, both ways. */
  reachable: boolean;
  /** The first hop that stops the traffic, request first. */
  blocking: Hop | null;
  protocol: number;
  srcPort: number;
  dstPort: number;
  replyPort: number;
}

export function walk(engine: PolicyEngine, src: Endpoint, dst: Endpoint, protocol: number, srcPort: number, dstPort: number): Walk {
  const s = src.eni;
  const d = dst.eni;
  const replyPort = replyDstPort(protocol, srcPort, dstPort);
  const sCross = !!s && engine.crossesAcl(s, dst.addr, 0);
  const dCross = !!d && engine.crossesAcl(d, src.addr, 0);
  const sgOut = s ? engine.securityGroups(s, EGRESS, protocol, dst.addr, 0, dstPort, d) : null;
  const sgIn = d ? engine.securityGroups(d, INGRESS, protocol, src.addr, 0, dstPort, s) : null;
  const mk = (hop: HopName, leg: Leg, kind: Hop['kind'], direction: Hop['direction'], eni: Hop['eni'], applies: boolean, decision: Decision | null, tracked: boolean, port: number, peer: Endpoint): Hop => ({
    hop,
    leg,
    kind,
    direction,
    eni,
    applies,
    decision: applies ? decision : null,
    tracked,
    reached: false,
    port,
    peer,
  });
  const hops: Hop[] = [
    mk('src_sg_egress', 'request', 'security_group', 'egress', s, !!s, sgOut, false, dstPort, dst),
    mk('src_acl_egress', 'request', 'network_acl', 'egress', s, sCross, sCross ? engine.networkAcl(s!.networkAcl, EGRESS, protocol, dst.addr, 0, dstPort) : null, false, dstPort, dst),
    mk('dst_acl_ingress', 'request', 'network_acl', 'ingress', d, dCross, dCross ? engine.networkAcl(d!.networkAcl, INGRESS, protocol, src.addr, 0, dstPort) : null, false, dstPort, src),
    mk('dst_sg_ingress', 'request', 'security_group', 'ingress', d, !!d, sgIn, false, dstPort, src),
    mk('dst_sg_egress', 'reply', 'security_group', 'egress', d, !!d, sgIn?.accept ? sgIn : null, true, replyPort, src),
    mk('dst_acl_egress', 'reply', 'network_acl', 'egress', d, dCross, dCross ? engine.networkAcl(d!.networkAcl, EGRESS, protocol, src.addr, 0, replyPort) : null, false, replyPort, src),
    mk('src_acl_ingress', 'reply', 'network_acl', 'ingress', s, sCross, sCross ? engine.networkAcl(s!.networkAcl, INGRESS, protocol, dst.addr, 0, replyPort) : null, false, replyPort, dst),
    mk('src_sg_ingress', 'reply', 'security_group', 'ingress', s, !!s, sgOut?.accept ? sgOut : null, true, replyPort, dst),
  ];
  let open = true;
  let blocking: Hop | null = null;
  for (const h of hops) {
    h.reached = open && h.applies;
    if (!h.applies) continue;
    const ok = h.decision?.accept === true;
    if (!ok) {
      if (!blocking) blocking = h;
      open = false;
    }
  }
  return { hops, reachable: blocking === null, blocking, protocol, srcPort, dstPort, replyPort };
}
