// Notifications arrive at servers on 127.0.0.1: a webhook endpoint (generic JSON and Slack),
// syslog over UDP and TCP, and SMTP with STARTTLS and authentication; rate limits hold.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MetricsRegistry } from '../../metrics/registry.js';
import type { Alert } from '../alert.js';
import { alertsConfig } from '../config.js';
import { NotificationDispatcher } from './dispatcher.js';
import { emailNotifier } from './email.js';
import { dotStuff } from './smtp-client.js';
import type { NotifierConfig } from './registry.js';
import { httpRecorder, selfSignedCert, smtpServer, syslogListener } from './test-servers.js';

const T = 1_767_225_600;

function alert(over: Partial<Alert> = {}): Alert {
  return {
    id: 'al_0123456789abcdef',
    rule: 'ssh',
    detector: 'brute_force',
    severity: 'high',
    title: 'SSH brute force on 10.0.0.5 from 198.51.100.4: 120 attempts',
    key: '198.51.100.4|10.0.0.5|22',
    group: '198.51.100.4',
    status: 'open',
    entities: { addresses: ['198.51.100.4', '10.0.0.5'], interfaces: ['eni-bastion'], ports: [22], protocols: [6], accounts: ['111'], vpcs: [], subnets: [] },
    first_seen: T,
    last_seen: T + 60,
    windows: 1,
    window_s: 60,
    flows: 240,
    metrics: { attempts: 120 },
    evidence: { query: 'src_addr:198.51.100.4 AND dst_addr:10.0.0.5 AND dst_port:22 AND protocol:6', from: T, to: T + 60 },
    created_at: '2026-01-01T00:01:00.000Z',
    updated_at: '2026-01-01T00:01:00.000Z',
    last_window: T,
    window_flows: 240,
    rev: 1,
    ...over,
  };
}

/** Notifier configs as the config file gives them (defaults applied). */
const notify = (...n: Record<string, unknown>[]) => alertsConfig.parse({ notify: n }).notify as NotifierConfig[];

test('webhooks: the alert as JSON, and a Slack-compatible message', async () => {
  const hook = await httpRecorder();
  const d = new NotificationDispatcher(notify({ type: 'webhook', url: hook.url, headers: { 'x-token': 's3cret' } }, { type: 'webhook', url: hook.url, format: 'slack' }));
  d.onAlert('opened', alert());
  await d.stop();
  assert.equal(hook.requests.length, 2);
  const json = hook.requests.map((r) => JSON.parse(r.body) as Record<string, any>);
  const generic = json.find((b) => b.alert)!;
  assert.equal(generic.event, 'opened');
  assert.equal(generic.alert.id, 'al_0123456789abcdef');
  assert.equal(generic.alert.evidence.query, alert().evidence.query);
  assert.equal(hook.requests.find((r) => r.body.includes('"alert"'))!.headers['x-token'], 's3cret');
  const slack = json.find((b) => b.blocks)!;
  assert.equal(slack.text, '[flowlogs] HIGH brute_force: SSH brute force on 10.0.0.5 from 198.51.100.4: 120 attempts');
  assert.match(JSON.stringify(slack.blocks), /flowlogs query 'src_addr:198\.51\.100\.4 AND dst_addr:10\.0\.0\.5 AND dst_port:22 AND protocol:6' --from 1767225600 --to 1767225660/);
  assert.equal(hook.requests[0].headers['content-type'], 'application/json');
  await hook.close();
});

test('webhooks retry a failing endpoint and give up on a refusing one', async () => {
  const flaky = await httpRecorder((n) => (n === 1 ? 503 : 200));
  const refusing = await httpRecorder(() => 404);
  const metrics = new MetricsRegistry();
  const d = new NotificationDispatcher(notify({ type: 'webhook', url: flaky.url, name: 'flaky' }, { type: 'webhook', url: refusing.url, name: 'refusing' }), { metrics });
  d.onAlert('opened', alert());
  await d.stop();
  assert.equal(flaky.requests.length, 2);
  assert.equal(refusing.requests.length, 1);
  const m = metrics.counter('flowlogs_notifications_total', '');
  assert.equal(m.get({ notifier: 'flaky', result: 'sent' }), 1);
  assert.equal(m.get({ notifier: 'refusing', result: 'failed' }), 1);
  await flaky.close();
  await refusing.close();
});

test('syslog: RFC 5424 messages with structured data, over UDP and over TCP with octet counting', async () => {
  const udp = await syslogListener('udp');
  const tcp = await syslogListener('tcp');
  const d = new NotificationDispatcher(notify({ type: 'syslog', host: '127.0.0.1', port: udp.port, hostname: 'fl1' }, { type: 'syslog', host: '127.0.0.1', port: tcp.port, protocol: 'tcp', facility: 'security', hostname: 'fl1' }));
  d.onAlert('opened', alert());
  d.onAlert('escalated', alert({ severity: 'critical', title: 'quote " and ] in a title' }));
  await d.drain();
  for (let i = 0; i < 50 && (udp.messages.length < 2 || tcp.messages.length < 2); i++) await new Promise((r) => setTimeout(r, 20));
  await d.stop();
  // local0 (16) · 8 + error (3) = 131; security (13) · 8 + critical (2) = 106.
  const rfc5424 = /^<(\d+)>1 (\S+) fl1 flowlogs (\d+) alert \[flowlogs@32473 ([^\]]|\\\])*\] (.*)$/;
  assert.equal(udp.messages.length, 2);
  const [u1] = udp.messages;
  const m = rfc5424.exec(u1)!;
  assert.ok(m, u1);
  assert.equal(m[1], '131');
  assert.ok(!Number.isNaN(Date.parse(m[2])));
  assert.match(u1, /id="al_0123456789abcdef"/);
  assert.match(u1, /evidence="src_addr:198\.51\.100\.4 AND dst_addr:10\.0\.0\.5 AND dst_port:22 AND protocol:6"/);
  assert.match(u1, / SSH brute force on 10\.0\.0\.5 from 198\.51\.100\.4: 120 attempts$/);
  assert.equal(tcp.messages.length, 2);
  assert.match(tcp.messages[0], /^<107>1 /); // security · 8 + 3
  assert.match(tcp.messages[1], /^<106>1 /);
  assert.match(tcp.messages[1], /event="escalated"/);
  await udp.close();
  await tcp.close();
});

test('email: delivered over STARTTLS with authentication, readable subject and body', async () => {
  const cert = selfSignedCert();
  const smtp = await smtpServer({ tls: cert, users: { alerts: 'pw' } });
  const d = new NotificationDispatcher(
    notify({ type: 'email', host: '127.0.0.1', port: smtp.port, from: 'flowlogs@example.com', to: ['soc@example.com', 'oncall@example.com'], username: 'alerts', password: 'pw', starttls: 'always', tls_reject_unauthorized: false }),
  );
  d.onAlert('opened', alert({ title: 'Überwachung: SSH brute force' }));
  await d.stop();
  assert.equal(smtp.mails.length, 1);
  const mail = smtp.mails[0];
  assert.equal(mail.tls, true);
  assert.equal(mail.user, 'alerts');
  assert.equal(mail.from, 'flowlogs@example.com');
  assert.deepEqual(mail.to, ['soc@example.com', 'oncall@example.com']);
  const [head, body] = mail.data.split('\r\n\r\n');
  const subject = /^Subject: =\?UTF-8\?B\?(.+)\?=$/m.exec(head)![1];
  assert.equal(Buffer.from(subject, 'base64').toString(), '[flowlogs] HIGH brute_force: Überwachung: SSH brute force');
  const text = Buffer.from(body.replace(/\r\n/g, ''), 'base64').toString('utf8');
  assert.match(text, /^Überwachung: SSH brute force\n/);
  assert.match(text, /Evidence: src_addr:198\.51\.100\.4 AND dst_addr:10\.0\.0\.5 AND dst_port:22 AND protocol:6/);
  assert.match(text, /List the flows: flowlogs query 'src_addr:198\.51\.100\.4/);
  // No command went in clear text after the upgrade but EHLO/STARTTLS.
  const clear = smtp.transcript.slice(0, smtp.transcript.indexOf('STARTTLS') + 1).map((l) => l.split(' ')[0]);
  assert.deepEqual(clear, ['EHLO', 'STARTTLS']);
  await smtp.close();
});

test('email: a refused recipient fails the notification without retrying; bad credentials too', async () => {
  const smtp = await smtpServer({ rejectRcpt: 'nobody@example.com' });
  const n = emailNotifier.create(emailNotifier.config.parse({ type: 'email', host: '127.0.0.1', port: smtp.port, from: 'a@example.com', to: ['nobody@example.com'], retries: 3 }), 'mail', { log: undefined as never });
  await assert.rejects(n.send({ event: 'opened', alert: alert(), suppressed: 0 }), /RCPT TO nobody@example.com: 550/);
  assert.equal(smtp.transcript.filter((l) => l.startsWith('MAIL')).length, 1);
  await smtp.close();
  const auth = await smtpServer({ users: { u: 'right' } });
  const bad = emailNotifier.create(emailNotifier.config.parse({ type: 'email', host: '127.0.0.1', port: auth.port, from: 'a@example.com', to: ['b@example.com'], username: 'u', password: 'wrong', retries: 0 }), 'mail', { log: undefined as never });
  await assert.rejects(bad.send({ event: 'opened', alert: alert(), suppressed: 0 }), /AUTH PLAIN: 535/);
  await auth.close();
});

test('dots at the start of a line are doubled in SMTP data', () => {
  assert.equal(dotStuff('a\n.b\n..c'), 'a\r\n..b\r\n...c\r\n.\r\n');
});

test('rate limits drop what is over the limit and say so in the next message; severity and event filters apply', async () => {
  const hook = await httpRecorder();
  let now = 0;
  const metrics = new MetricsRegistry();
  const d = new NotificationDispatcher(notify({ type: 'webhook', url: hook.url, name: 'hook', rate_per_minute: 1, burst: 2, min_severity: 'medium' }), { now: () => now, metrics });
  for (let i = 0; i < 5; i++) d.onAlert('opened', alert({ id: `al_${i}` }));
  d.onAlert('opened', alert({ id: 'al_low', severity: 'low' }));
  d.onAlert('resolved', alert({ id: 'al_done' }));
  await d.drain();
  assert.deepEqual(hook.requests.map((r) => JSON.parse(r.body).alert.id), ['al_0', 'al_1']);
  now += 60_000;
  d.onAlert('opened', alert({ id: 'al_next' }));
  await d.stop();
  const last = JSON.parse(hook.requests[2].body);
  assert.equal(last.alert.id, 'al_next');
  assert.equal(last.suppressed, 3);
  assert.equal(metrics.counter('flowlogs_notifications_total', '').get({ notifier: 'hook', result: 'rate_limited' }), 3);
  await hook.close();
});
