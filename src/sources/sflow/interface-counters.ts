// Interface counters from sFlow counter samples (generic interface counters, RFC 2233 style),
// kept apart from flow records: they describe an interface over time, not traffic between two
// endpoints, and are what interface-utilisation charts are drawn from. Columnar like FlowBatch.

import { formatIp } from '../../schema/ip.js';

/** One counter row as a plain object (slow path: tests, JSON). */
export interface InterfaceCounterRecord {
  time_ms: number;
  agent: string;
  sub_agent: number;
  sequence: number;
  source_id_type: number;
  source_id_index: number;
  if_index: number;
  if_type: number;
  if_speed: number;
  /** 0 unknown, 1 full duplex, 2 half duplex, 3 in, 4 out (sFlow ifDirection). */
  if_direction: number;
  if_admin_up: number;
  if_oper_up: number;
  in_octets: number;
  in_ucast_pkts: number;
  in_multicast_pkts: number;
  in_broadcast_pkts: number;
  in_discards: number;
  in_errors: number;
  in_unknown_protos: number;
  out_octets: number;
  out_ucast_pkts: number;
  out_multicast_pkts: number;
  out_broadcast_pkts: number;
  out_discards: number;
  out_errors: number;
  /** 1 true, 2 false (the MIB's TruthValue). */
  promiscuous: number;
}

export class InterfaceCounterBatch {
  length = 0;
  readonly capacity: number;
  readonly timeMs: Float64Array;
  /** Agent address, 4 words per row (IPv4-mapped for IPv4). */
  readonly agent: Uint32Array;
  readonly subAgent: Uint32Array;
  readonly sequence: Uint32Array;
  readonly sourceIdType: Uint8Array;
  readonly sourceIdIndex: Uint32Array;
  readonly ifIndex: Uint32Array;
  readonly ifType: Uint32Array;
  readonly ifSpeed: Float64Array;
  readonly ifDirection: Uint8Array;
  readonly ifAdminUp: Uint8Array;
  readonly ifOperUp: Uint8Array;
  readonly inOctets: Float64Array;
  readonly inUcastPkts: Uint32Array;
  readonly inMulticastPkts: Uint32Array;
  readonly inBroadcastPkts: Uint32Array;
  readonly inDiscards: Uint32Array;
  readonly inErrors: Uint32Array;
  readonly inUnknownProtos: Uint32Array;
  readonly outOctets: Float64Array;
  readonly outUcastPkts: Uint32Array;
  readonly outMulticastPkts: Uint32Array;
  readonly outBroadcastPkts: Uint32Array;
  readonly outDiscards: Uint32Array;
  readonly outErrors: Uint32Array;
  readonly promiscuous: Uint32Array;

  constructor(capacity = 1024) {
    this.capacity = capacity;
    this.timeMs = new Float64Array(capacity);
    this.agent = new Uint32Array(capacity * 4);
    this.subAgent = new Uint32Array(capacity);
    this.sequence = new Uint32Array(capacity);
    this.sourceIdType = new Uint8Array(capacity);
    this.sourceIdIndex = new Uint32Array(capacity);
    this.ifIndex = new Uint32Array(capacity);
    this.ifType = new Uint32Array(capacity);
    this.ifSpeed = new Float64Array(capacity);
    this.ifDirection = new Uint8Array(capacity);
    this.ifAdminUp = new Uint8Array(capacity);
    this.ifOperUp = new Uint8Array(capacity);
    this.inOctets = new Float64Array(capacity);
    this.inUcastPkts = new Uint32Array(capacity);
    this.inMulticastPkts = new Uint32Array(capacity);
    this.inBroadcastPkts = new Uint32Array(capacity);
    this.inDiscards = new Uint32Array(capacity);
    this.inErrors = new Uint32Array(capacity);
    this.inUnknownProtos = new Uint32Array(capacity);
    this.outOctets = new Float64Array(capacity);
    this.outUcastPkts = new Uint32Array(capacity);
    this.outMulticastPkts = new Uint32Array(capacity);
    this.outBroadcastPkts = new Uint32Array(capacity);
    this.outDiscards = new Uint32Array(capacity);
    this.outErrors = new Uint32Array(capacity);
    this.promiscuous = new Uint32Array(capacity);
  }

  get full(): boolean {
    return this.length >= this.capacity;
  }

  /** Claims the next row (every column overwritten by the writer); check `full` first. */
  addRow(): number {
    return this.length++;
  }

  reset(): void {
    this.length = 0;
  }

  get(row: number): InterfaceCounterRecord {
    return {
      time_ms: this.timeMs[row],
      agent: formatIp(this.agent, row * 4),
      sub_agent: this.subAgent[row],
      sequence: this.sequence[row],
      source_id_type: this.sourceIdType[row],
      source_id_index: this.sourceIdIndex[row],
      if_index: this.ifIndex[row],
      if_type: this.ifType[row],
      if_speed: this.ifSpeed[row],
      if_direction: this.ifDirection[row],
      if_admin_up: this.ifAdminUp[row],
      if_oper_up: this.ifOperUp[row],
      in_octets: this.inOctets[row],
      in_ucast_pkts: this.inUcastPkts[row],
      in_multicast_pkts: this.inMulticastPkts[row],
      in_broadcast_pkts: this.inBroadcastPkts[row],
      in_discards: this.inDiscards[row],
      in_errors: this.inErrors[row],
      in_unknown_protos: this.inUnknownProtos[row],
      out_octets: this.outOctets[row],
      out_ucast_pkts: this.outUcastPkts[row],
      out_multicast_pkts: this.outMulticastPkts[row],
      out_broadcast_pkts: this.outBroadcastPkts[row],
      out_discards: this.outDiscards[row],
      out_errors: this.outErrors[row],
      promiscuous: this.promiscuous[row],
    };
  }
}

/** Where counter rows go: a batch with room for one more row. */
export interface CounterSink {
  room(): InterfaceCounterBatch;
}

/** Keeps every counter row in memory: for tests and offline decodes. */
export class CounterList implements CounterSink {
  readonly batches: InterfaceCounterBatch[] = [];

  constructor(private readonly capacity = 1024) {}

  room(): InterfaceCounterBatch {
    let last = this.batches[this.batches.length - 1];
    if (!last || last.full) {
      last = new InterfaceCounterBatch(this.capacity);
      this.batches.push(last);
    }
    return last;
  }

  get length(): number {
    return this.batches.reduce((n, b) => n + b.length, 0);
  }

  records(): InterfaceCounterRecord[] {
    const out: InterfaceCounterRecord[] = [];
    for (const b of this.batches) for (let i = 0; i < b.length; i++) out.push(b.get(i));
    return out;
  }
}
