// Community ID v1 (Corelight's flow hash): the same id for both directions of a flow, so a
// SIEM can join our records with Zeek, Suricata or Elastic's own. Endpoints are put in a
// canonical order; ICMP uses type and code in place of ports, with request/reply types
// paired so that both halves of an exchange hash alike.

import { createHash } from 'node:crypto';

const ICMP4_PAIRS: Record<number, number> = { 8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 10: 9, 9: 10, 17: 18, 18: 17 };
const ICMP6_PAIRS: Record<number, number> = { 128: 129, 129: 128, 133: 134, 134: 133, 135: 136, 136: 135, 130: 131, 131: 130, 144: 145, 145: 144 };

function less(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/**
 * `src`/`dst` are 4 (IPv4) or 16 (IPv6) bytes. For ICMP (1) and ICMPv6 (58) pass the type as
 * `sport` and the code as `dport`. Protocols without ports hash with both ports 0.
 */
export function communityId(src: Uint8Array, dst: Uint8Array, proto: number, sport: number, dport: number, seed = 0): string {
  let oneWay = false;
  if (proto === 1 || proto === 58) {
    const pairs = proto === 1 ? ICMP4_PAIRS : ICMP6_PAIRS;
    const other = pairs[sport];
    if (other === undefined) oneWay = true;
    else dport = other;
  }
  let a = src;
  let b = dst;
  let pa = sport;
  let pb = dport;
  const c = less(a, b);
  if (!oneWay && (c > 0 || (c === 0 && pa > pb))) {
    [a, b] = [b, a];
    [pa, pb] = [pb, pa];
  }
  const withPorts = proto === 1 || proto === 58 || proto === 6 || proto === 17 || proto === 132;
  const buf = Buffer.alloc(2 + a.length * 2 + 2 + (withPorts ? 4 : 0));
  let o = buf.writeUInt16BE(seed, 0);
  buf.set(a, o);
  o += a.length;
  buf.set(b, o);
  o += b.length;
  buf[o++] = proto;
  buf[o++] = 0;
  if (withPorts) {
    o = buf.writeUInt16BE(pa, o);
    buf.writeUInt16BE(pb, o);
  }
  return '1:' + createHash('sha1').update(buf).digest('base64');
}

/** Community ID of a row's addresses (four words per address, IPv4-mapped for IPv4). */
export function communityIdOfWords(sw: Uint32Array, dw: Uint32Array, row: number, proto: number, sport: number, dport: number): string {
  const o = row * 4;
  const v4 = sw[o] === 0 && sw[o + 1] === 0 && sw[o + 2] === 0xffff && dw[o] === 0 && dw[o + 1] === 0 && dw[o + 2] === 0xffff;
  const bytes = (w: Uint32Array): Uint8Array => {
    if (v4) return new Uint8Array([w[o + 3] >>> 24, (w[o + 3] >>> 16) & 255, (w[o + 3] >>> 8) & 255, w[o + 3] & 255]);
    const out = new Uint8Array(16);
    for (let k = 0; k < 4; k++) {
      const x = w[o + k];
      out[k * 4] = x >>> 24;
      out[k * 4 + 1] = (x >>> 16) & 255;
      out[k * 4 + 2] = (x >>> 8) & 255;
      out[k * 4 + 3] = x & 255;
    }
    return out;
  };
  if (proto === 1 || proto === 58) return communityId(bytes(sw), bytes(dw), proto, dport >>> 8, dport & 255);
  return communityId(bytes(sw), bytes(dw), proto, sport, dport);
}
