// Turns a fixed-length template's op list into one straight-line function: no dispatch per field,
// offsets as constants, the reads the JIT can fold. The op interpreter (ops.ts) gives the same
// result and serves variable-length templates and templates too new to be worth compiling.
//
// Only integers from the op array (op codes, offsets, lengths, slot numbers, all produced by
// Template's compiler) reach the generated source; nothing from a datagram's bytes does.

import type { Columns } from './columns.js';
import * as O from './ops.js';

export type RecordReader = (d: Uint8Array, p: number, c: Columns, row: number, s: Float64Array) => void;

function int(n: number): string {
  if (!Number.isInteger(n)) throw new Error(`not an integer: ${n}`);
  return String(n);
}

function byte(o: number): string {
  return `d[p + ${int(o)}]`;
}

function u16(o: number): string {
  return `((${byte(o)} << 8) | ${byte(o + 1)})`;
}

function u32(o: number): string {
  return `(((${byte(o)} << 24) | (${byte(o + 1)} << 16) | (${byte(o + 2)} << 8) | ${byte(o + 3)}) >>> 0)`;
}

/** Big-endian unsigned of 1-8 bytes, as ops.readUint computes it. */
function uint(o: number, len: number): string {
  switch (len) {
    case 1:
      return byte(o);
    case 2:
      return u16(o);
    case 4:
      return u32(o);
    case 8:
      return `(${u32(o)} * 4294967296 + ${u32(o + 4)})`;
    default: {
      let e = '0';
      for (let k = 0; k < len; k++) e = `(${e} * 256 + ${byte(o + k)})`;
      return e;
    }
  }
}

const ADDRESS_COLUMN: Record<number, string> = {
  [O.OP_SRC_V4]: 'src_addr',
  [O.OP_DST_V4]: 'dst_addr',
  [O.OP_NAT_SRC_V4]: 'nat_src_addr',
  [O.OP_NAT_DST_V4]: 'nat_dst_addr',
  [O.OP_SRC_V6]: 'src_addr',
  [O.OP_DST_V6]: 'dst_addr',
  [O.OP_NAT_SRC_V6]: 'nat_src_addr',
  [O.OP_NAT_DST_V6]: 'nat_dst_addr',
};

const NUMBER_COLUMN: Record<number, string> = {
  [O.OP_SRC_PORT]: 'src_port',
  [O.OP_DST_PORT]: 'dst_port',
  [O.OP_NAT_SRC_PORT]: 'nat_src_port',
  [O.OP_NAT_DST_PORT]: 'nat_dst_port',
  [O.OP_IN_IF]: 'in_if',
  [O.OP_OUT_IF]: 'out_if',
  [O.OP_SRC_ASN]: 'src_asn',
  [O.OP_DST_ASN]: 'dst_asn',
};

/** Source of a function equivalent to runOps(ops, …) for records of a fixed-length template. */
export function readerSource(ops: Int32Array): string {
  const lines: string[] = ['const a = row << 2;', 'let v = 0, w0 = 0, w1 = 0, w2 = 0, w3 = 0;'];
  // Rows arrive zeroed, so an address written once needs no "is it set already" test.
  const writers = new Map<string, number>();
  for (let i = 0; i < ops.length; i += O.OP_WIDTH) {
    const col = ADDRESS_COLUMN[ops[i]];
    if (col) writers.set(col, (writers.get(col) ?? 0) + 1);
  }
  for (let i = 0; i < ops.length; i += O.OP_WIDTH) {
    const op = ops[i];
    const o = ops[i + 1];
    const len = ops[i + 2];
    const slot = ops[i + 3];
    const addr = ADDRESS_COLUMN[op];
    if (addr) {
      const w = `c.${addr}`;
      const v4 = op === O.OP_SRC_V4 || op === O.OP_DST_V4 || op === O.OP_NAT_SRC_V4 || op === O.OP_NAT_DST_V4;
      const alone = writers.get(addr) === 1;
      if (v4) {
        lines.push(`v = ${u32(o)};`);
        const write = `{ const w = ${w}; w[a] = 0; w[a + 1] = 0; w[a + 2] = 0xffff; w[a + 3] = v; }`;
        lines.push(alone ? write : `if (v !== 0 || (${w}[a] | ${w}[a + 1] | ${w}[a + 2] | ${w}[a + 3]) !== 0) ${write}`);
      } else {
        lines.push(`w0 = ${u32(o)}; w1 = ${u32(o + 4)}; w2 = ${u32(o + 8)}; w3 = ${u32(o + 12)};`);
        const write = `{ const w = ${w}; w[a] = w0; w[a + 1] = w1; w[a + 2] = w2; w[a + 3] = w3; }`;
        lines.push(alone ? write : `if ((w0 | w1 | w2 | w3) !== 0) ${write}`);
      }
      continue;
    }
    const num = NUMBER_COLUMN[op];
    if (num) {
      lines.push(`c.${num}[row] = ${uint(o, len)};`);
      continue;
    }
    switch (op) {
      case O.OP_SLOT:
        lines.push(`s[${int(slot)}] = ${uint(o, len)};`);
        break;
      case O.OP_PROTO:
        lines.push(`c.protocol[row] = ${byte(o + len - 1)};`);
        break;
      case O.OP_TCP_FLAGS:
        lines.push(`c.tcp_flags[row] = ${byte(o + len - 1)};`);
        break;
      case O.OP_VLAN:
        lines.push(`c.vlan[row] = ${uint(o, len)} & 0x0fff;`);
        break;
      case O.OP_SRC_MAC:
        lines.push(`c.src_mac[row] = ${u16(o)} * 4294967296 + ${u32(o + 2)};`);
        break;
      case O.OP_DST_MAC:
        lines.push(`c.dst_mac[row] = ${u16(o)} * 4294967296 + ${u32(o + 2)};`);
        break;
      case O.OP_DIRECTION:
        lines.push(`c.direction[row] = ${byte(o + len - 1)} === 1 ? 1 : 0;`);
        break;
      case O.OP_SPAN:
        lines.push(`s[${int(slot)}] = p + ${int(o)}; s[${int(slot + 1)}] = ${int(len)};`);
        break;
      default:
        throw new Error(`op ${op} has no compiled form`);
    }
  }
  return lines.join('\n');
}

/** A compiled reader for a fixed-length template's ops. */
export function compileReader(ops: Int32Array): RecordReader {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function('d', 'p', 'c', 'row', 's', readerSource(ops)) as RecordReader;
}
