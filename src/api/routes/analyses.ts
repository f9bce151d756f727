// GET /api/analyses/{top,series,sankey,mix,bandwidth,rejected}: the ready-made analyses over a
// time range and an optional filter (?filter=… in the query language), limited to the
// caller's accounts. Each answer carries the query that shows its evidence.

import type { FastifyInstance } from 'fastify';
import { bandwidth, mix, rejected, sankey, series, top, type AnalysisInput } from '../../analyze/analyses.js';
import { exactFilter } from '../../query/index.js';
import { InputError } from '../../util/errors.js';
import { parseRange } from '../../util/time.js';
import type { ApiContext } from '../context.js';
import { scopeFilters } from '../scope.js';

type Q = Record<string, string | undefined>;

function int(q: Q, name: string): number | undefined {
  const v = q[name];
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new InputError(`${name}: '${v}' is not a whole number`);
  return Number(v);
}

export function analysesRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const input = (req: { query: unknown; principal: Parameters<typeof scopeFilters>[0] }): { q: Q; i: AnalysisInput } => {
    const q = req.query as Q;
    return { q, i: { store: ctx.store, range: parseRange(q.from, q.to), filter: q.filter, scope: exactFilter(scopeFilters(req.principal)) } };
  };
  app.get('/api/analyses/top', async (req) => {
    const { q, i } = input(req);
    if (!q.by) throw new InputError('by: give the dimension to rank (src, dst, pair, port, protocol, eni, instance, subnet, vpc, src_country, dst_country, src_asn, dst_asn, action, rule)');
    return top(i, { by: q.by, metric: q.metric, limit: int(q, 'limit') });
  });
  app.get('/api/analyses/series', async (req) => {
    const { q, i } = input(req);
    return series(i, { bucket: int(q, 'bucket'), split: q.split, groups: int(q, 'groups') });
  });
  app.get('/api/analyses/sankey', async (req) => {
    const { q, i } = input(req);
    return sankey(i, { from: q.source ?? 'src_country', to: q.target ?? 'subnet', limit: int(q, 'limit') });
  });
  app.get('/api/analyses/mix', async (req) => {
    const { q, i } = input(req);
    return mix(i, { limit: int(q, 'limit') });
  });
  app.get('/api/analyses/bandwidth', async (req) => {
    const { q, i } = input(req);
    return bandwidth(i, { limit: int(q, 'limit') });
  });
  app.get('/api/analyses/rejected', async (req) => {
    const { q, i } = input(req);
    return rejected(i, { limit: int(q, 'limit') });
  });
}
