// Rules compiled into parallel typed arrays: protocol, port range, peer range (128-bit) or peer
// group, in evaluation order. A rule with several port ranges becomes several entries that
// share one decision. Matching walks the arrays and returns the first entry that fits.

import { isV4Mapped, type Cidr } from '../schema/ip.js';
import { ANY_PROTOCOL, type PortRange } from '../inventory/model.js';
import { hasPorts, isIcmp } from '../inventory/rule-values.js';
import type { Decision } from './decision.js';

const PORT_NONE = 0;
const PORT_DST = 1;
const PORT_ICMP_TYPE = 2;

export interface RuleSpec {
  protocol: number;
  ports: readonly PortRange[];
  /** A CIDR peer, or undefined when the peer is a group. */
  range?: Cidr;
  /** Peer security group index, or -1. */
  group: number;
  decision: Decision;
}

export class RuleTable {
  readonly length: number;
  readonly hasGroupPeers: boolean;
  private readonly proto: Int16Array;
  private readonly portKind: Uint8Array;
  private readonly portLo: Int32Array;
  private readonly portHi: Int32Array;
  private readonly family: Uint8Array;
  private readonly lo: Uint32Array;
  private readonly hi: Uint32Array;
  private readonly group: Int32Array;
  readonly decisions: readonly Decision[];

  constructor(specs: readonly RuleSpec[]) {
    const entries: Array<{ s: RuleSpec; from: number; to: number }> = [];
    for (const s of specs) {
      const portsMatter = s.protocol !== ANY_PROTOCOL && (hasPorts(s.protocol) || isIcmp(s.protocol));
      if (!portsMatter) entries.push({ s, from: 0, to: 65535 });
      else for (const r of s.ports) entries.push({ s, from: r.from, to: r.to });
    }
    const n = entries.length;
    this.length = n;
    this.proto = new Int16Array(n);
    this.portKind = new Uint8Array(n);
    this.portLo = new Int32Array(n);
    this.portHi = new Int32Array(n);
    this.family = new Uint8Array(n);
    this.lo = new Uint32Array(n * 4);
    this.hi = new Uint32Array(n * 4);
    this.group = new Int32Array(n);
    const decisions: Decision[] = [];
    entries.forEach(({ s, from, to }, i) => {
      this.proto[i] = s.protocol;
      this.portKind[i] = s.protocol === ANY_PROTOCOL ? PORT_NONE : hasPorts(s.protocol) ? PORT_DST : isIcmp(s.protocol) ? PORT_ICMP_TYPE : PORT_NONE;
      this.portLo[i] = from;
      this.portHi[i] = to;
      this.group[i] = s.group;
      if (s.range) {
        this.lo.set(s.range.lo, i * 4);
        this.hi.set(s.range.hi, i * 4);
        // An IPv6 block such as ::/0 also spans the IPv4-mapped addresses; it must not match them.
        this.family[i] = isV4Mapped(s.range.lo, 0) && s.range.bits >= 96 ? 4 : 6;
      }
      decisions.push(s.decision);
    });
    this.decisions = decisions;
    this.hasGroupPeers = specs.some((s) => s.group >= 0);
  }

  /**
   * The first entry matching a packet, or -1. `peer` is the remote address (source for
   * ingress, destination for egress) at `po`, `v4` its family, `dstPort` as in the flow record
   * (type × 256 + code for ICMP), `peerGroups` the remote ENI's group indices (null if none).
   */
  firstMatch(protocol: number, peer: Uint32Array, po: number, v4: boolean, dstPort: number, peerGroups: Int32Array | null): number {
    const n = this.length;
    const fam = v4 ? 4 : 6;
    for (let i = 0; i < n; i++) {
      const p = this.proto[i];
      if (p !== ANY_PROTOCOL && p !== protocol) continue;
      const pk = this.portKind[i];
      if (pk !== PORT_NONE) {
        const v = pk === PORT_DST ? dstPort : dstPort >>> 8;
        if (v < this.portLo[i] || v > this.portHi[i]) continue;
      }
      const g = this.group[i];
      if (g >= 0) {
        if (peerGroups === null) continue;
        let member = false;
        for (let k = 0; k < peerGroups.length; k++) {
          if (peerGroups[k] === g) {
            member = true;
            break;
          }
        }
        if (!member) continue;
      } else {
        if (this.family[i] !== fam) continue;
        if (!within(peer, po, this.lo, this.hi, i * 4)) continue;
      }
      return i;
    }
    return -1;
  }
}

/** Whether the address at w[o] lies in [lo[r], hi[r]] (four words each). */
export function within(w: Uint32Array, o: number, lo: Uint32Array, hi: Uint32Array, r: number): boolean {
  for (let k = 0; k < 4; k++) {
    const x = w[o + k];
    const l = lo[r + k];
    if (x !== l) {
      if (x < l) return false;
      break;
    }
  }
  for (let k = 0; k < 4; k++) {
    const x = w[o + k];
    const h = hi[r + k];
    if (x !== h) return x < h;
  }
  return true;
}
