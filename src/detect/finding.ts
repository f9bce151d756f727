// What a detector reports: one suspicious thing (a key, such as a source and a port) in one
// record-time window, with the entities involved and a query in our language that lists the
// flows behind it. The alert side deduplicates findings by rule and key into alerts.

import type { FlowBatch } from '../schema/batch.js';

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

export interface Entities {
  addresses: string[];
  interfaces: string[];
  ports: number[];
  protocols: number[];
  accounts: string[];
  vpcs: string[];
  subnets: string[];
}

export interface Evidence {
  /** A filter in the query language (src/query/README.md). */
  query: string;
  /** [from, to) in unix seconds, matched against the records' window start. */
  from: number;
  to: number;
}

export interface Finding {
  rule: string;
  detector: string;
  severity: Severity;
  /** Findings of one rule with the same key belong to the same alert. */
  key: string;
  /** Alerts with the same group concern the same actor or interface. */
  group: string;
  title: string;
  entities: Entities;
  /** The detection window, record time (unix s). */
  windowStart: number;
  windowEnd: number;
  evidence: Evidence;
  /** Flows behind the finding in this window. */
  flows: number;
  /** Figures that explain it (distinct destinations, packets per second, …). */
  metrics: Record<string, number>;
  /** A later figure for a finding already reported in the same window (no new occurrence). */
  refresh?: boolean;
}

export function emptyEntities(): Entities {
  return { addresses: [], interfaces: [], ports: [], protocols: [], accounts: [], vpcs: [], subnets: [] };
}

const LIST_CAP = 20;

function addUnique<T>(list: T[], v: T): void {
  if (v === '' || list.includes(v) || list.length >= LIST_CAP) return;
  list.push(v);
}

/** Merges `b` into `a` (each list keeps at most 20 distinct values). */
export function mergeEntities(a: Entities, b: Entities): Entities {
  for (const k of Object.keys(a) as (keyof Entities)[]) for (const v of b[k]) addUnique(a[k] as unknown[], v);
  return a;
}

/** Entities of one record: the given addresses and ports, and the row's interface, account, VPC and subnet. */
export function rowEntities(b: FlowBatch, r: number, parts: { addresses?: string[]; ports?: number[]; protocols?: number[] } = {}): Entities {
  const e = emptyEntities();
  for (const a of parts.addresses ?? []) addUnique(e.addresses, a);
  for (const p of parts.ports ?? []) addUnique(e.ports, p);
  for (const p of parts.protocols ?? []) addUnique(e.protocols, p);
  addUnique(e.interfaces, b.getString('interface_id', r));
  addUnique(e.accounts, b.getString('account_id', r));
  addUnique(e.vpcs, b.getString('vpc_id', r));
  addUnique(e.subnets, b.getString('subnet_id', r));
  return e;
}
