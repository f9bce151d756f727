// One connection turned into the records the clouds would log for it, following the policy
// engine: the request on the sender's interface (egress) and the receiver's (ingress), then,
// if the request got through, the reply the other way. A rejected request shows only where
// it was stopped and before, with the few packets of a failed attempt; a reply stopped on
// its way back shows as a REJECT where it was stopped.
//
// The caller fills the public fields (no argument objects on the hot path) and calls emit().

import { isV4Mapped, setV4 } from '../../schema/ip.js';
import type { Eni } from '../../inventory/model.js';
import { EGRESS, INGRESS, type PolicyEngine } from '../../policy/engine.js';
import type { VerdictCache } from './verdict-cache.js';
import type { Decision } from '../../policy/decision.js';
import { replyDstPort, replySrcPort } from '../../policy/ports.js';
import { F_BYTES, F_DST_MAC, F_PACKETS, F_SRC_MAC, SLOT_WORDS, W_DECISION, W_DIR_PROTO_FLAGS, W_DST, W_DST_PORT, W_ENI, W_FIRST, W_LAST, W_SRC, W_SRC_PORT, type RecordStage } from './record-stage.js';

export const TCP_FIN = 1;
export const TCP_SYN = 2;
export const TCP_RST = 4;
export const TCP_PSH = 8;
export const TCP_ACK = 16;

export class ConnectionEmitter {
  srcEni: Eni | null = null;
  dstEni: Eni | null = null;
  /** Addresses as four words (IPv4 IPv4-mapped). */
  readonly src = new Uint32Array(4);
  readonly dst = new Uint32Array(4);
  protocol = 6;
  srcPort = 0;
  dstPort = 0;
  /** Whether the protocol answers (TCP, UDP request/response, ICMP echo); one-way flows have no reply records. */
  replies = true;
  /** Sizes when the connection works; replaced by a failed attempt's when TCP cannot connect. */
  reqPackets = 0;
  reqBytes = 0;
  repPackets = 0;
  repBytes = 0;
  reqFlags = 0;
  repFlags = 0;
  /** First and last packet, unix seconds. */
  first = 0;
  last = 0;
  /** Destination MAC of the request when it is not the peer's or the router's (broadcast, multicast); 0 otherwise. */
  dstMacOverride = 0;
  /** Told of every slot staged while set (a scenario's ground truth). */
  observer: ((slot: number) => void) | null = null;

  private srcClass = 0;
  private dstClass = 0;
  /** Address class of each ENI address: index eni.index * maxIps + address number. */
  private readonly eniClass: Int32Array;
  private readonly maxIps: number;
  private readonly decisions: readonly Decision[];

  constructor(
    engine: PolicyEngine,
    private readonly verdicts: VerdictCache,
    private readonly stage: RecordStage,
    /** Per subnet: the MAC its router answers with (the inventory has none; one is made up per subnet). */
    private readonly routerMac: Float64Array,
  ) {
    const enis = engine.inventory.enis;
    this.decisions = engine.decisions;
    this.maxIps = Math.max(1, ...enis.map((e) => e.ips.length));
    this.eniClass = new Int32Array(enis.length * this.maxIps);
    for (const e of enis) for (let k = 0; k < e.ips.length; k++) this.eniClass[e.index * this.maxIps + k] = verdicts.classes.addressClass(e.addrs, k * 4);
  }

  setSrcEni(eni: Eni, addrOffset: number): void {
    this.srcEni = eni;
    copy4(eni.addrs, addrOffset, this.src);
    this.srcClass = this.eniClass[eni.index * this.maxIps + (addrOffset >> 2)];
  }

  setDstEni(eni: Eni, addrOffset: number): void {
    this.dstEni = eni;
    copy4(eni.addrs, addrOffset, this.dst);
    this.dstClass = this.eniClass[eni.index * this.maxIps + (addrOffset >> 2)];
  }

  setSrcExternal(w: Uint32Array, o: number): void {
    this.srcEni = null;
    copy4(w, o, this.src);
    this.srcClass = this.verdicts.classes.addressClass(this.src);
  }

  setDstExternal(w: Uint32Array, o: number): void {
    this.dstEni = null;
    copy4(w, o, this.dst);
    this.dstClass = this.verdicts.classes.addressClass(this.dst);
  }

  setSrcV4(v4: number): void {
    this.srcEni = null;
    setV4(this.src, 0, v4);
    this.srcClass = this.verdicts.classes.addressClass(this.src);
  }

  setDstV4(v4: number): void {
    this.dstEni = null;
    setV4(this.dst, 0, v4);
    this.dstClass = this.verdicts.classes.addressClass(this.dst);
  }

  /** Stages the connection's records; returns how many. */
  emit(): number {
    const s = this.srcEni;
    const d = this.dstEni;
    const v = this.verdicts;
    v.lookup(s, this.src, this.srcClass, d, this.dst, this.dstClass, this.protocol, this.srcPort, this.dstPort);
    const ok = v.reqAccepted && (!this.replies || v.repAccepted);
    let reqPk = this.reqPackets;
    let reqBy = this.reqBytes;
    let reqFl = this.reqFlags;
    let repPk = this.repPackets;
    let repBy = this.repBytes;
    let repFl = this.repFlags;
    if (!ok && this.protocol === 6) {
      // Without an answer the client only retransmits its SYN; an answer that never arrives is a retransmitted SYN-ACK.
      const tries = 1 + (this.srcPort % 3);
      const size = isV4Mapped(this.src, 0) ? 60 : 80;
      reqPk = tries;
      reqBy = tries * size;
      reqFl = TCP_SYN;
      repPk = tries;
      repBy = tries * size;
      repFl = TCP_SYN | TCP_ACK;
    }
    let n = 0;
    const sp = this.srcPort;
    const dp = this.dstPort;
    const decisions = this.decisions;
    if (s) {
      this.record(s, EGRESS, this.src, this.dst, sp, dp, reqPk, reqBy, reqFl, v.reqSender, s.mac, this.peerMac(s, d, this.dstMacOverride));
      n++;
    }
    if (d && (s === null || decisions[v.reqSender].accept)) {
      this.record(d, INGRESS, this.src, this.dst, sp, dp, reqPk, reqBy, reqFl, v.reqReceiver, this.peerMac(d, s, 0), d.mac);
      n++;
    }
    if (!this.replies || !v.reqAccepted) return n;
    const rsp = replySrcPort(this.protocol, sp, dp);
    const rdp = replyDstPort(this.protocol, sp, dp);
    if (d) {
      this.record(d, EGRESS, this.dst, this.src, rsp, rdp, repPk, repBy, repFl, v.repSender, d.mac, this.peerMac(d, s, 0));
      n++;
    }
    if (s && (d === null || decisions[v.repSender].accept)) {
      this.record(s, INGRESS, this.dst, this.src, rsp, rdp, repPk, repBy, repFl, v.repReceiver, this.peerMac(s, d, 0), s.mac);
      n++;
    }
    return n;
  }

  /** The MAC on the wire next to `eni` for traffic with `peer`: the peer's inside one subnet, the router's otherwise. */
  private peerMac(eni: Eni, peer: Eni | null, override: number): number {
    if (override !== 0) return override;
    if (peer !== null && peer.subnet === eni.subnet) return peer.mac;
    return this.routerMac[eni.subnet.index];
  }

  private record(
    eni: Eni,
    dir: number,
    src: Uint32Array,
    dst: Uint32Array,
    sp: number,
    dp: number,
    packets: number,
    bytes: number,
    flags: number,
    decision: number,
    srcMac: number,
    dstMac: number,
  ): void {
    const st = this.stage;
    const i = st.add(eni.index);
    const u = st.u32;
    const o = i * SLOT_WORDS;
    u[o + W_ENI] = eni.index;
    u[o + W_DIR_PROTO_FLAGS] = dir | (this.protocol << 8) | ((this.protocol === 6 ? flags : 0) << 16);
    u[o + W_SRC_PORT] = sp;
    u[o + W_DST_PORT] = dp;
    u[o + W_DECISION] = decision;
    u[o + W_FIRST] = this.first;
    u[o + W_LAST] = this.last;
    u[o + W_SRC] = src[0];
    u[o + W_SRC + 1] = src[1];
    u[o + W_SRC + 2] = src[2];
    u[o + W_SRC + 3] = src[3];
    u[o + W_DST] = dst[0];
    u[o + W_DST + 1] = dst[1];
    u[o + W_DST + 2] = dst[2];
    u[o + W_DST + 3] = dst[3];
    const f = st.f64;
    const h = o >> 1;
    f[h + F_PACKETS] = packets;
    f[h + F_BYTES] = bytes;
    f[h + F_SRC_MAC] = srcMac;
    f[h + F_DST_MAC] = dstMac;
    if (this.observer !== null) this.observer(i);
  }
}

function copy4(from: Uint32Array, o: number, to: Uint32Array): void {
  to[0] = from[o];
  to[1] = from[o + 1];
  to[2] = from[o + 2];
  to[3] = from[o + 3];
}
