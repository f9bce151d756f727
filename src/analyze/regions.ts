// Where the users are: the external peers of a VPC, a subnet or a service port, by country,
// city or autonomous system, with distinct users (remote addresses), bytes and flows, and a
// trend comparing the second half of the range with the first. The remote side of a record is
// its source for ingress and its destination for egress; a peer is external when enrichment
// placed it (public addresses only).

import { InputError } from '../util/errors.js';
import type { Evidence } from './analyses.js';
import { evidenceOf, num, queryRows, text, type AnswerInput } from './answer-query.js';

export const REGION_LEVELS = ['country', 'city', 'asn'] as const;
export type RegionLevel = (typeof REGION_LEVELS)[number];

export interface RegionOptions {
  by?: RegionLevel;
  vpc?: string;
  subnet?: string;
  /** A service port: users connecting to it (ingress to the port, egress from it). */
  port?: number;
  limit?: number;
}

export interface RegionRow {
  country: string;
  city?: string;
  asn?: number;
  users: number;
  bytes: number;
  flows: number;
  /** Bytes and users in each half of the range. */
  first_half: { users: number; bytes: number };
  second_half: { users: number; bytes: number };
  /** Change of bytes from the first half to the second, percent; null when the first half had none. */
  trend_pct: number | null;
}

export interface RegionsResult {
  from: number;
  to: number;
  by: RegionLevel;
  /** Every external peer in scope, all regions together. */
  total: { users: number; bytes: number; flows: number };
  rows: RegionRow[];
  evidence: Evidence;
}

const remote = (f: string) => `CASE WHEN direction = 'ingress' THEN src_${f} ELSE dst_${f} END`;

function identifier(v: string, what: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._:-]*$/.test(v)) throw new InputError(`${what}: '${v}' is not an id`);
  return v;
}

export function regionFilter(o: RegionOptions): string {
  const parts = ['((direction:ingress AND src_country:*?) OR (direction:egress AND dst_country:*?))'];
  if (o.vpc) parts.push(`vpc_id:${identifier(o.vpc, 'vpc')}`);
  if (o.subnet) parts.push(`subnet_id:${identifier(o.subnet, 'subnet')}`);
  if (o.port !== undefined) {
    if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) throw new InputError(`port must be a whole number from 0 to 65535, not ${o.port}`);
    parts.push(`((direction:ingress AND dst_port:${o.port}) OR (direction:egress AND src_port:${o.port}))`);
  }
  return parts.join(' AND ');
}

export async function regions(i: AnswerInput, o: RegionOptions = {}): Promise<RegionsResult> {
  const by = o.by ?? 'country';
  if (!(REGION_LEVELS as readonly string[]).includes(by)) throw new InputError(`by must be one of ${REGION_LEVELS.join(', ')}, not '${by}'`);
  const limit = o.limit ?? 25;
  const mid = Math.floor((i.range.from + i.range.to) / 2);
  const filter = regionFilter(o);
  const keys = by === 'country' ? [`${remote('country')} AS country`] : by === 'city' ? [`${remote('country')} AS country`, `${remote('city')} AS city`] : [`${remote('asn')} AS asn`, `any_value(${remote('country')}) AS country`];
  const group = by === 'country' ? 'country' : by === 'city' ? 'country, city' : 'asn';
  const peer = remote('addr');
  const select =
    `SELECT ${keys.join(', ')}, count(DISTINCT ${peer}) AS users, sum(bytes) AS total_bytes, count(*) AS flows, ` +
    `count(DISTINCT CASE WHEN start < ${mid} THEN ${peer} END) AS users_1, sum(CASE WHEN start < ${mid} THEN bytes ELSE 0 END) AS bytes_1, ` +
    `count(DISTINCT CASE WHEN start >= ${mid} THEN ${peer} END) AS users_2, sum(CASE WHEN start >= ${mid} THEN bytes ELSE 0 END) AS bytes_2 ` +
    `GROUP BY ${group} ORDER BY users DESC, total_bytes DESC, ${group} LIMIT ${limit}`;
  const totalSel = `SELECT count(DISTINCT ${peer}) AS users, sum(bytes) AS total_bytes, count(*) AS flows`;
  const [rows, tot] = await Promise.all([queryRows(i, filter, select), queryRows(i, filter, totalSel)]);
  return {
    from: i.range.from,
    to: i.range.to,
    by,
    total: { users: num(tot[0]?.users), bytes: num(tot[0]?.total_bytes), flows: num(tot[0]?.flows) },
    rows: rows.map((r) => {
      const b1 = num(r.bytes_1);
      const b2 = num(r.bytes_2);
      return {
        country: text(r.country),
        ...(by === 'city' ? { city: text(r.city) } : {}),
        ...(by === 'asn' ? { asn: num(r.asn) } : {}),
        users: num(r.users),
        bytes: num(r.total_bytes),
        flows: num(r.flows),
        first_half: { users: num(r.users_1), bytes: b1 },
        second_half: { users: num(r.users_2), bytes: b2 },
        trend_pct: b1 > 0 ? Math.round(((b2 - b1) / b1) * 1000) / 10 : null,
      };
    }),
    evidence: evidenceOf(filter, select, i.range),
  };
}
