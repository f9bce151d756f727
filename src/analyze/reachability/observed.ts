// What the flow records say about a connection: its request and reply records between the two
// ends in a time range, by interface, direction and verdict, and whether each agrees with what
// the configuration says should happen at that interface.

import { hasPorts, isIcmp, protocolName } from '../../inventory/rule-values.js';
import { parseIp } from '../../schema/ip.js';
import { compareIp } from '../../schema/ip.js';
import type { Evidence } from '../analyses.js';
import { evidenceOf, num, queryRows, text, type AnswerInput } from '../answer-query.js';
import type { Endpoint } from './endpoints.js';
import type { Hop, Leg, Walk } from './hops.js';

type Expected = 'ACCEPT' | 'REJECT' | 'absent' | 'unknown';

export interface ObservedRecords {
  interface_id: string;
  direction: 'ingress' | 'egress';
  leg: Leg;
  /** Which end's interface recorded them. */
  side: 'src' | 'dst';
  action: 'ACCEPT' | 'REJECT';
  rule_id: string;
  flows: number;
  packets: number;
  bytes: number;
  first_seen: number;
  last_seen: number;
  /** What the configuration says this interface should record: a verdict, or `absent` (the traffic never gets there). */
  expected: Expected;
  agrees: boolean;
}

export interface LegCounts {
  accept: number;
  reject: number;
  packets: number;
  bytes: number;
  /** End of the last window with a record, unix seconds; null when none. */
  last_seen: number | null;
}

export interface Observation {
  from: number;
  to: number;
  request: LegCounts;
  reply: LegCounts;
  records: ObservedRecords[];
  verdict: 'agrees' | 'disagrees' | 'no_traffic';
  /** null when nothing was observed. */
  agrees: boolean | null;
  explanation: string;
  evidence: Evidence;
}

const GROUPS: Record<`${Leg}:${'src' | 'dst'}`, readonly string[]> = {
  'request:src': ['src_sg_egress', 'src_acl_egress'],
  'request:dst': ['dst_acl_ingress', 'dst_sg_ingress'],
  'reply:dst': ['dst_sg_egress', 'dst_acl_egress'],
  'reply:src': ['src_acl_ingress', 'src_sg_ingress'],
};

/** What the configuration says the interface at `side` records for `leg`. */
export function expectedAt(w: Walk, leg: Leg, side: 'src' | 'dst'): Expected {
  const hops = GROUPS[`${leg}:${side}`].map((n) => w.hops.find((h) => h.hop === n)!).filter((h) => h.applies);
  if (hops.length === 0) return 'unknown';
  if (!hops[0].reached) return 'absent';
  return hops.some((h: Hop) => !h.decision?.accept) ? 'REJECT' : 'ACCEPT';
}

/** The filter selecting both legs of the connection (ports as the records carry them). */
export function connectionFilter(src: Endpoint, dst: Endpoint, w: Walk): string {
  const p = `protocol:${w.protocol}`;
  if (hasPorts(w.protocol)) {
    return `${p} AND ((src_addr:${src.address} AND dst_addr:${dst.address} AND dst_port:${w.dstPort}) OR (src_addr:${dst.address} AND dst_addr:${src.address} AND src_port:${w.dstPort}))`;
  }
  if (isIcmp(w.protocol)) {
    return `${p} AND ((src_addr:${src.address} AND dst_addr:${dst.address} AND dst_port:${w.dstPort}) OR (src_addr:${dst.address} AND dst_addr:${src.address} AND dst_port:${w.replyPort}))`;
  }
  return `${p} AND ((src_addr:${src.address} AND dst_addr:${dst.address}) OR (src_addr:${dst.address} AND dst_addr:${src.address}))`;
}

const SELECT = 'SELECT interface_id, direction, action, rule_id, src_addr, count(*) AS flows, sum(packets) AS total_packets, sum(bytes) AS total_bytes, min(start) AS first_seen, max(end) AS last_seen GROUP BY interface_id, direction, action, rule_id, src_addr ORDER BY last_seen DESC, interface_id';

function emptyLeg(): LegCounts {
  return { accept: 0, reject: 0, packets: 0, bytes: 0, last_seen: null };
}

function fmtTime(t: number): string {
  return new Date(t * 1000).toISOString().replace('.000Z', 'Z');
}

export async function observeConnection(i: AnswerInput, src: Endpoint, dst: Endpoint, w: Walk): Promise<Observation> {
  const filter = connectionFilter(src, dst, w);
  const rows = await queryRows(i, filter, SELECT);
  const request = emptyLeg();
  const reply = emptyLeg();
  const records: ObservedRecords[] = [];
  for (const r of rows) {
    const from = parseIp(text(r.src_addr));
    const leg: Leg = from && compareIp(from, 0, src.addr, 0) === 0 ? 'request' : 'reply';
    const direction = text(r.direction) === 'egress' ? 'egress' : 'ingress';
    const iface = text(r.interface_id);
    let side: 'src' | 'dst';
    if (src.eni && iface === src.eni.id) side = 'src';
    else if (dst.eni && iface === dst.eni.id) side = 'dst';
    else side = (leg === 'request') === (direction === 'egress') ? 'src' : 'dst';
    const action = text(r.action) === 'REJECT' ? 'REJECT' : 'ACCEPT';
    const expected = expectedAt(w, leg, side);
    const rec: ObservedRecords = {
      interface_id: iface,
      direction,
      leg,
      side,
      action,
      rule_id: text(r.rule_id),
      flows: num(r.flows),
      packets: num(r.total_packets),
      bytes: num(r.total_bytes),
      first_seen: num(r.first_seen),
      last_seen: num(r.last_seen),
      expected,
      agrees: expected === 'unknown' || expected === action,
    };
    records.push(rec);
    const c = leg === 'request' ? request : reply;
    if (action === 'ACCEPT') c.accept += rec.flows;
    else c.reject += rec.flows;
    c.packets += rec.packets;
    c.bytes += rec.bytes;
    c.last_seen = Math.max(c.last_seen ?? 0, rec.last_seen);
  }
  const what = `${protocolName(w.protocol)}${hasPorts(w.protocol) ? `/${w.dstPort}` : ''}`;
  const evidence = evidenceOf(filter, undefined, i.range);
  if (records.length === 0) {
    return { from: i.range.from, to: i.range.to, request, reply, records, verdict: 'no_traffic', agrees: null, explanation: `no records between ${src.address} and ${dst.address} on ${what} from ${fmtTime(i.range.from)} to ${fmtTime(i.range.to)}`, evidence };
  }
  const wrong = records.find((r) => !r.agrees);
  let explanation: string;
  if (wrong) {
    const should = wrong.expected === 'absent' ? 'should never get there' : `should be ${wrong.expected}`;
    explanation = `the records disagree with the configuration: ${wrong.flows} ${wrong.leg} record(s) ${wrong.action} at ${wrong.interface_id} ${wrong.direction}${wrong.rule_id ? ` (rule ${wrong.rule_id})` : ''}, last at ${fmtTime(wrong.last_seen)}, where the traffic ${should}; the inventory may have changed since, or the records come from another path`;
  } else {
    const rejected = records.filter((r) => r.action === 'REJECT');
    if (rejected.length > 0) {
      const r = rejected[0];
      explanation = `the records agree: ${request.reject + reply.reject} rejected (${r.leg} at ${r.interface_id} ${r.direction}${r.rule_id ? `, rule ${r.rule_id}` : ''}), last at ${fmtTime(Math.max(...rejected.map((x) => x.last_seen)))}`;
    } else {
      explanation = `the records agree: ${request.accept + reply.accept} accepted, none rejected, last at ${fmtTime(Math.max(...records.map((x) => x.last_seen)))}`;
    }
  }
  return { from: i.range.from, to: i.range.to, request, reply, records, verdict: wrong ? 'disagrees' : 'agrees', agrees: !wrong, explanation, evidence };
}
