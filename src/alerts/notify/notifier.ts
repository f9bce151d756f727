// The notifier contract and what every notifier's configuration shares (which events and
// severities it takes, its rate limit).

import { z } from 'zod';
import type { Logger } from '../../util/log.js';
import type { Notification } from './message.js';

export const commonNotifierConfig = {
  /** Name in logs and metrics; default: the type and position. */
  name: z.string().min(1).max(64).optional(),
  /** Lowest severity sent. */
  min_severity: z.enum(['low', 'medium', 'high', 'critical']).default('low'),
  events: z.array(z.enum(['opened', 'escalated', 'acknowledged', 'resolved'])).min(1).default(['opened', 'escalated']),
  /** Notifications per minute, and how many may be saved up for a burst. */
  rate_per_minute: z.number().positive().default(10),
  burst: z.number().int().min(1).default(20),
};

export interface Notifier {
  readonly name: string;
  /** Delivers one notification; rejects when it could not (after its own retries). */
  send(n: Notification): Promise<void>;
  close?(): Promise<void>;
}

export interface NotifierDeps {
  log: Logger;
}

export interface NotifierDefinition<C> {
  readonly type: string;
  readonly config: z.ZodType<C>;
  create(cfg: C, name: string, deps: NotifierDeps): Notifier;
}
