// Routes alert events to the configured notifiers: each takes the events and severities it
// asked for, within its rate limit (what the limit drops is counted and mentioned in the next
// message that goes out). Sending happens in the background; `stop` waits for what is under
// way.

import { severityRank } from '../../detect/finding.js';
import type { MetricsRegistry } from '../../metrics/registry.js';
import { InputError, errorMessage } from '../../util/errors.js';
import { silentLogger, type Logger } from '../../util/log.js';
import type { Alert } from '../alert.js';
import type { AlertEvent, AlertListener } from '../center.js';
import type { Notifier } from './notifier.js';
import { TokenBucket } from './rate-limit.js';
import { notifierDefinition, type NotifierConfig } from './registry.js';

interface Route {
  notifier: Notifier;
  cfg: NotifierConfig;
  bucket: TokenBucket;
  suppressed: number;
}

export class NotificationDispatcher implements AlertListener {
  private readonly routes: Route[];
  private readonly pending = new Set<Promise<void>>();
  private readonly log: Logger;

  constructor(
    configs: readonly NotifierConfig[],
    private readonly opts: { log?: Logger; metrics?: MetricsRegistry; now?: () => number } = {},
  ) {
    this.log = opts.log ?? silentLogger;
    this.routes = configs.map((cfg, i) => {
      const def = notifierDefinition(cfg.type);
      if (!def) throw new InputError(`alerts.notify[${i}]: unknown type '${cfg.type}'`);
      const name = cfg.name ?? `${cfg.type}-${i + 1}`;
      return { cfg, notifier: def.create(cfg, name, { log: this.log }), bucket: new TokenBucket(cfg.rate_per_minute, cfg.burst, opts.now), suppressed: 0 };
    });
  }

  get size(): number {
    return this.routes.length;
  }

  private count(name: string, result: string): void {
    this.opts.metrics?.counter('flowlogs_notifications_total', 'Alert notifications, by notifier and result').inc({ notifier: name, result });
  }

  onAlert(event: AlertEvent, alert: Alert): void {
    for (const r of this.routes) {
      if (!r.cfg.events.includes(event) || severityRank(alert.severity) < severityRank(r.cfg.min_severity)) continue;
      if (!r.bucket.take()) {
        r.suppressed++;
        this.count(r.notifier.name, 'rate_limited');
        continue;
      }
      const suppressed = r.suppressed;
      r.suppressed = 0;
      const p = r.notifier.send({ event, alert, suppressed }).then(
        () => this.count(r.notifier.name, 'sent'),
        (e: unknown) => {
          this.count(r.notifier.name, 'failed');
          this.log.error({ notifier: r.notifier.name, alert: alert.id, err: errorMessage(e) }, 'notification failed');
        },
      );
      this.pending.add(p);
      void p.finally(() => this.pending.delete(p));
    }
  }

  /** Waits for the notifications under way. */
  async drain(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  async stop(): Promise<void> {
    await this.drain();
    for (const r of this.routes) await r.notifier.close?.().catch(() => {});
  }
}
