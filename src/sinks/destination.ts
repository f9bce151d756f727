// What a sink module implements: deliver one batch to its target, or fail. Failures are
// retried by the sink with backoff, in order, from the disk queue; a module only says
// whether a failure can be retried (the target is down, slow, overloaded) or not (the
// target rejected the data itself, so sending it again would fail again).

import type { FlowBatch } from '../schema/batch.js';
import type { MetricsRegistry } from '../metrics/registry.js';
import type { Logger } from '../util/log.js';

export interface DeliveryBatch {
  /**
   * Stable for these records across retries and restarts (`<sink>-<queue epoch>-<seq>`):
   * targets that deduplicate use it (object keys, message ids, document ids).
   */
  readonly id: string;
  readonly seq: number;
  readonly records: FlowBatch;
  /** Retries so far for this batch (0 on the first try). */
  readonly attempt: number;
  /**
   * The target may already hold this batch: a retry, or a batch that was in flight when the
   * previous process stopped. Targets without idempotent writes check before writing again.
   */
  readonly maybeDelivered: boolean;
}

export interface Destination {
  /** Prepares the target (tables, index templates, connections); retried like a delivery. */
  start?(): Promise<void>;
  deliver(batch: DeliveryBatch): Promise<void>;
  stop?(): Promise<void>;
}

/** The target refused the data itself: the batch is set aside instead of retried. */
export class PermanentError extends Error {
  override readonly name = 'PermanentError';
}

export function isPermanent(e: unknown): boolean {
  return e instanceof PermanentError || (e instanceof Error && e.name === 'PermanentError');
}

/** What a sink module gets besides its settings. */
export interface DestinationContext {
  /** The sink's name (config key). */
  readonly name: string;
  /** A directory in the data directory that belongs to this sink (state, journals). */
  readonly stateDir: string;
  readonly log: Logger;
  readonly metrics: MetricsRegistry;
}
