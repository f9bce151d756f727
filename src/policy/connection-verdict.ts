// The result of evaluating a whole connection: the request's four hops (source group and ACL
// outbound, destination ACL and group inbound) and the reply's four hops back. One instance
// is reused across evaluations so that the hot path allocates nothing.

import type { Decision } from './decision.js';

export type RequestHop = 'src_sg_egress' | 'src_acl_egress' | 'dst_acl_ingress' | 'dst_sg_ingress';
export type ReplyHop = 'dst_sg_egress' | 'dst_acl_egress' | 'src_acl_ingress' | 'src_sg_ingress';
export type HopName = RequestHop | ReplyHop;

export class HopVerdict {
  /** False when the packet never reached this hop, or the hop is not on its path (an end outside the inventory, or traffic that stays inside one subnet and so crosses no ACL). */
  crossed = false;
  decision: Decision | null = null;
  /** The ENI whose group or subnet ACL this hop is; empty for an end outside the inventory. */
  interfaceId = '';

  constructor(readonly hop: HopName) {}

  reset(): void {
    this.crossed = false;
    this.decision = null;
    this.interfaceId = '';
  }
}

export class PathVerdict {
  /** Whether this path was evaluated (a reply is only evaluated when its request got through). */
  evaluated = false;
  accepted = false;
  /** Verdict at the interface the packets leave (null when that end is outside the inventory). */
  atSender: Decision | null = null;
  /** Verdict at the interface they arrive at (null when outside, or blocked before). */
  atReceiver: Decision | null = null;
  /** The hop that stopped the packets, null when accepted. */
  blockedBy: HopVerdict | null = null;
  readonly hops: readonly [HopVerdict, HopVerdict, HopVerdict, HopVerdict];

  constructor(names: readonly [HopName, HopName, HopName, HopName]) {
    this.hops = [new HopVerdict(names[0]), new HopVerdict(names[1]), new HopVerdict(names[2]), new HopVerdict(names[3])];
  }

  reset(): void {
    this.evaluated = false;
    this.accepted = false;
    this.atSender = null;
    this.atReceiver = null;
    this.blockedBy = null;
    const h = this.hops;
    h[0].reset();
    h[1].reset();
    h[2].reset();
    h[3].reset();
  }
}

export class ConnectionVerdict {
  readonly request = new PathVerdict(['src_sg_egress', 'src_acl_egress', 'dst_acl_ingress', 'dst_sg_ingress']);
  readonly reply = new PathVerdict(['dst_sg_egress', 'dst_acl_egress', 'src_acl_ingress', 'src_sg_ingress']);

  /** Request and reply both got through. */
  get established(): boolean {
    return this.request.accepted && this.reply.accepted;
  }

  reset(): void {
    this.request.reset();
    this.reply.reset();
  }
}
