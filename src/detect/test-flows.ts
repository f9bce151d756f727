// Synthetic flows for the detectors' tests: plain records with sensible defaults, gathered
// into batches, and a sink that keeps every finding.

import type { FindingSink } from './engine.js';
import type { Finding } from './finding.js';
import { FlowBatch, type FlowRecord } from '../schema/batch.js';

export type Flow = Partial<Record<keyof FlowRecord, string | number | null>>;

/** A TCP connection that worked, one record, in the window starting at `start`. */
export function flow(f: Flow): Flow {
  return { protocol: 6, src_port: 40000, dst_port: 443, packets: 10, bytes: 5000, tcp_flags: 0x1b, action: 'ACCEPT', direction: 'egress', end: Number(f.start ?? 0) + 60, first_ms: Number(f.start ?? 0) * 1000, ...f };
}

export function batchOf(flows: readonly Flow[]): FlowBatch {
  const b = new FlowBatch(Math.max(1, flows.length), { shared: false });
  for (const f of flows) b.push(f);
  return b;
}

export class Collected implements FindingSink {
  readonly all: Finding[] = [];
  flushes = 0;

  accept(f: Finding): void {
    this.all.push(f);
  }

  async flush(): Promise<void> {
    this.flushes++;
  }

  /** Findings that were not refreshes of earlier ones. */
  get reported(): Finding[] {
    return this.all.filter((f) => !f.refresh);
  }

  of(detector: string): Finding[] {
    return this.reported.filter((f) => f.detector === detector);
  }
}
