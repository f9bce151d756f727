// Email notifications through an SMTP relay: a plain-text message (UTF-8, base64) per alert.

import crypto from 'node:crypto';
import fs from 'node:fs';
import { z } from 'zod';
import { subject, textBody, type Notification } from './message.js';
import { commonNotifierConfig, type Notifier, type NotifierDefinition } from './notifier.js';
import { sendMail, type SmtpOptions } from './smtp-client.js';

const address = z.string().regex(/^[^\s<>@]+@[^\s<>@]+$/, 'an email address such as soc@example.com');

const config = z
  .object({
    type: z.literal('email'),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(25),
    /** TLS from the first byte (usually port 465). */
    secure: z.boolean().default(false),
    starttls: z.enum(['auto', 'always', 'never']).default('auto'),
    username: z.string().optional(),
    password: z.string().optional(),
    from: address,
    to: z.array(address).min(1),
    /** Verify the server's certificate. */
    tls_reject_unauthorized: z.boolean().default(true),
    /** PEM file of certificates to trust (a private CA). */
    ca_file: z.string().optional(),
    helo_name: z.string().optional(),
    timeout_s: z.number().positive().default(30),
    retries: z.number().int().min(0).max(10).default(2),
    ...commonNotifierConfig,
  })
  .strict();

type Config = z.infer<typeof config>;

/** RFC 2047 encoded word for header text that is not plain ASCII. */
function headerText(s: string): string {
  return /^[\x20-\x7e]*$/.test(s) ? s : `=?UTF-8?B?${Buffer.from(s, 'utf8').toString('base64')}?=`;
}

export function emailMessage(n: Notification, from: string, to: readonly string[], now = new Date()): string {
  const body = Buffer.from(textBody(n), 'utf8').toString('base64').replace(/.{1,76}/g, '$&\r\n');
  const domain = from.split('@')[1];
  return [
    `From: ${from}`,
    `To: ${to.join(', ')}`,
    `Subject: ${headerText(subject(n))}`,
    `Date: ${now.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${n.alert.id}.${n.event}.${crypto.randomBytes(6).toString('hex')}@${domain}>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: base64',
    `X-Flowlogs-Alert: ${n.alert.id}`,
    '',
    body,
  ].join('\r\n');
}

class Email implements Notifier {
  private readonly smtp: SmtpOptions;

  constructor(
    readonly name: string,
    private readonly cfg: Config,
  ) {
    this.smtp = {
      host: cfg.host,
      port: cfg.port,
      secure: cfg.secure,
      starttls: cfg.starttls,
      username: cfg.username,
      password: cfg.password,
      heloName: cfg.helo_name,
      timeoutMs: cfg.timeout_s * 1000,
      rejectUnauthorized: cfg.tls_reject_unauthorized,
      ca: cfg.ca_file ? fs.readFileSync(cfg.ca_file, 'utf8') : undefined,
    };
  }

  async send(n: Notification): Promise<void> {
    const msg = emailMessage(n, this.cfg.from, this.cfg.to);
    let last: unknown;
    for (let attempt = 0; attempt <= this.cfg.retries; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 1000 * 2 ** (attempt - 1)));
      try {
        await sendMail(this.smtp, this.cfg.from, this.cfg.to, msg);
        return;
      } catch (e) {
        last = e;
        // 5xx replies are permanent: the same message would be refused again.
        const code = (e as { code?: unknown }).code;
        if (typeof code === 'number' && code >= 500) break;
      }
    }
    throw last;
  }
}

export const emailNotifier: NotifierDefinition<Config> = {
  type: 'email',
  config,
  create: (cfg, name) => new Email(name, cfg),
};
