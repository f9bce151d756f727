// flowlogs alerts: the alerts in a data directory (raised by the service, import or capture),
// read straight from the alert file, so it works whether or not a server runs; ack and resolve
// append status changes that a running server picks up.

import os from 'node:os';
import path from 'node:path';
import { ALERT_STATUSES, byRecency, matches, type Alert, type AlertFilter, type AlertStatus } from '../alerts/alert.js';
import { AlertLog, type StatusChange } from '../alerts/alert-log.js';
import { detectionSections } from '../alerts/threat-detection.js';
import { evidenceCommand } from '../alerts/notify/message.js';
import { RuleSet } from '../alerts/rules.js';
import { loadConfig, section } from '../config/load.js';
import { DETECTOR_NAMES } from '../detect/registry.js';
import { SEVERITIES, type Severity } from '../detect/finding.js';
import { storeConfig } from '../store/config.js';
import { openDataDir } from '../store/datadir.js';
import { InputError } from '../util/errors.js';
import { parseTime } from '../util/time.js';
import { int, list, oneOf, parseFlags, str, type Io, type Verb } from './args.js';
import { renderTable } from './table.js';

const ACTIONS = ['list', 'show', 'ack', 'resolve', 'reopen', 'rules'] as const;

const iso = (t: number) => new Date(t * 1000).toISOString().slice(0, 19) + 'Z';

/** The alert as users see it (without the bookkeeping fields). */
export function publicAlert(a: Alert): Record<string, unknown> {
  const { last_window: _w, window_flows: _f, rev: _r, ...rest } = a;
  return rest;
}

function listed<T extends string>(p: ReturnType<typeof parseFlags>, name: string, allowed: readonly T[]): T[] | undefined {
  const v = list(p, name);
  if (v.length === 0) return undefined;
  for (const x of v) if (!allowed.includes(x as T)) throw new InputError(`flowlogs alerts: --${name}: '${x}' must be one of ${allowed.join(', ')}`);
  return v as T[];
}

export const alertsVerb: Verb = {
  name: 'alerts',
  summary: 'list, show, acknowledge and resolve alerts raised by the detectors',
  usage: `flowlogs alerts list    [--status S,..] [--severity S,..] [--detector D,..] [--from T] [--to T] [--limit N] [--format table|jsonl] [--data DIR]
flowlogs alerts show    ID [--format table|jsonl] [--data DIR]
flowlogs alerts ack     ID [--note TEXT] [--by NAME] [--data DIR]
flowlogs alerts resolve ID [--note TEXT] [--by NAME] [--data DIR]
flowlogs alerts reopen  ID [--data DIR]
flowlogs alerts rules   [--config FILE] [--data DIR]

  list      newest first; by default open and acknowledged alerts (--status all for every one)
  show      one alert: entities, figures, and the query that lists its evidence flows
  ack       acknowledge (a running server keeps folding new findings into it, without notifying)
  resolve   close it; the next finding about the same thing opens a new alert
  rules     the rules in force: built-in, from the config file and created through the API
  --from/--to  alerts active in that record-time range (ISO-8601, unix seconds, -15m …)`,
  async run(argv: string[], io: Io): Promise<number> {
    const p = parseFlags('alerts', argv, {
      status: { type: 'string', multiple: true },
      severity: { type: 'string', multiple: true },
      detector: { type: 'string', multiple: true },
      rule: { type: 'string', multiple: true },
      from: { type: 'string' },
      to: { type: 'string' },
      limit: { type: 'string' },
      format: { type: 'string' },
      note: { type: 'string' },
      by: { type: 'string' },
      data: { type: 'string' },
      config: { type: 'string', short: 'c' },
    });
    const [action, ...rest] = p.positionals;
    if (!action) throw new InputError(`flowlogs alerts: name an action (${ACTIONS.join(', ')})`);
    if (!(ACTIONS as readonly string[]).includes(action)) throw new InputError(`flowlogs alerts: unknown action '${action}' (actions: ${ACTIONS.join(', ')})`);
    const cfg = loadConfig(str(p, 'config'));
    const data = path.resolve(str(p, 'data') ?? section(cfg, 'store', storeConfig).data);
    const format = oneOf(p, 'format', 'alerts', ['table', 'jsonl'] as const, 'table');

    if (action === 'rules') {
      const { alerts } = detectionSections(cfg);
      const rules = new RuleSet(alerts.rules, alerts.window_s, openDataDir(data, { create: false }).root).effective();
      if (format === 'jsonl') io.out.write(rules.map((r) => JSON.stringify(r)).join('\n') + '\n');
      else io.out.write(renderTable(['id', 'detector', 'enabled', 'window_s', 'severity', 'scope', 'params', 'origin'], rules.map((r) => [r.id, r.detector, r.enabled ? 'yes' : 'no', r.window_s, r.severity ?? '', r.scope ?? '', JSON.stringify(r.params ?? {}), r.origin])));
      return 0;
    }

    const log = new AlertLog(openDataDir(data, { create: false }).root);
    const alerts = log.readAll();
    if (action === 'list') {
      if (rest.length) throw new InputError(`flowlogs alerts list: unexpected argument '${rest[0]}'`);
      const statuses = list(p, 'status');
      const filter: AlertFilter = {
        status: statuses.includes('all') ? undefined : (listed<AlertStatus>(p, 'status', ALERT_STATUSES) ?? ['open', 'acknowledged']),
        severity: listed<Severity>(p, 'severity', SEVERITIES),
        detector: listed(p, 'detector', DETECTOR_NAMES),
        rule: list(p, 'rule').length ? list(p, 'rule') : undefined,
        from: str(p, 'from') !== undefined ? parseTime(str(p, 'from')!, '--from') : undefined,
        to: str(p, 'to') !== undefined ? parseTime(str(p, 'to')!, '--to') : undefined,
      };
      const limit = int(p, 'limit', 'alerts', 0) ?? (format === 'table' ? 50 : Number.MAX_SAFE_INTEGER);
      const found = [...alerts.values()].filter((a) => matches(a, filter)).sort(byRecency);
      const shown = found.slice(0, limit);
      if (format === 'jsonl') {
        io.out.write(shown.map((a) => JSON.stringify(publicAlert(a))).join('\n') + (shown.length ? '\n' : ''));
        return 0;
      }
      io.out.write(renderTable(['id', 'severity', 'status', 'detector', 'last_seen', 'windows', 'flows', 'title'], shown.map((a) => [a.id, a.severity, a.status, a.detector, iso(a.last_seen), a.windows, a.flows, a.title.length > 90 ? a.title.slice(0, 87) + '...' : a.title])));
      io.err.write(`${shown.length} alert${shown.length === 1 ? '' : 's'}${found.length > shown.length ? ` of ${found.length} (use --limit for more)` : ''}\n`);
      return 0;
    }

    if (rest.length !== 1) throw new InputError(`flowlogs alerts ${action}: name one alert id`);
    const id = rest[0];
    const a = alerts.get(id);
    if (!a) throw new InputError(`flowlogs alerts ${action}: no alert with id '${id}' in ${data}`);
    if (action === 'show') {
      if (format === 'jsonl') {
        io.out.write(JSON.stringify(publicAlert(a)) + '\n');
        return 0;
      }
      const e = a.entities;
      const rows: [string, string][] = [
        ['id', a.id],
        ['title', a.title],
        ['severity', a.severity],
        ['status', a.status + (a.status === 'acknowledged' ? ` by ${a.acknowledged_by} at ${a.acknowledged_at}` : a.status === 'resolved' ? ` by ${a.resolved_by} at ${a.resolved_at}` : '')],
        ['detector', `${a.detector} (rule ${a.rule})`],
        ['group', a.group],
        ['seen', `${iso(a.first_seen)} to ${iso(a.last_seen)}, ${a.windows} window${a.windows === 1 ? '' : 's'}, ${a.flows} flows`],
        ['addresses', e.addresses.join(', ')],
        ['interfaces', e.interfaces.join(', ')],
        ['ports', e.ports.join(', ')],
        ['protocols', e.protocols.join(', ')],
        ['accounts', e.accounts.join(', ')],
        ['figures', Object.entries(a.metrics).map(([k, v]) => `${k}=${v}`).join(', ')],
        ['evidence', a.evidence.query],
        ['range', `${iso(a.evidence.from)} to ${iso(a.evidence.to)}`],
        ['flows', evidenceCommand(a) + ` --data ${data}`],
      ];
      if (a.note) rows.push(['note', a.note]);
      const w = Math.max(...rows.map(([k]) => k.length));
      io.out.write(rows.filter(([, v]) => v !== '').map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n') + '\n');
      return 0;
    }
    const status: AlertStatus = action === 'ack' ? 'acknowledged' : action === 'resolve' ? 'resolved' : 'open';
    const change: StatusChange = { id, status, by: str(p, 'by') ?? safeUser(), at: new Date().toISOString(), note: str(p, 'note') };
    await log.setStatus(change);
    io.err.write(`${id}: ${status}\n`);
    return 0;
  },
};

function safeUser(): string {
  try {
    return os.userInfo().username || 'cli';
  } catch {
    return 'cli';
  }
}
