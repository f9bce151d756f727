// Who is behind a broadcast or multicast storm: the interfaces sending to group destinations
// (multicast blocks, the limited broadcast address, their subnets' directed broadcast
// addresses, or the broadcast MAC), with their packet rates, their share of everything their
// subnet sent, when they crossed the storm rate and the destinations involved.

import type { InventoryIndex } from '../inventory/inventory-index.js';
import { isV4Mapped, v4ToText } from '../schema/ip.js';
import { InputError } from '../util/errors.js';
import type { Evidence } from './analyses.js';
import { evidenceOf, num, queryRows, text, type AnswerInput } from './answer-query.js';

export interface StormOptions {
  /** Broadcast and multicast packets per second (peak bucket) that make a storm; default 1000. */
  minPps?: number;
  /** Bucket for rates and the start time, seconds; default 60. */
  bucket?: number;
  limit?: number;
}

export interface StormDestination {
  dst_addr: string;
  protocol: number;
  dst_port: number;
  kind: 'broadcast' | 'subnet_broadcast' | 'multicast' | 'broadcast_mac';
  packets: number;
  avg_pps: number;
}

export interface StormSource {
  interface_id: string;
  instance_id: string;
  subnet_id: string;
  vpc_id: string;
  src_addr: string;
  packets: number;
  bytes: number;
  /** Over the time it was sending (first to last record). */
  avg_pps: number;
  /** In the busiest bucket. */
  peak_pps: number;
  /** Of the packets its subnet's interfaces sent in the range. */
  subnet_share: number | null;
  /** Start of the first bucket at or above the storm rate. */
  started: number | null;
  last_seen: number;
  destinations: StormDestination[];
  evidence: Evidence;
}

export interface StormsResult {
  from: number;
  to: number;
  min_pps: number;
  sources: StormSource[];
  /** Senders to group destinations below the storm rate. */
  quieter: number;
  evidence: Evidence;
}

const GROUP_BLOCKS = ['224.0.0.0/4', '255.255.255.255', 'ff00::/8'];
/** Directed broadcast addresses named at most (larger inventories rely on the other tests). */
const MAX_SUBNET_BROADCASTS = 1000;

function subnetBroadcasts(inv: InventoryIndex | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!inv) return out;
  for (const s of inv.subnets) {
    for (const r of s.ranges) {
      if (!isV4Mapped(r.lo, 0) || r.bits > 96 + 30) continue;
      if (out.size < MAX_SUBNET_BROADCASTS) out.set(v4ToText(r.hi[3]), s.id);
    }
  }
  return out;
}

export function stormFilter(inv?: InventoryIndex): string {
  const addrs = [...GROUP_BLOCKS, ...subnetBroadcasts(inv).keys()];
  return `(dst_addr:(${addrs.join(' OR ')}) OR dst_mac:ff:ff:ff:ff:ff:ff)`;
}

function kindOf(addr: string, bcasts: Map<string, string>): StormDestination['kind'] {
  if (addr === '255.255.255.255') return 'broadcast';
  if (bcasts.has(addr)) return 'subnet_broadcast';
  if (/^(22[4-9]|23\d)\.|^ff/i.test(addr)) return 'multicast';
  return 'broadcast_mac';
}

export async function storms(i: AnswerInput & { inventory?: InventoryIndex }, opts: StormOptions = {}): Promise<StormsResult> {
  const minPps = opts.minPps ?? 1000;
  const bucket = opts.bucket ?? 60;
  const limit = opts.limit ?? 20;
  if (!(minPps > 0)) throw new InputError('min_pps must be more than 0');
  if (!Number.isInteger(bucket) || bucket < 1) throw new InputError('bucket must be a whole number of seconds');
  const filter = stormFilter(i.inventory);
  const bcasts = subnetBroadcasts(i.inventory);
  const byDst = 'SELECT interface_id, src_addr, dst_addr, protocol, dst_port, any_value(subnet_id) AS subnet, any_value(instance_id) AS instance, any_value(vpc_id) AS vpc, sum(packets) AS total_packets, sum(bytes) AS total_bytes, min(start) AS first_seen, max(end) AS last_seen GROUP BY interface_id, src_addr, dst_addr, protocol, dst_port';
  const byBucket = `SELECT interface_id, src_addr, bucket(start, ${bucket}) AS t, sum(packets) AS total_packets GROUP BY interface_id, src_addr, t ORDER BY t`;
  const [dstRows, bucketRows] = await Promise.all([queryRows(i, filter, byDst), queryRows(i, filter, byBucket)]);
  type Acc = StormSource & { first: number };
  const senders = new Map<string, Acc>();
  for (const r of dstRows) {
    const key = `${text(r.interface_id)}|${text(r.src_addr)}`;
    let s = senders.get(key);
    if (!s) {
      s = { interface_id: text(r.interface_id), instance_id: text(r.instance), subnet_id: text(r.subnet), vpc_id: text(r.vpc), src_addr: text(r.src_addr), packets: 0, bytes: 0, avg_pps: 0, peak_pps: 0, subnet_share: null, started: null, last_seen: 0, destinations: [], evidence: evidenceOf('', undefined, i.range), first: Infinity };
      senders.set(key, s);
    }
    const packets = num(r.total_packets);
    s.packets += packets;
    s.bytes += num(r.total_bytes);
    s.first = Math.min(s.first, num(r.first_seen));
    s.last_seen = Math.max(s.last_seen, num(r.last_seen));
    s.destinations.push({ dst_addr: text(r.dst_addr), protocol: num(r.protocol), dst_port: num(r.dst_port), kind: kindOf(text(r.dst_addr), bcasts), packets, avg_pps: 0 });
  }
  for (const r of bucketRows) {
    const s = senders.get(`${text(r.interface_id)}|${text(r.src_addr)}`);
    if (!s) continue;
    const pps = num(r.total_packets) / bucket;
    if (pps > s.peak_pps) s.peak_pps = pps;
    if (s.started === null && pps >= minPps) s.started = num(r.t);
  }
  const all = [...senders.values()];
  for (const s of all) {
    const seconds = Math.max(1, s.last_seen - s.first);
    s.avg_pps = s.packets / seconds;
    for (const d of s.destinations) d.avg_pps = d.packets / seconds;
    s.destinations.sort((a, b) => b.packets - a.packets);
  }
  const loud = all.filter((s) => s.peak_pps >= minPps).sort((a, b) => b.peak_pps - a.peak_pps || a.interface_id.localeCompare(b.interface_id)).slice(0, limit);
  // Each storm's share of what its subnet sent (egress records of the subnet's interfaces).
  const subnets = [...new Set(loud.map((s) => s.subnet_id).filter((x) => x !== ''))];
  if (subnets.length > 0) {
    const totals = await queryRows(i, `direction:egress AND subnet_id:(${subnets.join(' OR ')})`, 'SELECT subnet_id, sum(packets) AS total_packets GROUP BY subnet_id');
    const bySubnet = new Map(totals.map((r) => [text(r.subnet_id), num(r.total_packets)]));
    for (const s of loud) {
      const t = bySubnet.get(s.subnet_id);
      s.subnet_share = t ? Math.min(1, s.packets / t) : null;
    }
  }
  const sources: StormSource[] = loud.map(({ first: _first, ...s }) => ({
    ...s,
    evidence: evidenceOf(`${s.interface_id ? `interface_id:${s.interface_id}` : `src_addr:${s.src_addr}`} AND dst_addr:(${[...new Set(s.destinations.map((d) => d.dst_addr))].join(' OR ')})`, undefined, i.range),
  }));
  return { from: i.range.from, to: i.range.to, min_pps: minPps, sources, quieter: all.length - loud.length, evidence: evidenceOf(filter, byDst, i.range) };
}
