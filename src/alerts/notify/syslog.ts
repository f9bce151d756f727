// Syslog (RFC 5424) over UDP (one message per datagram, RFC 5426) or TCP (octet-counted
// frames, RFC 6587), with the alert's fields as structured data so a SIEM can index them.

import dgram from 'node:dgram';
import net from 'node:net';
import os from 'node:os';
import { z } from 'zod';
import type { Severity } from '../../detect/finding.js';
import { type Notification } from './message.js';
import { commonNotifierConfig, type Notifier, type NotifierDefinition } from './notifier.js';

const FACILITIES: Record<string, number> = { kern: 0, user: 1, daemon: 3, auth: 4, syslog: 5, authpriv: 10, security: 13, local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23 };

const config = z
  .object({
    type: z.literal('syslog'),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(514),
    protocol: z.enum(['udp', 'tcp']).default('udp'),
    facility: z.enum(Object.keys(FACILITIES) as [string, ...string[]]).default('local0'),
    app_name: z.string().regex(/^[!-~]{1,48}$/).default('flowlogs'),
    hostname: z.string().regex(/^[!-~]{1,255}$/).optional(),
    timeout_s: z.number().positive().default(10),
    ...commonNotifierConfig,
  })
  .strict();

type Config = z.infer<typeof config>;

/** Syslog severities: critical 2, error 3, warning 4, notice 5. */
const LEVEL: Record<Severity, number> = { critical: 2, high: 3, medium: 4, low: 5 };

/** An SD-PARAM value with `"`, `\` and `]` escaped (RFC 5424 §6.3.3). */
function sdValue(v: string): string {
  return v.replace(/[\\"\]]/g, (c) => `\\${c}`);
}

/** Private enterprise number 32473 is the one RFC 5612 sets aside for documentation and examples. */
const SD_ID = 'flowlogs@32473';

export function syslogMessage(n: Notification, cfg: { facility: string; app_name: string; hostname?: string }, now = new Date()): string {
  const a = n.alert;
  const pri = FACILITIES[cfg.facility] * 8 + LEVEL[a.severity];
  const host = cfg.hostname ?? (os.hostname() || '-');
  const params: [string, string | number][] = [
    ['id', a.id],
    ['event', n.event],
    ['detector', a.detector],
    ['rule', a.rule],
    ['severity', a.severity],
    ['status', a.status],
    ['first_seen', a.first_seen],
    ['last_seen', a.last_seen],
    ['flows', a.flows],
    ['evidence', a.evidence.query],
    ['evidence_from', a.evidence.from],
    ['evidence_to', a.evidence.to],
  ];
  if (a.entities.addresses.length) params.push(['addresses', a.entities.addresses.join(',')]);
  if (a.entities.interfaces.length) params.push(['interfaces', a.entities.interfaces.join(',')]);
  if (n.suppressed) params.push(['suppressed', n.suppressed]);
  const sd = `[${SD_ID} ${params.map(([k, v]) => `${k}="${sdValue(String(v))}"`).join(' ')}]`;
  return `<${pri}>1 ${now.toISOString()} ${host} ${cfg.app_name} ${process.pid} alert ${sd} ${a.title}`;
}

class Syslog implements Notifier {
  private udp?: dgram.Socket;
  private tcp?: net.Socket;
  private connecting?: Promise<net.Socket>;

  constructor(
    readonly name: string,
    private readonly cfg: Config,
  ) {}

  async send(n: Notification): Promise<void> {
    const msg = Buffer.from(syslogMessage(n, this.cfg), 'utf8');
    if (this.cfg.protocol === 'udp') {
      this.udp ??= dgram.createSocket(net.isIPv6(this.cfg.host) ? 'udp6' : 'udp4');
      this.udp.unref();
      await new Promise<void>((resolve, reject) => this.udp!.send(msg, this.cfg.port, this.cfg.host, (e) => (e ? reject(e) : resolve())));
      return;
    }
    const sock = await this.connection();
    const frame = Buffer.concat([Buffer.from(`${msg.length} `), msg]);
    await new Promise<void>((resolve, reject) => sock.write(frame, (e) => (e ? reject(e) : resolve())));
  }

  private connection(): Promise<net.Socket> {
    if (this.tcp && !this.tcp.destroyed) return Promise.resolve(this.tcp);
    this.connecting ??= new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({ host: this.cfg.host, port: this.cfg.port });
      s.setTimeout(this.cfg.timeout_s * 1000, () => s.destroy(new Error('syslog connection timed out')));
      s.once('connect', () => {
        s.setTimeout(0);
        this.tcp = s;
        resolve(s);
      });
      s.once('error', reject);
      s.on('close', () => {
        if (this.tcp === s) this.tcp = undefined;
      });
      s.on('error', () => {});
    }).finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  async close(): Promise<void> {
    this.udp?.close();
    this.udp = undefined;
    if (this.tcp) await new Promise<void>((r) => this.tcp!.end(r));
    this.tcp = undefined;
  }
}

export const syslogNotifier: NotifierDefinition<Config> = {
  type: 'syslog',
  config,
  create: (cfg, name) => new Syslog(name, cfg),
};
