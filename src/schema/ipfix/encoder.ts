// Flow records as IPFIX (RFC 7011) messages, so any collector (nfcapd, Wireshark, another
// flowlogs) can take them. Two templates, IPv4 and IPv6, with the 5-tuple, counters, packet
// times in milliseconds, interfaces, direction and a forwarding status that carries REJECT.
// Templates are repeated every `templateEvery` messages, as RFC 7011 asks of UDP exporters.

import type { FlowBatch } from '../batch.js';
import { isV4Mapped } from '../ip.js';

interface Element {
  id: number;
  length: number;
}

// IANA IPFIX information elements.
const COMMON: Element[] = [
  { id: 7, length: 2 }, // sourceTransportPort
  { id: 11, length: 2 }, // destinationTransportPort
  { id: 4, length: 1 }, // protocolIdentifier
  { id: 6, length: 1 }, // tcpControlBits (reduced-size encoding)
  { id: 2, length: 8 }, // packetDeltaCount
  { id: 1, length: 8 }, // octetDeltaCount
  { id: 152, length: 8 }, // flowStartMilliseconds
  { id: 153, length: 8 }, // flowEndMilliseconds
  { id: 10, length: 4 }, // ingressInterface
  { id: 14, length: 4 }, // egressInterface
  { id: 61, length: 1 }, // flowDirection: 0 ingress, 1 egress
  { id: 89, length: 1 }, // forwardingStatus: 64 forwarded, 128 dropped
  { id: 58, length: 2 }, // vlanId
];
const V4: Element[] = [{ id: 8, length: 4 }, { id: 12, length: 4 }, ...COMMON];
const V6: Element[] = [{ id: 27, length: 16 }, { id: 28, length: 16 }, ...COMMON];
const V4_ID = 256;
const V6_ID = 257;
const V4_LEN = V4.reduce((n, e) => n + e.length, 0);
const V6_LEN = V6.reduce((n, e) => n + e.length, 0);

export interface IpfixEncoderOptions {
  /** Observation domain id in every message header. */
  domain?: number;
  /** Largest message in bytes (fits one Ethernet frame with IP/UDP headers by default). */
  mtu?: number;
  /** Repeat the templates every this many messages. */
  templateEvery?: number;
}

export class IpfixEncoder {
  private sequence = 0;
  private messages = 0;
  private readonly domain: number;
  private readonly mtu: number;
  private readonly templateEvery: number;

  constructor(opts: IpfixEncoderOptions = {}) {
    this.domain = opts.domain ?? 1;
    this.mtu = opts.mtu ?? 1400;
    this.templateEvery = opts.templateEvery ?? 100;
  }

  /** Records exported so far (the next message's sequence number). */
  get exported(): number {
    return this.sequence;
  }

  private templateSet(): Uint8Array {
    const len = 4 + 2 * 4 + (V4.length + V6.length) * 4;
    const b = new Uint8Array(len);
    const v = new DataView(b.buffer);
    v.setUint16(0, 2);
    v.setUint16(2, len);
    let o = 4;
    for (const [id, els] of [
      [V4_ID, V4],
      [V6_ID, V6],
    ] as const) {
      v.setUint16(o, id);
      v.setUint16(o + 2, els.length);
      o += 4;
      for (const e of els) {
        v.setUint16(o, e.id);
        v.setUint16(o + 2, e.length);
        o += 4;
      }
    }
    return b;
  }

  private message(sets: Uint8Array[], records: number, exportSecs: number): Uint8Array {
    const body = sets.reduce((n, s) => n + s.length, 0);
    const b = new Uint8Array(16 + body);
    const v = new DataView(b.buffer);
    v.setUint16(0, 10);
    v.setUint16(2, b.length);
    v.setUint32(4, exportSecs >>> 0);
    v.setUint32(8, this.sequence >>> 0);
    v.setUint32(12, this.domain >>> 0);
    let o = 16;
    for (const s of sets) {
      b.set(s, o);
      o += s.length;
    }
    this.sequence += records;
    this.messages++;
    return b;
  }

  /** IPFIX messages holding every row of the batch, in order. */
  encode(batch: FlowBatch, exportSecs = Math.floor(Date.now() / 1000)): Uint8Array[] {
    const out: Uint8Array[] = [];
    const c = batch.cols;
    let r = 0;
    while (r < batch.length) {
      const sets: Uint8Array[] = [];
      let room = this.mtu - 16;
      if (this.messages % this.templateEvery === 0) {
        const t = this.templateSet();
        sets.push(t);
        room -= t.length;
      }
      // One data set per message, of the family of its first row.
      const v4 = isV4Mapped(c.src_addr, r * 4) && isV4Mapped(c.dst_addr, r * 4);
      const recLen = v4 ? V4_LEN : V6_LEN;
      const max = Math.max(1, Math.floor((room - 4) / recLen));
      const rows: number[] = [];
      while (r < batch.length && rows.length < max && (isV4Mapped(c.src_addr, r * 4) && isV4Mapped(c.dst_addr, r * 4)) === v4) rows.push(r++);
      const set = new Uint8Array(4 + rows.length * recLen);
      const dv = new DataView(set.buffer);
      dv.setUint16(0, v4 ? V4_ID : V6_ID);
      dv.setUint16(2, set.length);
      let o = 4;
      for (const row of rows) {
        if (v4) {
          dv.setUint32(o, c.src_addr[row * 4 + 3]);
          dv.setUint32(o + 4, c.dst_addr[row * 4 + 3]);
          o += 8;
        } else {
          for (let k = 0; k < 4; k++) dv.setUint32(o + 4 * k, c.src_addr[row * 4 + k]);
          for (let k = 0; k < 4; k++) dv.setUint32(o + 16 + 4 * k, c.dst_addr[row * 4 + k]);
          o += 32;
        }
        dv.setUint16(o, c.src_port[row]);
        dv.setUint16(o + 2, c.dst_port[row]);
        dv.setUint8(o + 4, c.protocol[row]);
        dv.setUint8(o + 5, c.tcp_flags[row]);
        dv.setBigUint64(o + 6, BigInt(c.packets[row]));
        dv.setBigUint64(o + 14, BigInt(c.bytes[row]));
        const first = c.first_ms[row] || c.start[row] * 1000;
        const last = c.last_ms[row] || Math.max(first, c.end[row] * 1000);
        dv.setBigUint64(o + 22, BigInt(first));
        dv.setBigUint64(o + 30, BigInt(last));
        dv.setUint32(o + 38, c.in_if[row]);
        dv.setUint32(o + 42, c.out_if[row]);
        dv.setUint8(o + 46, c.direction[row]);
        dv.setUint8(o + 47, c.action[row] === 1 ? 128 : 64);
        dv.setUint16(o + 48, c.vlan[row]);
        o += 50;
      }
      sets.push(set);
      out.push(this.message(sets, rows.length, exportSecs));
    }
    return out;
  }
}
