// What a notification says, in plain text (email, syslog) and as the pieces other formats
// arrange (Slack blocks): the alert's title, severity, who and what is involved, when (record
// time), and how to list its evidence flows.

import type { Alert } from '../alert.js';
import type { AlertEvent } from '../center.js';

export interface Notification {
  event: AlertEvent;
  alert: Alert;
  /** Notifications this notifier dropped since its last one (rate limit). */
  suppressed: number;
}

const iso = (t: number) => new Date(t * 1000).toISOString().replace('.000Z', 'Z');

export function subject(n: Notification): string {
  const a = n.alert;
  const what = n.event === 'opened' ? '' : ` [${n.event}]`;
  return `[flowlogs] ${a.severity.toUpperCase()} ${a.detector}${what}: ${a.title}`;
}

/** `flowlogs query …` that lists the evidence flows (shell-quoted). */
export function evidenceCommand(a: Alert): string {
  const q = `'${a.evidence.query.replace(/'/g, `'\\''`)}'`;
  return `flowlogs query ${q} --from ${a.evidence.from} --to ${a.evidence.to}`;
}

export function facts(n: Notification): [string, string][] {
  const a = n.alert;
  const e = a.entities;
  const rows: [string, string][] = [
    ['Alert', a.id],
    ['Event', n.event],
    ['Severity', a.severity],
    ['Detector', `${a.detector} (rule ${a.rule})`],
    ['Status', a.status],
    ['Seen', `${iso(a.first_seen)} to ${iso(a.last_seen)} (${a.windows} window${a.windows === 1 ? '' : 's'}, ${a.flows} flows)`],
  ];
  if (e.addresses.length) rows.push(['Addresses', e.addresses.join(', ')]);
  if (e.interfaces.length) rows.push(['Interfaces', e.interfaces.join(', ')]);
  if (e.ports.length) rows.push(['Ports', e.ports.join(', ')]);
  if (e.protocols.length) rows.push(['Protocols', e.protocols.join(', ')]);
  if (e.accounts.length) rows.push(['Accounts', e.accounts.join(', ')]);
  const m = Object.entries(a.metrics);
  if (m.length) rows.push(['Figures', m.map(([k, v]) => `${k}=${v}`).join(', ')]);
  rows.push(['Evidence', `${a.evidence.query}  [${iso(a.evidence.from)}, ${iso(a.evidence.to)})`]);
  return rows;
}

export function textBody(n: Notification): string {
  const lines = [n.alert.title, '', ...facts(n).map(([k, v]) => `${k}: ${v}`), '', `List the flows: ${evidenceCommand(n.alert)}`];
  if (n.suppressed > 0) lines.push('', `${n.suppressed} earlier notification${n.suppressed === 1 ? ' was' : 's were'} not sent (rate limit).`);
  return lines.join('\n') + '\n';
}
