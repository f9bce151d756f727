// GET /api/flows: records in a time range with exact-field filters (?src_port=22&action=REJECT;
// several values comma-separated), newest first. The full query language has its own route.

import type { FastifyInstance } from 'fastify';
import { FIELD_NAMES, isFieldName } from '../../schema/fields.js';
import { batchToCsv, batchToJsonl, csvHeader } from '../../schema/formats.js';
import type { FieldFilter } from '../../store/store.js';
import { InputError } from '../../util/errors.js';
import { didYouMean } from '../../util/suggest.js';
import { parseRange } from '../../util/time.js';
import type { ApiContext } from '../context.js';
import { scopeFilters } from '../scope.js';

const CONTROL = ['from', 'to', 'limit', 'order', 'format'];
const MAX_LIMIT = 100_000;

export function flowsRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/api/flows', async (req, reply) => {
    const q = req.query as Record<string, string | string[]>;
    const one = (k: string): string | undefined => (Array.isArray(q[k]) ? (q[k] as string[])[0] : (q[k] as string | undefined));
    const filters: FieldFilter[] = [];
    for (const [k, v] of Object.entries(q)) {
      if (CONTROL.includes(k)) continue;
      if (!isFieldName(k)) throw new InputError(`unknown parameter '${k}'${didYouMean(k, [...FIELD_NAMES, ...CONTROL])}`);
      const values = (Array.isArray(v) ? v : [v]).flatMap((x) => x.split(',')).filter((x) => x !== '');
      filters.push({ field: k, values });
    }
    filters.push(...scopeFilters(req.principal));
    const range = parseRange(one('from'), one('to'));
    const limitText = one('limit') ?? '100';
    if (!/^\d+$/.test(limitText)) throw new InputError(`limit: '${limitText}' is not a whole number`);
    const limit = Math.min(Number(limitText), MAX_LIMIT);
    const order = one('order') ?? 'newest';
    if (order !== 'newest' && order !== 'oldest') throw new InputError(`order: '${order}' must be newest or oldest`);
    const format = one('format') ?? 'json';
    const batch = await ctx.store.flows({ range, filters, limit, order });
    switch (format) {
      case 'json':
        return { from: range.from, to: range.to, count: batch.length, flows: [...batch.rows()] };
      case 'jsonl':
        reply.type('application/x-ndjson');
        return batchToJsonl(batch);
      case 'csv':
        reply.type('text/csv');
        return csvHeader() + batchToCsv(batch);
      default:
        throw new InputError(`format: '${format}' must be json, jsonl or csv`);
    }
  });
}
