// The HTTP server: Fastify with token authentication in front of one module per resource.

import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { isInputError } from '../util/errors.js';
import type { ApiContext } from './context.js';
import { alertsRoutes } from './routes/alerts.js';
import { answersRoutes } from './routes/answers.js';
import { consoleRoutes } from './routes/console.js';
import { analysesRoutes } from './routes/analyses.js';
import { flowLogsRoutes } from './routes/flowlogs.js';
import { flowsRoutes } from './routes/flows.js';
import { inventoryRoutes } from './routes/inventory.js';
import { healthRoutes } from './routes/health.js';
import { ingestRoutes } from './routes/ingest.js';
import { interfacesRoutes } from './routes/interfaces.js';
import { metricsRoutes } from './routes/metrics.js';
import { queryRoutes } from './routes/query.js';
import { ALL_ACCOUNTS } from './tokens.js';

export type RouteModule = (app: FastifyInstance, ctx: ApiContext) => void;

export const CORE_ROUTES: RouteModule[] = [healthRoutes, metricsRoutes, flowsRoutes, queryRoutes, ingestRoutes, interfacesRoutes, analysesRoutes, alertsRoutes, answersRoutes, flowLogsRoutes, inventoryRoutes, consoleRoutes];

function bearer(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  return m?.[1];
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

export async function buildApi(ctx: ApiContext, routes: RouteModule[] = CORE_ROUTES): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: ctx.log as FastifyBaseLogger, logController: new LogController({ disableRequestLogging: true }), bodyLimit: 64 * 1024 * 1024 }) as unknown as FastifyInstance;
  app.decorateRequest('principal', { getter: () => ({ name: 'anonymous', accounts: [ALL_ACCOUNTS] }) } as never);
  app.addHook('onRequest', async (req, reply) => {
    if (req.routeOptions.config?.public) return;
    if (!ctx.requireToken) return;
    const token = bearer(req.headers.authorization) ?? (req.headers['x-api-token'] as string | undefined);
    const p = token ? ctx.tokens.verify(token) : undefined;
    if (!p) {
      reply.code(401).send({ error: 'missing or invalid API token (send Authorization: Bearer <token>)' });
      return reply;
    }
    Object.defineProperty(req, 'principal', { value: p });
  });
  app.setErrorHandler((err, req, reply) => {
    if (isInputError(err)) return reply.code(400).send({ error: err.message });
    const e = err as { statusCode?: number; message: string; validation?: unknown };
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) return reply.code(e.statusCode).send({ error: e.message });
    req.log.error({ err }, 'request failed');
    return reply.code(500).send({ error: 'internal error' });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: `no route ${req.method} ${req.url.split('?')[0]}` }));
  for (const r of routes) r(app, ctx);
  return app;
}
