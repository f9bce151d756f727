// Notifiers by type. Adding one is adding a module and a line here.

import { z } from 'zod';
import { emailNotifier } from './email.js';
import type { NotifierDefinition } from './notifier.js';
import { syslogNotifier } from './syslog.js';
import { webhookNotifier } from './webhook.js';

export const NOTIFIERS = [webhookNotifier, syslogNotifier, emailNotifier] as const;

export const NOTIFIER_CONFIG = z.discriminatedUnion('type', [webhookNotifier.config, syslogNotifier.config, emailNotifier.config] as unknown as [z.ZodObject, z.ZodObject, z.ZodObject]);

export type NotifierConfig = { type: string; name?: string; min_severity: 'low' | 'medium' | 'high' | 'critical'; events: string[]; rate_per_minute: number; burst: number } & Record<string, unknown>;

export function notifierDefinition(type: string): NotifierDefinition<unknown> | undefined {
  return (NOTIFIERS as readonly NotifierDefinition<unknown>[]).find((n) => n.type === type);
}
