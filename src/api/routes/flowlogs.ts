// /api/flowlogs: the flow-log objects. GET lists, POST creates, GET/PATCH/DELETE /:id read,
// change and remove one (by id or name), POST /:id/enable and /:id/disable switch it. Changes
// apply to the running pipeline within a second. A token limited to some accounts sees and
// changes only flow logs whose scope belongs to one of them (known from the inventory).

import type { FastifyInstance, FastifyReply } from 'fastify';
import type { z } from 'zod';
import { flowLogInputSchema, flowLogPatchSchema, inputFromBody, resolveScope, type FlowLog, type FlowLogPatch } from '../../flowlogs/flow-log.js';
import { FlowLogNotFoundError, type FlowLogRegistry } from '../../flowlogs/registry.js';
import type { InventorySource } from '../../inventory/current-inventory.js';
import type { InventoryIndex } from '../../inventory/inventory-index.js';
import { InputError } from '../../util/errors.js';
import type { ApiContext } from '../context.js';
import { ALL_ACCOUNTS, type Principal } from '../tokens.js';

/** The ApiContext fields these routes need (absent: the routes answer 503). */
export interface FlowLogsApiContext extends ApiContext {
  flowLogs?: FlowLogRegistry;
  inventory?: InventorySource;
}

function accountOf(inv: InventoryIndex | undefined, scopeType: string, scopeId: string): string | undefined {
  if (!inv) return undefined;
  if (scopeType === 'vpc') return inv.vpc(scopeId)?.accountId;
  if (scopeType === 'subnet') return inv.subnet(scopeId)?.vpc.accountId;
  return inv.eni(scopeId)?.accountId;
}

function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const r = schema.safeParse(body ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
  throw new InputError(`${where}${issue.code === 'unrecognized_keys' ? `unknown field '${issue.keys[0]}'` : issue.message}`);
}

export function flowLogsRoutes(app: FastifyInstance, base: ApiContext): void {
  const ctx = base as FlowLogsApiContext;
  const inventory = () => ctx.inventory?.get();
  const mayUse = (p: Principal, l: Pick<FlowLog, 'scope_type' | 'scope_id'>): boolean => {
    if (p.accounts.includes(ALL_ACCOUNTS)) return true;
    const a = accountOf(inventory(), l.scope_type, l.scope_id);
    return a !== undefined && p.accounts.includes(a);
  };
  const registry = (reply: FastifyReply): FlowLogRegistry | undefined => {
    if (!ctx.flowLogs) reply.code(503).send({ error: 'flow logs are not available on this server' });
    return ctx.flowLogs;
  };
  // One lookup for every /:id route: unknown and not-yours look the same (404).
  const find = (r: FlowLogRegistry, p: Principal, id: string): FlowLog => {
    const l = r.find(id);
    if (!mayUse(p, l)) throw new FlowLogNotFoundError(`no flow log '${id}'`);
    return l;
  };
  const notFound = (reply: FastifyReply, e: unknown) => {
    if (e instanceof FlowLogNotFoundError) return reply.code(404).send({ error: e.message });
    throw e;
  };

  app.get('/api/flowlogs', async (req, reply) => {
    const r = registry(reply);
    if (!r) return reply;
    return { flow_logs: r.list().filter((l) => mayUse(req.principal, l)) };
  });

  app.post('/api/flowlogs', async (req, reply) => {
    const r = registry(reply);
    if (!r) return reply;
    const input = inputFromBody(parseBody(flowLogInputSchema, req.body));
    const inv = inventory();
    // Placed in the inventory first, so a tenant cannot create a flow log over another's network.
    const scope = resolveScope(input.scope_id ?? '', input.scope_type, inv);
    if (!mayUse(req.principal, scope)) return reply.code(403).send({ error: `your token does not cover the account of ${scope.scope_type} ${scope.scope_id}` });
    const log = await r.create({ ...input, scope_id: scope.scope_id, scope_type: scope.scope_type }, inv);
    return reply.code(201).send(log);
  });

  app.get<{ Params: { id: string } }>('/api/flowlogs/:id', async (req, reply) => {
    const r = registry(reply);
    if (!r) return reply;
    try {
      return find(r, req.principal, req.params.id);
    } catch (e) {
      return notFound(reply, e);
    }
  });

  const change = async (req: { principal: Principal; params: { id: string } }, reply: FastifyReply, patch: FlowLogPatch) => {
    const r = registry(reply);
    if (!r) return reply;
    try {
      const l = find(r, req.principal, req.params.id);
      const moves = patch.scope_id !== undefined || patch.scope_type !== undefined;
      if (moves) {
            const scope = resolveScope(patch.scope_id ?? l.scope_id, patch.scope_type, inventory());
        if (!mayUse(req.principal, scope)) return reply.code(403).send({ error: `your token does not cover the account of ${scope.scope_type} ${scope.scope_id}` });
      }
      return await r.update(l.id, patch, moves ? inventory() : undefined);
    } catch (e) {
      return notFound(reply, e);
    }
  };

  app.patch<{ Params: { id: string } }>('/api/flowlogs/:id', async (req, reply) => {
    const patch = inputFromBody(parseBody(flowLogPatchSchema, req.body));
    if (Object.keys(patch).length === 0) throw new InputError('nothing to change: send any of name, scope_id, scope_type, traffic_type, window, destinations, enabled');
    return change(req, reply, patch);
  });

  app.post<{ Params: { id: string } }>('/api/flowlogs/:id/enable', async (req, reply) => change(req, reply, { enabled: true }));
  app.post<{ Params: { id: string } }>('/api/flowlogs/:id/disable', async (req, reply) => change(req, reply, { enabled: false }));

  app.delete<{ Params: { id: string } }>('/api/flowlogs/:id', async (req, reply) => {
    const r = registry(reply);
    if (!r) return reply;
    try {
      const l = find(r, req.principal, req.params.id);
      return { deleted: await r.delete(l.id) };
    } catch (e) {
      return notFound(reply, e);
    }
  });
}
