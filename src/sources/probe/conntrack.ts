// Which side opened each connection, so that the verdict on a flow can tell a request (judged
// by the rules in its own direction) from a reply (passed by a stateful security group when it
// let the request through, but still judged by the stateless ACL). Connections are keyed by
// their 5-tuple with the endpoints in a fixed order; the side that opened it is decided from
// the first packet seen: TCP SYN or SYN-ACK, ICMP request or reply types, otherwise the
// client's usual habit of sending from the higher (ephemeral) port. Bounded: idle connections
// are dropped when the table fills, and it starts over if that is not enough (counted).

import { compareIp } from '../../schema/ip.js';

const K = 10;
const SYN = 0x02;
const ACK = 0x10;

function mix(h: number, v: number): number {
  h = Math.imul(h ^ v, 0x85ebca6b);
  return h ^ (h >>> 13);
}

const ICMP_REQUESTS = new Set([8, 13, 15, 17]);
const ICMP_REPLIES = new Set([0, 14, 16, 18]);
const ICMP6_REQUESTS = new Set([128]);
const ICMP6_REPLIES = new Set([129]);

/** Whether the sender of this first-seen packet opened the connection. */
export function senderOpened(protocol: number, srcPort: number, dstPort: number, tcpFlags: number): boolean {
  if (protocol === 6) {
    if (tcpFlags & SYN) return (tcpFlags & ACK) === 0;
    return srcPort > dstPort;
  }
  if (protocol === 1 || protocol === 58) {
    const type = dstPort >>> 8;
    if ((protocol === 1 ? ICMP_REQUESTS : ICMP6_REQUESTS).has(type)) return true;
    if ((protocol === 1 ? ICMP_REPLIES : ICMP6_REPLIES).has(type)) return false;
    return true;
  }
  if (protocol === 17 || protocol === 132) return !(srcPort < 1024 && dstPort >= 1024);
  return true;
}

export class ConnectionTracker {
  private keys: Uint32Array;
  /** Bit 0: the lower endpoint opened the connection. */
  private opener: Uint8Array;
  private seen: Uint32Array;
  private slots: Int32Array;
  private mask: number;
  private size = 0;
  private cap: number;
  /** Times the table was full of live connections and had to start over. */
  resets = 0;
  private readonly lo = new Uint32Array(4);
  private readonly hi = new Uint32Array(4);

  constructor(
    readonly maxConnections = 1 << 20,
    /** Connections idle longer than this may be forgotten when room is needed. */
    readonly idleSeconds = 600,
  ) {
    this.cap = Math.min(maxConnections, 4096);
    this.keys = new Uint32Array(this.cap * K);
    this.opener = new Uint8Array(this.cap);
    this.seen = new Uint32Array(this.cap);
    let slots = 16;
    while (slots < this.cap * 2) slots *= 2;
    this.slots = new Int32Array(slots);
    this.mask = slots - 1;
  }

  /** Bytes of typed arrays held. */
  get allocatedBytes(): number {
    return this.keys.byteLength + this.opener.byteLength + this.seen.byteLength + this.slots.byteLength;
  }

  private grow(): void {
    const cap = Math.min(this.maxConnections, this.cap * 2);
    const keys = new Uint32Array(cap * K);
    keys.set(this.keys.subarray(0, this.size * K));
    const opener = new Uint8Array(cap);
    opener.set(this.opener.subarray(0, this.size));
    const seen = new Uint32Array(cap);
    seen.set(this.seen.subarray(0, this.size));
    this.keys = keys;
    this.opener = opener;
    this.seen = seen;
    let slots = 16;
    while (slots < cap * 2) slots *= 2;
    this.slots = new Int32Array(slots);
    this.mask = slots - 1;
    this.cap = cap;
    this.reindex();
  }

  get connections(): number {
    return this.size;
  }

  /**
   * Whether the packet from src:srcPort to dst:dstPort belongs to a connection the other side
   * opened. The first packet of a connection decides (see senderOpened).
   */
  isReply(protocol: number, src: Uint32Array, srcPort: number, dst: Uint32Array, dstPort: number, tcpFlags: number, nowSec: number): boolean {
    // ICMP queries and their answers carry different types; the pair of hosts is the connection.
    const icmp = protocol === 1 || protocol === 58;
    const sp = icmp ? 0 : srcPort;
    const dp = icmp ? 0 : dstPort;
    const c = compareIp(src, 0, dst, 0);
    const srcLow = c < 0 || (c === 0 && sp <= dp);
    const lo = this.lo;
    const hi = this.hi;
    lo.set(srcLow ? src : dst);
    hi.set(srcLow ? dst : src);
    const ports = srcLow ? ((sp << 16) | dp) >>> 0 : ((dp << 16) | sp) >>> 0;
    let h = mix(0x12345, protocol);
    for (let k = 0; k < 4; k++) h = mix(mix(h, lo[k]), hi[k]);
    h = mix(h, ports) >>> 0;
    const keys = this.keys;
    let i = h & this.mask;
    for (;;) {
      const s = this.slots[i];
      if (s === 0) break;
      const e = s - 1;
      const o = e * K;
      if (keys[o + 8] === ports && keys[o + 9] === protocol && keys[o] === lo[0] && keys[o + 1] === lo[1] && keys[o + 2] === lo[2] && keys[o + 3] === lo[3] && keys[o + 4] === hi[0] && keys[o + 5] === hi[1] && keys[o + 6] === hi[2] && keys[o + 7] === hi[3]) {
        this.seen[e] = nowSec;
        return (this.opener[e] === 1) !== srcLow;
      }
      i = (i + 1) & this.mask;
    }
    const opened = senderOpened(protocol, srcPort, dstPort, tcpFlags);
    if (this.size >= this.cap) {
      if (this.cap < this.maxConnections) this.grow();
      else this.evict(nowSec);
      return this.isReply(protocol, src, srcPort, dst, dstPort, tcpFlags, nowSec);
    }
    const e = this.size++;
    const o = e * K;
    keys.set(lo, o);
    keys.set(hi, o + 4);
    keys[o + 8] = ports;
    keys[o + 9] = protocol;
    this.opener[e] = opened === srcLow ? 1 : 0;
    this.seen[e] = nowSec;
    this.slots[i] = e + 1;
    return !opened;
  }

  /** Keeps the connections seen recently; starts over when all of them are. */
  private evict(nowSec: number): void {
    const keep: number[] = [];
    for (let e = 0; e < this.size; e++) if (nowSec - this.seen[e] <= this.idleSeconds) keep.push(e);
    if (keep.length > this.maxConnections * 0.75) {
      keep.length = 0;
      this.resets++;
    }
    let n = 0;
    for (const e of keep) {
      if (e !== n) {
        this.keys.copyWithin(n * K, e * K, e * K + K);
        this.opener[n] = this.opener[e];
        this.seen[n] = this.seen[e];
      }
      n++;
    }
    this.size = n;
    this.reindex();
  }

  private reindex(): void {
    this.slots.fill(0);
    for (let e = 0; e < this.size; e++) {
      const o = e * K;
      let h = mix(0x12345, this.keys[o + 9]);
      for (let k = 0; k < 4; k++) h = mix(mix(h, this.keys[o + k]), this.keys[o + 4 + k]);
      h = mix(h, this.keys[o + 8]) >>> 0;
      let i = h & this.mask;
      while (this.slots[i] !== 0) i = (i + 1) & this.mask;
      this.slots[i] = e + 1;
    }
  }
}
