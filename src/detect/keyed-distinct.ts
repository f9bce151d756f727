// Window state shared by the detectors that count distinct things per key (destinations per
// source and port, ports per source and destination, attempts per client and server): a
// bounded KeyTable whose slots hold a flow count, a distinct counter and a "reported" mark,
// and the findings reported this window so their figures can be brought up to date when the
// window closes.

import { SlotDistinct } from './distinct.js';
import type { Finding } from './finding.js';
import { HllPool } from './hyperloglog.js';
import { KeyTable } from './key-table.js';

// u32 per slot: bitmap ×2, HLL block, flows (low 31 bits) and the reported mark (top bit).
const WIDTH = 4;
const U_FLOWS = 3;
const REPORTED = 0x80000000;
const FLOWS = 0x7fffffff;

export interface KeyedDistinctOptions {
  /** Slots per window at most (memory bound: 24 bytes each); default 2^20. */
  maxKeys?: number;
  /** Keys that may switch to HyperLogLog per window; default 4096. */
  heavyKeys?: number;
}

export class KeyedDistinct {
  readonly table: KeyTable;
  readonly pool: HllPool;
  readonly distinct: SlotDistinct;
  /** Findings reported this window, by slot. */
  readonly reported = new Map<number, Finding>();
  /** Whether the last add may have raised the slot's count. */
  grew = false;

  constructor(opts: KeyedDistinctOptions = {}) {
    this.table = new KeyTable({ f64Width: 0, u32Width: WIDTH, initialCapacity: 4096, maxCapacity: opts.maxKeys ?? 1 << 20 });
    this.pool = new HllPool(opts.heavyKeys ?? 4096, 10);
    this.distinct = new SlotDistinct(this.table, 0, this.pool);
  }

  /** Counts a flow for key (h1, h2) and adds an element; returns the slot, or -1 when the table is full. */
  add(h1: number, h2: number, elem: number): number {
    const t = this.table;
    const s = t.upsert(h1, h2);
    if (s < 0) return -1;
    const at = t.at(s) + U_FLOWS;
    if ((t.u32[at] & FLOWS) !== FLOWS) t.u32[at]++;
    this.grew = this.distinct.add(s, elem);
    return s;
  }

  isReported(s: number): boolean {
    return (this.table.u32[this.table.at(s) + U_FLOWS] & REPORTED) !== 0;
  }

  markReported(s: number, f: Finding): void {
    this.table.u32[this.table.at(s) + U_FLOWS] |= REPORTED;
    this.reported.set(s, f);
  }

  flows(s: number): number {
    return this.table.u32[this.table.at(s) + U_FLOWS] & FLOWS;
  }

  count(s: number): number {
    return this.distinct.estimate(s);
  }

  /** Whether the slot's distinct count has reached n (cheaper than count() while it has not). */
  reaches(s: number, n: number): boolean {
    return this.distinct.reaches(s, n);
  }

  /** The findings of this window with their figures at the window's end, then empties the state. */
  close(update: (f: Finding, slot: number) => void): Finding[] {
    const out: Finding[] = [];
    for (const [s, f] of this.reported) {
      update(f, s);
      out.push(f);
    }
    this.reported.clear();
    this.table.clear();
    this.pool.reset();
    return out;
  }

  get bytes(): number {
    return this.table.bytes + this.pool.bytes;
  }
}
