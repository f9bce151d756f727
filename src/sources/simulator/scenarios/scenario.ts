// What a scenario is: a named piece of unusual traffic that picks its actors from the
// inventory once (so its ground truth is known up front) and then adds its records to each
// window it runs in. Its traffic goes through the same emitter, and so the same policy
// engine, as everyday traffic.

import { setV4 } from '../../../schema/ip.js';
import type { InventoryIndex } from '../../../inventory/inventory-index.js';
import type { Eni } from '../../../inventory/model.js';
import type { PolicyEngine } from '../../../policy/engine.js';
import type { Rng } from '../rng.js';
import type { AddressOffsets, Exchange, ExchangeShape, WindowContext } from '../service.js';
import type { ScenarioEntities } from './truth.js';

export interface ScenarioSetup {
  inventory: InventoryIndex;
  engine: PolicyEngine;
  /** For the scenario's choices (targets, rates): seeded per scenario instance. */
  rng: Rng;
  offsets: AddressOffsets;
  /** Known-bad IPv4 addresses (32-bit values), for the threat scenario. */
  threats: Uint32Array;
  /** A fresh outside address for an attacker, never used by everyday traffic or another scenario. */
  attackerAddress(): number;
  /** A fresh outside address for a legitimate-looking peer (storage endpoint, tunnel end). */
  serviceAddress(): number;
}

export interface ActiveScenario extends ScenarioEntities {
  /** Stages the scenario's records for one window; `k` counts the scenario's windows from 0. */
  generate(ctx: WindowContext, k: number): void;
}

export interface ScenarioDefinition {
  readonly name: string;
  readonly description: string;
  /** Picks the actors; throws an Error saying why when the inventory has none that fit. */
  create(setup: ScenarioSetup): ActiveScenario;
}

/** The interfaces of the first listed tier that has any (tiers from the `tier`/`role` tags), else all. */
export function preferTiers(enis: readonly Eni[], tiers: readonly string[]): Eni[] {
  for (const t of tiers) {
    const found = enis.filter((e) => (e.tags.tier ?? e.tags.role) === t);
    if (found.length > 0) return found;
  }
  return [...enis];
}

export function pick<T>(rng: Rng, list: readonly T[]): T {
  return list[rng.int(list.length)];
}

/** Spreads event `i` of `n` over the window, whole seconds. */
export function spread(ctx: WindowContext, i: number, n: number): number {
  return ctx.start + Math.min(ctx.seconds - 1, Math.floor((i * ctx.seconds) / n));
}

/** Whether a connection from `src` (ENI or outside v4) to `dst` on a port gets through both ways. */
export function establishes(engine: PolicyEngine, src: Eni | number, srcOff: number, dst: Eni | number, dstOff: number, protocol: number, port: number): boolean {
  const a = typeof src === 'number' ? v4Words(src) : src.addrs;
  const b = typeof dst === 'number' ? v4Words(dst) : dst.addrs;
  const v = engine.connection(typeof src === 'number' ? null : src, a, typeof src === 'number' ? 0 : srcOff, typeof dst === 'number' ? null : dst, b, typeof dst === 'number' ? 0 : dstOff, protocol, 45678, port);
  return v.established;
}

export function v4Words(v4: number): Uint32Array {
  const w = new Uint32Array(4);
  setV4(w, 0, v4);
  return w;
}

export { v4ToText as v4Text } from '../../../schema/ip.js';

/**
 * The TCP ports an interface serves, as its groups' inbound rules reveal them (rules for one
 * port or a short range), without SSH and exporters, which every host has.
 */
export function servicePorts(eni: Eni): number[] {
  const ports = new Set<number>();
  for (const g of eni.securityGroups) {
    for (const r of g.ingress) {
      if (r.protocol !== 6 || r.action !== 'accept') continue;
      for (const p of r.ports) if (p.to - p.from < 10) for (let x = p.from; x <= p.to; x++) if (x !== 22 && x !== 9100) ports.add(x);
    }
  }
  return [...ports].sort((a, b) => a - b);
}

export const tierOfEni = (e: Eni): string => e.tags.tier ?? e.tags.role ?? '';

export function shape(exchange: Exchange, reqMedian: number, repMedian: number, alpha: number, maxPayload: number): ExchangeShape {
  return { exchange, reqMedian, repMedian, alpha, maxPayload };
}

/** A scan attempt (its sizes are fixed by drawExchange). */
export const PROBE = shape('probe', 0, 0, 1, 0);
