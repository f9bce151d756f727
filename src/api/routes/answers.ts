// Answers, not rows: GET /api/diagnose (why A can or cannot reach B) and /api/answers/…
// (storms, hogs, policy hits/unused/broad/propose, baselines, capacity, regions). Each reads
// the time range (?from, ?to) and the caller's accounts like every query, and carries the
// query that shows its evidence. Answers about the configuration need the inventory.

import type { FastifyInstance, FastifyReply } from 'fastify';
import { capacity } from '../../analyze/capacity.js';
import { engineFor } from '../../analyze/engine-cache.js';
import { hogs } from '../../analyze/hogs.js';
import { policyBroad, policyHits, policyUnused, proposeLeastPrivilege, type PolicyInput, type RuleSelection } from '../../analyze/policy/policy-answers.js';
import { baselineProfiles, checkLevel } from '../../analyze/profiles.js';
import { diagnose } from '../../analyze/reachability/diagnose.js';
import { regions, type RegionLevel } from '../../analyze/regions.js';
import { storms } from '../../analyze/storms.js';
import type { InventoryIndex } from '../../inventory/inventory-index.js';
import { exactFilter } from '../../query/index.js';
import { InputError } from '../../util/errors.js';
import { parseRange } from '../../util/time.js';
import type { ApiContext } from '../context.js';
import { scopeFilters } from '../scope.js';
import { ALL_ACCOUNTS, type Principal } from '../tokens.js';

type Q = Record<string, string | undefined>;

function int(q: Q, name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const v = q[name];
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new InputError(`${name}: '${v}' is not a whole number from ${min} to ${max}`);
  return Number(v);
}

function number(q: Q, name: string): number | undefined {
  const v = q[name];
  if (v === undefined || v === '') return undefined;
  if (!/^\d+(\.\d+)?$/.test(v)) throw new InputError(`${name}: '${v}' is not a number`);
  return Number(v);
}

function flag(q: Q, name: string): boolean {
  const v = q[name];
  return v !== undefined && v !== 'false' && v !== '0';
}

function list(q: Q, name: string): string[] | undefined {
  const v = q[name];
  return v ? v.split(',').map((s) => s.trim()).filter((s) => s !== '') : undefined;
}

function accountsOf(p: Principal): string[] | undefined {
  return p.accounts.includes(ALL_ACCOUNTS) ? undefined : p.accounts;
}

function oneOf<T extends string>(q: Q, name: string, allowed: readonly T[]): T | undefined {
  const v = q[name];
  if (v === undefined || v === '') return undefined;
  if (!(allowed as readonly string[]).includes(v)) throw new InputError(`${name}: must be one of ${allowed.join(', ')}, not '${v}'`);
  return v as T;
}

export function answersRoutes(app: FastifyInstance, ctx: ApiContext): void {
  // Compile the policy as soon as an inventory is there, so the first diagnosis is as fast as the rest.
  const warm = () => {
    const inv = ctx.inventory?.get();
    if (inv) engineFor(inv);
  };
  const off = ctx.inventory?.onChange(() => setImmediate(warm));
  setImmediate(warm);
  app.addHook('onClose', async () => off?.());

  const base = (req: { query: unknown; principal: Principal }) => {
    const q = req.query as Q;
    return { q, i: { store: ctx.store, range: parseRange(q.from, q.to), scope: exactFilter(scopeFilters(req.principal)) }, accounts: accountsOf(req.principal) };
  };
  const inventory = (reply: FastifyReply): InventoryIndex | undefined => {
    const inv = ctx.inventory?.get();
    if (!inv) void reply.code(409).send({ error: 'no inventory loaded: import one with POST /api/inventory or flowlogs inventory import' });
    return inv;
  };
  const policyInput = (req: { query: unknown; principal: Principal }, inv: InventoryIndex): { q: Q; p: PolicyInput; sel: RuleSelection } => {
    const { q, i, accounts } = base(req);
    return { q, p: { ...i, inventory: inv, accounts }, sel: { id: q.id, vpc: q.vpc, kind: oneOf(q, 'kind', ['security_group', 'network_acl'] as const) } };
  };

  app.get('/api/diagnose', async (req, reply) => {
    const inv = inventory(reply);
    if (!inv) return reply;
    const { q, i, accounts } = base(req);
    if (!q.src || !q.dst) throw new InputError('src and dst: give an ENI id, an instance id or an IP address for each');
    const port = int(q, 'port', 0, 65535);
    if (port === undefined) throw new InputError('port: give the destination port (for ICMP, the type)');
    return diagnose(inv, { src: q.src, dst: q.dst, port, protocol: q.protocol, srcPort: int(q, 'src_port', 0, 65535), deny: flag(q, 'deny'), accounts }, i);
  });

  app.get('/api/answers/storms', async (req) => {
    const { q, i } = base(req);
    return storms({ ...i, inventory: ctx.inventory?.get() }, { minPps: number(q, 'min_pps'), bucket: int(q, 'bucket', 1), limit: int(q, 'limit', 1, 1000) });
  });

  app.get('/api/answers/hogs', async (req) => {
    const { q, i } = base(req);
    const mbps = number(q, 'min_mbps');
    return hogs({ ...i, inventory: ctx.inventory?.get() }, { bucket: int(q, 'bucket', 1), minBps: mbps === undefined ? undefined : mbps * 1e6, factor: number(q, 'factor'), lookbackDays: number(q, 'lookback_days'), limit: int(q, 'limit', 1, 1000) });
  });

  app.get('/api/answers/policy/hits', async (req, reply) => {
    const inv = inventory(reply);
    if (!inv) return reply;
    const { q, p, sel } = policyInput(req, inv);
    return policyHits(p, sel, int(q, 'limit', 1, 100_000));
  });

  app.get('/api/answers/policy/unused', async (req, reply) => {
    const inv = inventory(reply);
    if (!inv) return reply;
    const { p, sel } = policyInput(req, inv);
    return policyUnused(p, sel);
  });

  app.get('/api/answers/policy/broad', async (req, reply) => {
    const inv = inventory(reply);
    if (!inv) return reply;
    const { q, p, sel } = policyInput(req, inv);
    return policyBroad(p, sel, { maxPeers: int(q, 'max_peers', 1, 4096), minAddresses: int(q, 'min_addresses', 1) });
  });

  app.get('/api/answers/policy/propose', async (req, reply) => {
    const inv = inventory(reply);
    if (!inv) return reply;
    const { q, p } = policyInput(req, inv);
    if (!q.group) throw new InputError('group: give the security group to propose rules for');
    const check = q.check_from || q.check_to ? parseRange(q.check_from, q.check_to) : undefined;
    const r = await proposeLeastPrivilege(p, q.group, { maxPeers: int(q, 'max_peers', 1, 4096), maxPortRanges: int(q, 'max_port_ranges', 1, 1024), check });
    const format = oneOf(q, 'format', ['json', 'aws', 'tencent'] as const) ?? 'json';
    return format === 'aws' ? r.aws : format === 'tencent' ? r.tencent : r;
  });

  app.get('/api/answers/baselines', async (req) => {
    const { q, i } = base(req);
    return baselineProfiles(i, { level: checkLevel(q.level ?? 'eni'), entities: list(q, 'entity'), window: int(q, 'window', 1), limit: int(q, 'limit', 1, 1000), weeks: int(q, 'weeks', 1, 52) });
  });

  app.get('/api/answers/capacity', async (req) => {
    const { q, i } = base(req);
    return capacity({ ...i, inventory: ctx.inventory?.get() }, { level: checkLevel(q.level ?? 'eni'), entities: list(q, 'entity'), window: int(q, 'window', 1), limit: int(q, 'limit', 1, 1000) });
  });

  app.get('/api/answers/regions', async (req) => {
    const { q, i } = base(req);
    return regions(i, { by: oneOf(q, 'by', ['country', 'city', 'asn'] as const) as RegionLevel | undefined, vpc: q.vpc, subnet: q.subnet, port: int(q, 'port', 0, 65535), limit: int(q, 'limit', 1, 1000) });
  });
}
