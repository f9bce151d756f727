// /api/alerts: the alerts the detectors raised (list, one, its evidence flows), their lifecycle
// (acknowledge, resolve, reopen) and the rules that raise them. A caller limited to some
// accounts sees the alerts that involve them; changing rules needs access to every account.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ALERT_STATUSES, visibleTo, type AlertFilter, type AlertStatus } from '../../alerts/alert.js';
import type { ThreatDetection } from '../../alerts/threat-detection.js';
import { DETECTORS } from '../../detect/registry.js';
import { SEVERITIES, type Severity } from '../../detect/finding.js';
import { andFilters, exactFilter, parseFilter } from '../../query/index.js';
import { InputError } from '../../util/errors.js';
import { parseTime } from '../../util/time.js';
import type { ApiContext } from '../context.js';
import { scopeFilters } from '../scope.js';
import { ALL_ACCOUNTS } from '../tokens.js';

/** The API context with threat detection (absent where the service runs without it). */
export interface AlertsApiContext extends ApiContext {
  alerts?: ThreatDetection;
}

const MAX_LIMIT = 10_000;

function values<T extends string>(q: Record<string, unknown>, name: string, allowed?: readonly T[]): T[] | undefined {
  const v = q[name];
  if (v === undefined) return undefined;
  const list = (Array.isArray(v) ? v : [v]).flatMap((x) => String(x).split(',')).filter((x) => x !== '');
  if (allowed) for (const x of list) if (!allowed.includes(x as T)) throw new InputError(`${name}: '${x}' must be one of ${allowed.join(', ')}`);
  return list as T[];
}

function one(q: Record<string, unknown>, name: string): string | undefined {
  const v = q[name];
  return Array.isArray(v) ? String(v[0]) : v === undefined ? undefined : String(v);
}

export function alertsRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const detection = () => (ctx as AlertsApiContext).alerts!;
  // Servers that run without detection (read-only API nodes) answer, rather than fail, here.
  app.addHook('onRequest', async (req, reply) => {
    if (!req.url.startsWith('/api/alerts') || (ctx as AlertsApiContext).alerts) return;
    reply.code(503).send({ error: 'threat detection is not running on this server' });
    return reply;
  });
  const accounts = (req: FastifyRequest) => req.principal.accounts;
  const visible = (req: FastifyRequest, id: string) => {
    const a = detection().center.get(id);
    if (!a || !visibleTo(a, accounts(req))) throw Object.assign(new Error(`no alert with id '${id}'`), { statusCode: 404 });
    return a;
  };
  const admin = (req: FastifyRequest) => {
    if (!req.principal.accounts.includes(ALL_ACCOUNTS)) throw Object.assign(new Error('changing rules needs a token for every account'), { statusCode: 403 });
  };

  app.get('/api/alerts', async (req) => {
    const q = req.query as Record<string, unknown>;
    const filter: AlertFilter = {
      status: values<AlertStatus>(q, 'status', ALERT_STATUSES),
      severity: values<Severity>(q, 'severity', SEVERITIES),
      detector: values(q, 'detector', [...DETECTORS.keys()]),
      rule: values(q, 'rule'),
      group: one(q, 'group'),
      from: one(q, 'from') !== undefined ? parseTime(one(q, 'from')!, 'from') : undefined,
      to: one(q, 'to') !== undefined ? parseTime(one(q, 'to')!, 'to') : undefined,
      accounts: accounts(req),
    };
    const limitText = one(q, 'limit') ?? '100';
    if (!/^\d+$/.test(limitText)) throw new InputError(`limit: '${limitText}' is not a whole number`);
    const alerts = detection().center.list(filter, Math.min(Number(limitText), MAX_LIMIT));
    return { count: alerts.length, alerts };
  });

  app.get('/api/alerts/rules', async () => {
    const d = detection();
    return {
      rules: d.rules.effective(),
      detectors: [...DETECTORS.values()].map((x) => ({ name: x.name, description: x.description, severity: x.severity, params: x.params.parse({}) })),
    };
  });

  app.put('/api/alerts/rules/:id', async (req) => {
    admin(req);
    const { id } = req.params as { id: string };
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (body.id !== undefined && body.id !== id) throw new InputError(`the body's id '${String(body.id)}' differs from the URL's '${id}'`);
    return detection().rules.put({ ...body, id });
  });

  app.delete('/api/alerts/rules/:id', async (req) => {
    admin(req);
    const { id } = req.params as { id: string };
    await detection().rules.delete(id);
    return { deleted: id };
  });

  app.get('/api/alerts/:id', async (req) => visible(req, (req.params as { id: string }).id));

  app.get('/api/alerts/:id/flows', async (req) => {
    const a = visible(req, (req.params as { id: string }).id);
    const limitText = one(req.query as Record<string, unknown>, 'limit') ?? '1000';
    if (!/^\d+$/.test(limitText)) throw new InputError(`limit: '${limitText}' is not a whole number`);
    const scope = scopeFilters(req.principal);
    const filter = scope.length ? andFilters(parseFilter(a.evidence.query), exactFilter(scope)) : parseFilter(a.evidence.query);
    const batch = await ctx.store.flows({ range: { from: a.evidence.from, to: a.evidence.to }, filter, limit: Math.min(Number(limitText), 100_000), order: 'oldest' });
    return { alert: a.id, query: a.evidence.query, from: a.evidence.from, to: a.evidence.to, count: batch.length, flows: [...batch.rows()] };
  });

  const lifecycle = (path: string, status: AlertStatus) =>
    app.post(path, async (req) => {
      const { id } = req.params as { id: string };
      visible(req, id);
      const body = (req.body ?? {}) as { note?: unknown };
      if (body.note !== undefined && typeof body.note !== 'string') throw new InputError('note must be text');
      return detection().center.setStatus(id, status, req.principal.name, body.note as string | undefined);
    });
  lifecycle('/api/alerts/:id/ack', 'acknowledged');
  lifecycle('/api/alerts/:id/resolve', 'resolved');
  lifecycle('/api/alerts/:id/reopen', 'open');
}
