// The batch columns the decoder writes, bound once per batch as plain fields of one class, so
// the generated record readers see a single object shape whatever batch they write into.

import type { FlowBatch, StringDict } from '../../schema/batch.js';

// Columns may live in shared memory (batches handed to other threads), hence ArrayBufferLike.
const NO_U8: Uint8Array<ArrayBufferLike> = new Uint8Array(0);
const NO_U16: Uint16Array<ArrayBufferLike> = new Uint16Array(0);
const NO_U32: Uint32Array<ArrayBufferLike> = new Uint32Array(0);
const NO_F64: Float64Array<ArrayBufferLike> = new Float64Array(0);

export class Columns {
  private batch: FlowBatch | null = null;
  version = NO_U8;
  interfaceCodes = NO_U32;
  interfaceDict: StringDict | null = null;
  src_addr = NO_U32;
  dst_addr = NO_U32;
  src_port = NO_U16;
  dst_port = NO_U16;
  protocol = NO_U8;
  packets = NO_F64;
  bytes = NO_F64;
  start = NO_U32;
  end = NO_U32;
  first_ms = NO_F64;
  last_ms = NO_F64;
  action = NO_U8;
  tcp_flags = NO_U8;
  direction = NO_U8;
  sampling_rate = NO_U32;
  exporter = NO_U32;
  in_if = NO_U32;
  out_if = NO_U32;
  vlan = NO_U16;
  src_mac = NO_F64;
  dst_mac = NO_F64;
  nat_src_addr = NO_U32;
  nat_dst_addr = NO_U32;
  nat_src_port = NO_U16;
  nat_dst_port = NO_U16;
  src_asn = NO_U32;
  dst_asn = NO_U32;

  /** Points the fields at `b`'s columns (a no-op when it already does). */
  bind(b: FlowBatch): void {
    if (b === this.batch) return;
    this.batch = b;
    const c = b.cols;
    this.version = c.version;
    this.interfaceCodes = c.interface_id.codes;
    this.interfaceDict = c.interface_id.dict;
    this.src_addr = c.src_addr;
    this.dst_addr = c.dst_addr;
    this.src_port = c.src_port;
    this.dst_port = c.dst_port;
    this.protocol = c.protocol;
    this.packets = c.packets;
    this.bytes = c.bytes;
    this.start = c.start;
    this.end = c.end;
    this.first_ms = c.first_ms;
    this.last_ms = c.last_ms;
    this.action = c.action;
    this.tcp_flags = c.tcp_flags;
    this.direction = c.direction;
    this.sampling_rate = c.sampling_rate;
    this.exporter = c.exporter;
    this.in_if = c.in_if;
    this.out_if = c.out_if;
    this.vlan = c.vlan;
    this.src_mac = c.src_mac;
    this.dst_mac = c.dst_mac;
    this.nat_src_addr = c.nat_src_addr;
    this.nat_dst_addr = c.nat_dst_addr;
    this.nat_src_port = c.nat_src_port;
    this.nat_dst_port = c.nat_dst_port;
    this.src_asn = c.src_asn;
    this.dst_asn = c.dst_asn;
  }
}
