// An alert: the findings of one rule about one key (a source and a port, an interface …),
// deduplicated over time, with its lifecycle (open → acknowledged → resolved) and the query
// that lists its evidence flows.

import crypto from 'node:crypto';
import type { Entities, Evidence, Finding, Severity } from '../detect/finding.js';

export const ALERT_STATUSES = ['open', 'acknowledged', 'resolved'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

export interface Alert {
  id: string;
  rule: string;
  detector: string;
  severity: Severity;
  title: string;
  /** What the rule deduplicates on (same rule and key: same alert). */
  key: string;
  /** Alerts about the same actor or interface share a group. */
  group: string;
  status: AlertStatus;
  entities: Entities;
  /** Record time, unix s: start of the first window and end of the last one with findings. */
  first_seen: number;
  last_seen: number;
  /** Windows with findings, and the rule's window length (s). */
  windows: number;
  window_s: number;
  /** Flows behind the alert, summed over its windows. */
  flows: number;
  /** The latest window's figures. */
  metrics: Record<string, number>;
  evidence: Evidence;
  /** Wall-clock times (ISO-8601). */
  created_at: string;
  updated_at: string;
  acknowledged_at?: string;
  acknowledged_by?: string;
  resolved_at?: string;
  resolved_by?: string;
  note?: string;
  /** Start of the latest window with findings, and the flows counted in it so far. */
  last_window: number;
  window_flows: number;
  /** Changes so far; a stored state with a higher revision is newer. */
  rev: number;
}

/** The same finding replayed (an import run twice) gets the same id. */
export function alertId(f: Finding): string {
  return 'al_' + crypto.createHash('sha256').update(`${f.rule}\u0000${f.key}\u0000${f.windowStart}`).digest('hex').slice(0, 16);
}

/** Whether a caller limited to `accounts` ('*' for all) may see the alert. */
export function visibleTo(a: Alert, accounts: readonly string[]): boolean {
  if (accounts.includes('*')) return true;
  return a.entities.accounts.some((x) => accounts.includes(x));
}

export interface AlertFilter {
  status?: readonly AlertStatus[];
  severity?: readonly Severity[];
  detector?: readonly string[];
  rule?: readonly string[];
  group?: string;
  /** Record-time overlap with [from, to). */
  from?: number;
  to?: number;
  /** Accounts the caller may see ('*': all). */
  accounts?: readonly string[];
}

export function matches(a: Alert, f: AlertFilter): boolean {
  if (f.status?.length && !f.status.includes(a.status)) return false;
  if (f.severity?.length && !f.severity.includes(a.severity)) return false;
  if (f.detector?.length && !f.detector.includes(a.detector)) return false;
  if (f.rule?.length && !f.rule.includes(a.rule)) return false;
  if (f.group !== undefined && a.group !== f.group) return false;
  if (f.from !== undefined && a.last_seen <= f.from) return false;
  if (f.to !== undefined && a.first_seen >= f.to) return false;
  if (f.accounts && !visibleTo(a, f.accounts)) return false;
  return true;
}

/** Newest activity first. */
export function byRecency(a: Alert, b: Alert): number {
  return b.last_seen - a.last_seen || b.first_seen - a.first_seen || a.id.localeCompare(b.id);
}
