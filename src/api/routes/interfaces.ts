// GET /api/interfaces/utilisation: interface rates and utilisation over time, from the
// counters exporters send (sFlow counter samples), for charts.

import type { FastifyInstance } from 'fastify';
import { parseIp } from '../../schema/ip.js';
import type { UtilisationRow } from '../../store/counters/counter-log.js';
import { InputError } from '../../util/errors.js';
import { parseRange } from '../../util/time.js';
import type { ApiContext } from '../context.js';

interface WithCounters {
  utilisation(q: { fromMs: number; toMs: number; agent?: string; ifIndex?: number }): Promise<UtilisationRow[]>;
}

export function interfacesRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/api/interfaces/utilisation', async (req, reply) => {
    const store = ctx.store as unknown as Partial<WithCounters>;
    if (typeof store.utilisation !== 'function') return reply.code(501).send({ error: `interface counters are not kept by the ${ctx.store.dialect} store` });
    const q = req.query as Record<string, string | undefined>;
    const range = parseRange(q.from, q.to);
    if (q.agent !== undefined && !parseIp(q.agent)) throw new InputError(`agent: '${q.agent}' is not an IP address`);
    if (q.if_index !== undefined && !/^\d+$/.test(q.if_index)) throw new InputError(`if_index: '${q.if_index}' is not a whole number`);
    const rows = await store.utilisation({ fromMs: range.from * 1000, toMs: range.to * 1000, agent: q.agent, ifIndex: q.if_index === undefined ? undefined : Number(q.if_index) });
    return { from: range.from, to: range.to, count: rows.length, rows };
  });
}
