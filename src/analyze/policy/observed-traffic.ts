// Observed traffic in the shape policy questions need: one row per interface, direction,
// protocol, remote address, destination port and verdict, with requests told from replies.
// Rules only ever look at the destination port, and a reply's destination port is the
// client's ephemeral one, which only network ACLs see; so replies are grouped by the ACL port
// class their port falls in (ports no ACL rule tells apart), which keeps the row count near
// the number of distinct conversations rather than the number of flows.

import { ANY_PROTOCOL } from '../../inventory/model.js';
import type { InventoryIndex } from '../../inventory/inventory-index.js';
import { hasPorts } from '../../inventory/rule-values.js';
import { parseIpInto } from '../../schema/ip.js';
import { forEachRow, type AnswerInput } from '../answer-query.js';

/** More distinct ACL port boundaries than this and replies keep their exact port. */
const MAX_CLASS_CUTS = 400;

/**
 * Request or reply, as flow tools tell them without connection state: the reply is the side
 * sent from the service port (the lower one, below the client's ephemeral port); for ICMP the
 * reply types (echo reply, timestamp reply, information reply, address-mask reply, ICMPv6 echo reply).
 */
export const REPLY_SQL =
  'CASE WHEN protocol IN (6, 17, 132) THEN (CASE WHEN src_port < dst_port AND dst_port >= 1024 THEN 1 ELSE 0 END) ' +
  'WHEN protocol = 1 THEN (CASE WHEN floor(dst_port / 256) IN (0, 14, 16, 18) THEN 1 ELSE 0 END) ' +
  'WHEN protocol = 58 THEN (CASE WHEN floor(dst_port / 256) = 129 THEN 1 ELSE 0 END) ELSE 0 END';

export const PEER_SQL = "CASE WHEN direction = 'ingress' THEN src_addr ELSE dst_addr END";

/** The lowest port of each range of ports that no ACL rule tells apart. */
export function aclPortCuts(inv: InventoryIndex): number[] {
  const cuts = new Set<number>([0]);
  for (const a of inv.networkAcls) {
    for (const r of [...a.ingress, ...a.egress]) {
      // Rules for every protocol, or for ICMP, draw no line between ports.
      if (r.protocol === ANY_PROTOCOL || !hasPorts(r.protocol)) continue;
      for (const p of r.ports) {
        cuts.add(p.from);
        if (p.to < 65535) cuts.add(p.to + 1);
      }
    }
  }
  return [...cuts].sort((a, b) => a - b);
}

function portSql(cuts: readonly number[]): string {
  if (cuts.length > MAX_CLASS_CUTS) return 'dst_port';
  const cls = cuts.length <= 1 ? '0' : `CASE ${[...cuts].reverse().filter((c) => c > 0).map((c) => `WHEN dst_port >= ${c} THEN ${c}`).join(' ')} ELSE 0 END`;
  return `CASE WHEN (${REPLY_SQL}) = 1 AND protocol IN (6, 17, 132) THEN ${cls} ELSE dst_port END`;
}

export function trafficSelect(inv: InventoryIndex): string {
  // Every value crossing from the engine costs time, 64-bit integers most: direction, verdict,
  // request/reply, protocol and port travel as one number, and numbers as doubles.
  return (
    `SELECT interface_id, ${PEER_SQL} AS peer, ` +
    `CAST((CASE WHEN direction = 'egress' THEN 1 ELSE 0 END) * 67108864 + (CASE WHEN action = 'REJECT' THEN 1 ELSE 0 END) * 33554432 + (${REPLY_SQL}) * 16777216 + protocol * 65536 + (${portSql(aclPortCuts(inv))}) AS DOUBLE) AS k, ` +
    'CAST(count(*) AS DOUBLE) AS flows, CAST(sum(packets) AS DOUBLE) AS total_packets, CAST(sum(bytes) AS DOUBLE) AS total_bytes, CAST(max(end) AS DOUBLE) AS last_seen ' +
    'GROUP BY interface_id, peer, k'
  );
}

/** One aggregated row; `peer` is reused between calls (copy it to keep it). */
export interface TrafficRow {
  interfaceId: string;
  /** 0 ingress, 1 egress (the record's enum). */
  direction: number;
  protocol: number;
  peer: Uint32Array;
  reply: boolean;
  /** The destination port the rules see (for replies, the lowest port of its ACL class). */
  port: number;
  accepted: boolean;
  flows: number;
  packets: number;
  bytes: number;
  lastSeen: number;
}

/** Streams the traffic of `i.range` (matching `filter`) as aggregated rows. */
export async function readTraffic(i: AnswerInput, inv: InventoryIndex, filter: string, each: (r: TrafficRow) => void): Promise<{ rows: number; select: string }> {
  const select = trafficSelect(inv);
  const r: TrafficRow = { interfaceId: '', direction: 0, protocol: 0, peer: new Uint32Array(4), reply: false, port: 0, accepted: true, flows: 0, packets: 0, bytes: 0, lastSeen: 0 };
  let rows = 0;
  await forEachRow(i, filter, select, (row) => {
    if (!parseIpInto(String(row[1] ?? ''), r.peer, 0)) return;
    r.interfaceId = String(row[0] ?? '');
    const k = Number(row[2]);
    r.direction = Math.floor(k / 67108864);
    r.accepted = (Math.floor(k / 33554432) & 1) === 0;
    r.reply = (Math.floor(k / 16777216) & 1) === 1;
    r.protocol = Math.floor(k / 65536) & 255;
    r.port = k & 65535;
    r.flows = Number(row[3]);
    r.packets = Number(row[4]);
    r.bytes = Number(row[5]);
    r.lastSeen = Number(row[6]);
    rows++;
    each(r);
  });
  return { rows, select };
}
