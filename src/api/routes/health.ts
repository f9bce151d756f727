import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';

export function healthRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/api/health', { config: { public: true } }, async () => {
    const s = ctx.store.stats();
    return { status: 'ok', version: ctx.version, uptime_s: Math.round(process.uptime()), store: { dialect: ctx.store.dialect, ...s } };
  });
}
