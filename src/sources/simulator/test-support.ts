// Shared by the simulator's tests: run windows into memory and read records back.

import { FlowBatch, type FlowRecord } from '../../schema/batch.js';
import { BatchList, type BatchSink } from '../source.js';
import type { Simulator } from './simulator.js';

export interface Window {
  start: number;
  end: number;
  records: FlowRecord[];
}

export function runWindows(sim: Simulator, n: number, capacity = 8192): Window[] {
  const out: Window[] = [];
  for (let i = 0; i < n; i++) {
    const list = new BatchList(capacity);
    const { start, end, flows } = sim.nextWindow(list);
    const records = list.records();
    if (records.length !== flows) throw new Error(`window ${i}: ${flows} flows reported, ${records.length} written`);
    out.push({ start, end, records });
  }
  return out;
}

/** Whether a record is the answer of a connection: the service port on the source side, an ephemeral one on the destination side (ICMP: an echo reply). */
export function looksLikeReply(r: FlowRecord): boolean {
  if (r.protocol === 6 || r.protocol === 17) return r.src_port < 32768 && r.dst_port >= 32768;
  if (r.protocol === 1) return r.dst_port >> 8 === 0;
  if (r.protocol === 58) return r.dst_port >> 8 === 129;
  return false;
}

/** A sink that only lets rows be written: one batch, emptied whenever it fills (for counting). */
export function discardingSink(capacity = 8192): BatchSink {
  const b = new FlowBatch(capacity);
  return {
    room() {
      if (b.full) b.reset();
      return b;
    },
  };
}
