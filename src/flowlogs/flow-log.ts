// A flow log: the managed object that says which interfaces produce records, which of their
// traffic is kept, over what window it is aggregated and where the records go. Unlike the
// clouds' flow logs every attribute stays editable after creation.

import crypto from 'node:crypto';
import { z } from 'zod';
import type { InventoryIndex } from '../inventory/inventory-index.js';
import { InputError } from '../util/errors.js';
import { closest } from '../util/suggest.js';

export const SCOPE_TYPES = ['vpc', 'subnet', 'eni'] as const;
export type ScopeType = (typeof SCOPE_TYPES)[number];

export const TRAFFIC_TYPES = ['ACCEPT', 'REJECT', 'ALL'] as const;
export type TrafficType = (typeof TRAFFIC_TYPES)[number];

export const MIN_WINDOW_SECONDS = 1;
export const MAX_WINDOW_SECONDS = 600;
export const DEFAULT_WINDOW_SECONDS = 60;

/** The destination name of the built-in store; any other name is a sink configured elsewhere. */
export const STORE_DESTINATION = 'store';

export interface FlowLog {
  readonly id: string;
  readonly name: string;
  readonly scope_type: ScopeType;
  readonly scope_id: string;
  readonly traffic_type: TrafficType;
  readonly window_seconds: number;
  readonly destinations: readonly string[];
  readonly enabled: boolean;
  /** ISO-8601 times. */
  readonly created: string;
  readonly updated: string;
}

/** What a caller gives to create a flow log; everything but the scope has a default. */
export interface FlowLogInput {
  name?: string;
  scope_id: string;
  scope_type?: ScopeType;
  traffic_type?: TrafficType;
  /** Seconds, or a duration such as "30s", "1m", "10m". */
  window?: number | string;
  destinations?: readonly string[];
  enabled?: boolean;
}

/** What a caller may change: any attribute but the id and the times. */
export type FlowLogPatch = Partial<FlowLogInput>;

/** Ids look like the clouds' (fl-0123456789abcdef0): 17 hex digits after the prefix. */
export function newFlowLogId(): string {
  return `fl-${crypto.randomBytes(9).toString('hex').slice(0, 17)}`;
}

const NAME = /^[^\u0000-\u001f]{1,128}$/;
const DESTINATION = /^[A-Za-z0-9][\w.-]{0,63}$/;

/** Seconds from a number or a duration text, checked against the allowed window range. */
export function parseWindow(v: number | string): number {
  let s: number;
  if (typeof v === 'number') s = v;
  else {
    const m = /^\s*(\d+)\s*(s|sec|m|min)?\s*$/i.exec(v);
    if (!m) throw new InputError(`window '${v}' is not a duration (e.g. 10s, 60s, 5m)`);
    s = Number(m[1]) * (m[2] && m[2][0].toLowerCase() === 'm' ? 60 : 1);
  }
  if (!Number.isInteger(s) || s < MIN_WINDOW_SECONDS || s > MAX_WINDOW_SECONDS)
    throw new InputError(`window must be a whole number of seconds from ${MIN_WINDOW_SECONDS} s to ${MAX_WINDOW_SECONDS / 60} min, got ${typeof v === 'string' ? `'${v}'` : v}`);
  return s;
}

export function parseTrafficType(v: string): TrafficType {
  const t = v.trim().toUpperCase();
  if (!(TRAFFIC_TYPES as readonly string[]).includes(t)) throw new InputError(`traffic type must be one of ${TRAFFIC_TYPES.join(', ')}, got '${v}'`);
  return t as TrafficType;
}

export function parseDestinations(list: readonly string[]): string[] {
  const out: string[] = [];
  for (const raw of list) {
    const d = raw.trim();
    if (!DESTINATION.test(d)) throw new InputError(`destination '${raw}' must be 'store' or a sink name (letters, digits, '.', '_', '-')`);
    if (!out.includes(d)) out.push(d);
  }
  if (out.length === 0) throw new InputError(`a flow log needs at least one destination ('${STORE_DESTINATION}' or a sink name)`);
  return out;
}

function checkName(name: string): string {
  const n = name.trim();
  if (!NAME.test(n)) throw new InputError(`name must be 1 to 128 printable characters, got '${name}'`);
  return n;
}

/**
 * The scope's type: given, or from the inventory, or from the id's prefix (vpc-, subnet-,
 * eni-). When an inventory is loaded the scope must be in it.
 */
export function resolveScope(id: string, given: ScopeType | undefined, inventory: InventoryIndex | undefined): { scope_type: ScopeType; scope_id: string } {
  const scopeId = id.trim();
  if (scopeId === '') throw new InputError('a flow log needs a scope: a VPC, subnet or ENI id');
  if (given !== undefined && !(SCOPE_TYPES as readonly string[]).includes(given)) throw new InputError(`scope type must be one of ${SCOPE_TYPES.join(', ')}, got '${given}'`);
  if (inventory) {
    const found: ScopeType | undefined = inventory.vpc(scopeId) ? 'vpc' : inventory.subnet(scopeId) ? 'subnet' : inventory.eni(scopeId) ? 'eni' : undefined;
    if (found && given && found !== given) throw new InputError(`'${scopeId}' is a ${found} in the inventory, not a ${given}`);
    if (found) return { scope_type: found, scope_id: scopeId };
    const all = [...inventory.vpcs.map((v) => v.id), ...inventory.subnets.map((s) => s.id), ...inventory.enis.map((e) => e.id)];
    const near = closest(scopeId, all);
    throw new InputError(`'${scopeId}' is not a VPC, subnet or ENI of the inventory${near ? ` (did you mean '${near}'?)` : ''}`);
  }
  if (given) return { scope_type: given, scope_id: scopeId };
  const byPrefix = SCOPE_TYPES.find((t) => scopeId.startsWith(`${t}-`));
  if (!byPrefix) throw new InputError(`cannot tell whether '${scopeId}' is a VPC, subnet or ENI without an inventory: give the scope type (vpc, subnet or eni)`);
  return { scope_type: byPrefix, scope_id: scopeId };
}

/** A new flow log from validated input. */
export function buildFlowLog(input: FlowLogInput, inventory: InventoryIndex | undefined, now = new Date()): FlowLog {
  const scope = resolveScope(input.scope_id ?? '', input.scope_type, inventory);
  const t = now.toISOString();
  const id = newFlowLogId();
  return {
    id,
    name: checkName(input.name ?? `${scope.scope_id}-flow-log`),
    ...scope,
    traffic_type: parseTrafficType(input.traffic_type ?? 'ALL'),
    window_seconds: parseWindow(input.window ?? DEFAULT_WINDOW_SECONDS),
    destinations: parseDestinations(input.destinations ?? [STORE_DESTINATION]),
    enabled: input.enabled ?? true,
    created: t,
    updated: t,
  };
}

/** The flow log with `patch` applied; unchanged attributes keep their values. */
export function patchFlowLog(log: FlowLog, patch: FlowLogPatch, inventory: InventoryIndex | undefined, now = new Date()): FlowLog {
  const scopeChanged = patch.scope_id !== undefined || patch.scope_type !== undefined;
  const scope = scopeChanged ? resolveScope(patch.scope_id ?? log.scope_id, patch.scope_type ?? (patch.scope_id !== undefined ? undefined : log.scope_type), inventory) : { scope_type: log.scope_type, scope_id: log.scope_id };
  return {
    id: log.id,
    name: patch.name !== undefined ? checkName(patch.name) : log.name,
    ...scope,
    traffic_type: patch.traffic_type !== undefined ? parseTrafficType(patch.traffic_type) : log.traffic_type,
    window_seconds: patch.window !== undefined ? parseWindow(patch.window) : log.window_seconds,
    destinations: patch.destinations !== undefined ? parseDestinations(patch.destinations) : log.destinations,
    enabled: patch.enabled ?? log.enabled,
    created: log.created,
    updated: now.toISOString(),
  };
}

/** Request bodies (HTTP) and stored entries are checked field by field with these. */
export const flowLogInputSchema = z.strictObject({
  name: z.string().optional(),
  scope_id: z.string(),
  scope_type: z.enum(SCOPE_TYPES).optional(),
  traffic_type: z.string().optional(),
  window: z.union([z.number(), z.string()]).optional(),
  window_seconds: z.number().optional(),
  destinations: z.array(z.string()).optional(),
  enabled: z.boolean().optional(),
});

export const flowLogPatchSchema = flowLogInputSchema.partial();

/** Turns a parsed request body into input (window_seconds is accepted as a synonym of window). */
export function inputFromBody(body: z.output<typeof flowLogPatchSchema>): FlowLogPatch {
  const { window_seconds, traffic_type, ...rest } = body;
  const out: FlowLogPatch = { ...rest };
  if (traffic_type !== undefined) out.traffic_type = traffic_type as TrafficType;
  if (window_seconds !== undefined && rest.window === undefined) out.window = window_seconds;
  return out;
}

export const storedFlowLogSchema = z.object({
  id: z.string().regex(/^fl-[0-9a-z]+$/),
  name: z.string(),
  scope_type: z.enum(SCOPE_TYPES),
  scope_id: z.string().min(1),
  traffic_type: z.enum(TRAFFIC_TYPES),
  window_seconds: z.number().int().min(MIN_WINDOW_SECONDS).max(MAX_WINDOW_SECONDS),
  destinations: z.array(z.string()).min(1),
  enabled: z.boolean(),
  created: z.string(),
  updated: z.string(),
});
