// The detector contract. A detector reads rows of stored batches straight from their columns,
// keeps bounded state for the current record-time window, and reports findings through its
// environment, either as soon as a threshold is crossed or when the window closes. Which rows
// it sees and which window it is in are decided by the engine (engine.ts).

import type { z } from 'zod';
import type { InventoryIndex } from '../inventory/inventory-index.js';
import type { IntelIndex } from '../intel/intel-index.js';
import type { FlowBatch } from '../schema/batch.js';
import type { BaselineMetric, BaselineRegistry } from './baselines.js';
import type { Finding, Severity } from './finding.js';
import type { InsideRanges } from './flow-traits.js';

/** The window rows are being read into; times are record time (unix s). */
export interface WindowInfo {
  /** Window number: start / seconds. */
  index: number;
  start: number;
  end: number;
  seconds: number;
  /** Earliest record start read into this window (late records fold into the open window). */
  from: number;
}

export interface DetectorEnv {
  /** The rule this instance runs for. */
  rule: string;
  /** The rule's severity, when it sets one; detectors use their own otherwise. */
  severity?: Severity;
  windowSeconds: number;
  /** The inventory in force (it may be replaced while running); undefined when there is none. */
  inventory(): InventoryIndex | undefined;
  /** The threat-intelligence index in force now (lists reload). */
  intel(): IntelIndex | undefined;
  baselines: BaselineRegistry;
  /** What counts as inside the network (private ranges and the inventory's VPC blocks). */
  inside: InsideRanges;
  emit(f: Finding): void;
}

/**
 * What several detectors need of every row, worked out once per batch (index by row): both
 * ends hashed with two seeds (hashAddress in hash.ts), and whether the row is a failed
 * connection attempt (failedAttempt in flow-traits.ts; 1 or 0).
 */
export interface BatchFacts {
  srcA: Uint32Array;
  srcB: Uint32Array;
  dstA: Uint32Array;
  dstB: Uint32Array;
  failed: Uint8Array;
}

export interface Detector {
  /** Reads rows rows[0 … n-1] of the batch into window `win`. */
  observe(batch: FlowBatch, rows: Uint32Array, n: number, win: WindowInfo, h: BatchFacts): void;
  /** The window is over: report what is only known at its end, then forget its state. */
  closeWindow(win: WindowInfo): void;
  /** Bytes of state held now. */
  stateBytes(): number;
}

export interface DetectorDefinition<P = unknown> {
  readonly name: string;
  readonly description: string;
  readonly severity: Severity;
  /** Parameters with their defaults (thresholds); unknown keys are refused. */
  readonly params: z.ZodType<P>;
  create(params: P, env: DetectorEnv): Detector;
  /** Baselines the detector reads, so they can be learned from stored history before it runs. */
  baselines?(params: P): BaselineMetric[];
}

/** Picks a rule's severity over the detector's own. */
export function severityOf(env: DetectorEnv, own: Severity): Severity {
  return env.severity ?? own;
}
