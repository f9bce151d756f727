// The inner loop of template decoding. A template is compiled once into a flat Int32Array of
// (op, offset, length, slot) quads; each data record is then a straight pass over that array
// writing into the batch's typed arrays or into a small per-decoder scratch of numbers that the
// record's finishing step turns into times, counters and the action. No objects, no closures.

import type { Columns } from './columns.js';

export const OP_SRC_V4 = 1;
export const OP_DST_V4 = 2;
export const OP_SRC_V6 = 3;
export const OP_DST_V6 = 4;
export const OP_NAT_SRC_V4 = 5;
export const OP_NAT_DST_V4 = 6;
export const OP_NAT_SRC_V6 = 7;
export const OP_NAT_DST_V6 = 8;
export const OP_SRC_PORT = 9;
export const OP_DST_PORT = 10;
export const OP_NAT_SRC_PORT = 11;
export const OP_NAT_DST_PORT = 12;
export const OP_PROTO = 13;
export const OP_TCP_FLAGS = 14;
export const OP_IN_IF = 15;
export const OP_OUT_IF = 16;
export const OP_VLAN = 17;
export const OP_SRC_MAC = 18;
export const OP_DST_MAC = 19;
export const OP_DIRECTION = 20;
/** Unsigned number into scratch slot `slot`. */
export const OP_SLOT = 21;
/** Where a variable-length field starts and how long it is, into `slot` and `slot + 1`. */
export const OP_SPAN = 22;

export const OP_SRC_ASN = 23;
export const OP_DST_ASN = 24;

/** Width of one compiled op in the Int32Array. */
export const OP_WIDTH = 4;

// Scratch slots: numbers a record leaves for its finishing step.
export const S_PACKETS = 0;
export const S_BYTES = 1;
export const S_FIRST = 2;
export const S_LAST = 3;
export const S_DURATION = 4;
export const S_ICMP_TYPECODE = 5;
export const S_ICMP_TYPE = 6;
export const S_ICMP_CODE = 7;
export const S_FW_EVENT = 8;
export const S_FWD_STATUS = 9;
export const S_SAMPLER_ID = 10;
export const S_SAMPLING_INTERVAL = 11;
export const S_PACKET_INTERVAL = 12;
export const S_PACKET_SPACE = 13;
export const S_SAMPLE_SIZE = 14;
export const S_POPULATION = 15;
export const S_REV_PACKETS = 16;
export const S_REV_BYTES = 17;
export const S_REV_FLAGS = 18;
export const S_REV_FIRST = 19;
export const S_REV_LAST = 20;
export const S_FRAME_SIZE = 21;
export const S_FRAME = 22; // and 23: offset, length
export const S_INIT_TIME = 24;
export const SLOT_COUNT = 26;

export function read32(d: Uint8Array, o: number): number {
  return ((d[o] << 24) | (d[o + 1] << 16) | (d[o + 2] << 8) | d[o + 3]) >>> 0;
}

export function read16(d: Uint8Array, o: number): number {
  return (d[o] << 8) | d[o + 1];
}

/**
 * Big-endian unsigned integer of 1-8 bytes (reduced-size encoding makes any width legal).
 * Above 2^53 precision is lost in the low bits, which no real counter reaches.
 */
export function readUint(d: Uint8Array, o: number, len: number): number {
  switch (len) {
    case 1:
      return d[o];
    case 2:
      return (d[o] << 8) | d[o + 1];
    case 4:
      return read32(d, o);
    case 8:
      return read32(d, o) * 4294967296 + read32(d, o + 4);
    default: {
      let v = 0;
      for (let k = 0; k < len; k++) v = v * 256 + d[o + k];
      return v;
    }
  }
}

function readMac(d: Uint8Array, o: number): number {
  return ((d[o] << 8) | d[o + 1]) * 4294967296 + read32(d, o + 2);
}

/** IPv4 into an address column, unless it is 0.0.0.0 and the row already holds an address. */
function setV4Unless0(w: Uint32Array, a: number, v: number): void {
  if (v === 0 && (w[a] | w[a + 1] | w[a + 2] | w[a + 3]) !== 0) return;
  w[a] = 0;
  w[a + 1] = 0;
  w[a + 2] = 0xffff;
  w[a + 3] = v;
}

/** IPv6 into an address column, unless it is :: (an unset alternative never erases the other family). */
function setV6Unless0(w: Uint32Array, a: number, d: Uint8Array, o: number): void {
  const w0 = read32(d, o);
  const w1 = read32(d, o + 4);
  const w2 = read32(d, o + 8);
  const w3 = read32(d, o + 12);
  if ((w0 | w1 | w2 | w3) === 0) return;
  w[a] = w0;
  w[a + 1] = w1;
  w[a + 2] = w2;
  w[a + 3] = w3;
}

/**
 * Runs the compiled ops of one record starting at `base`. The caller has checked that the
 * whole record lies inside `d`, so no op reads out of bounds.
 */
export function runOps(ops: Int32Array, d: Uint8Array, base: number, c: Columns, row: number, s: Float64Array): void {
  const n = ops.length;
  const a = row << 2;
  for (let i = 0; i < n; i += OP_WIDTH) {
    const o = base + ops[i + 1];
    switch (ops[i]) {
      case OP_SLOT:
        s[ops[i + 3]] = readUint(d, o, ops[i + 2]);
        break;
      case OP_SRC_V4:
        setV4Unless0(c.src_addr, a, read32(d, o));
        break;
      case OP_DST_V4:
        setV4Unless0(c.dst_addr, a, read32(d, o));
        break;
      case OP_SRC_V6:
        setV6Unless0(c.src_addr, a, d, o);
        break;
      case OP_DST_V6:
        setV6Unless0(c.dst_addr, a, d, o);
        break;
      case OP_SRC_PORT:
        c.src_port[row] = readUint(d, o, ops[i + 2]);
        break;
      case OP_DST_PORT:
        c.dst_port[row] = readUint(d, o, ops[i + 2]);
        break;
      case OP_PROTO:
        c.protocol[row] = d[o + ops[i + 2] - 1];
        break;
      case OP_TCP_FLAGS:
        // 16-bit tcpControlBits carries NS/CWR/ECE above the classic byte; the column is a byte.
        c.tcp_flags[row] = d[o + ops[i + 2] - 1];
        break;
      case OP_IN_IF:
        c.in_if[row] = readUint(d, o, ops[i + 2]);
        break;
      case OP_OUT_IF:
        c.out_if[row] = readUint(d, o, ops[i + 2]);
        break;
      case OP_VLAN:
        c.vlan[row] = readUint(d, o, ops[i + 2]) & 0x0fff;
        break;
      case OP_SRC_MAC:
        c.src_mac[row] = readMac(d, o);
        break;
      case OP_DST_MAC:
        c.dst_mac[row] = readMac(d, o);
        break;
      case OP_DIRECTION:
        // flowDirection: 0 ingress, 1 egress; anything else is not a direction we can name.
        c.direction[row] = d[o + ops[i + 2] - 1] === 1 ? 1 : 0;
        break;
      case OP_NAT_SRC_V4:
        setV4Unless0(c.nat_src_addr, a, read32(d, o));
        break;
      case OP_NAT_DST_V4:
        setV4Unless0(c.nat_dst_addr, a, read32(d, o));
        break;
      case OP_NAT_SRC_V6:
        setV6Unless0(c.nat_src_addr, a, d, o);
        break;
      case OP_NAT_DST_V6:
        setV6Unless0(c.nat_dst_addr, a, d, o);
        break;
      case OP_NAT_SRC_PORT:
        c.nat_src_port[row] = readUint(d, o, ops[i + 2]);
        break;
      case OP_NAT_DST_PORT:
        c.nat_dst_port[row] = readUint(d, o, ops[i + 2]);
        break;
      case OP_SRC_ASN:
        c.src_asn[row] = readUint(d, o, ops[i + 2]);
        break;
      case OP_DST_ASN:
        c.dst_asn[row] = readUint(d, o, ops[i + 2]);
        break;
      case OP_SPAN:
        s[ops[i + 3]] = o;
        s[ops[i + 3] + 1] = ops[i + 2];
        break;
    }
  }
}
