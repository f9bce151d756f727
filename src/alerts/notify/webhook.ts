// Webhooks: an HTTP POST of JSON per notification, either the alert as we store it ("json")
// or a message Slack (and Mattermost, Rocket.Chat, which take the same shape) can post
// ("slack"). Failures are retried with backoff; a 4xx other than 429 is not.

import { z } from 'zod';
import { errorMessage } from '../../util/errors.js';
import { evidenceCommand, facts, subject, type Notification } from './message.js';
import { commonNotifierConfig, type Notifier, type NotifierDefinition } from './notifier.js';

const config = z
  .object({
    type: z.literal('webhook'),
    url: z.string().url(),
    format: z.enum(['json', 'slack']).default('json'),
    headers: z.record(z.string(), z.string()).default({}),
    timeout_s: z.number().positive().default(10),
    retries: z.number().int().min(0).max(10).default(3),
    ...commonNotifierConfig,
  })
  .strict();

type Config = z.infer<typeof config>;

const EMOJI: Record<string, string> = { low: ':information_source:', medium: ':warning:', high: ':rotating_light:', critical: ':fire:' };

export function slackMessage(n: Notification): Record<string, unknown> {
  const a = n.alert;
  const fields = facts(n)
    .filter(([k]) => !['Evidence', 'Alert', 'Event'].includes(k))
    .map(([k, v]) => ({ type: 'mrkdwn', text: `*${k}*\n${v}` }));
  const blocks: Record<string, unknown>[] = [
    { type: 'section', text: { type: 'mrkdwn', text: `${EMOJI[a.severity] ?? ''} *${escape(a.title)}*` } },
    { type: 'section', fields: fields.slice(0, 10) },
    { type: 'section', text: { type: 'mrkdwn', text: `*Evidence*\n\`${escape(evidenceCommand(a))}\`` } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: `${a.id} · ${n.event}${n.suppressed ? ` · ${n.suppressed} earlier notifications not sent (rate limit)` : ''}` }] },
  ];
  return { text: subject(n), blocks };
}

function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

class Webhook implements Notifier {
  constructor(
    readonly name: string,
    private readonly cfg: Config,
  ) {}

  async send(n: Notification): Promise<void> {
    const body = this.cfg.format === 'slack' ? slackMessage(n) : { event: n.event, suppressed: n.suppressed, alert: n.alert };
    let last = '';
    for (let attempt = 0; attempt <= this.cfg.retries; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 500 * 2 ** (attempt - 1)));
      try {
        const res = await fetch(this.cfg.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'flowlogs', ...this.cfg.headers },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(this.cfg.timeout_s * 1000),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) return;
        last = `HTTP ${res.status}`;
        if (res.status >= 400 && res.status < 500 && res.status !== 429) break;
      } catch (e) {
        last = errorMessage(e);
      }
    }
    throw new Error(`${this.cfg.url}: ${last}`);
  }
}

export const webhookNotifier: NotifierDefinition<Config> = {
  type: 'webhook',
  config,
  create: (cfg, name) => new Webhook(name, cfg),
};
