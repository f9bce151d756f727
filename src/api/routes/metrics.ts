import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';

export function metricsRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/metrics', async (_req, reply) => {
    reply.type('text/plain; version=0.0.4');
    return ctx.metrics.render();
  });
}
