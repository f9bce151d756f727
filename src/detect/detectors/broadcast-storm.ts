// Broadcast and multicast storms: an interface sending more than `min_pps` packets a second
// (over the window) to broadcast or multicast destinations, told by a group destination MAC
// or a multicast / limited-broadcast address. Records from exporters without interfaces are
// grouped by source address instead.

import { z } from 'zod';
import { formatIp } from '../../schema/ip.js';
import type { FlowBatch } from '../../schema/batch.js';
import { severityOf, type BatchFacts, type Detector, type DetectorDefinition, type DetectorEnv, type WindowInfo } from '../detector.js';
import { addrTerm, and, or, textTerm } from '../evidence.js';
import { mergeEntities, rowEntities, type Finding } from '../finding.js';
import { broadcastOrMulticast } from '../flow-traits.js';

const params = z
  .object({
    /** Broadcast and multicast packets per second, averaged over the window. */
    min_pps: z.number().positive().default(1000),
  })
  .strict();

type Params = z.infer<typeof params>;

// Destinations that are always group addresses; others (a subnet's broadcast address) are
// named one by one, as seen.
const GROUP_BLOCKS = ['224.0.0.0/4', '255.255.255.255', 'ff00::/8'];
const GROUP_RANGES = /^(22[4-9]|23\d)\.|^255\.255\.255\.255$|^ff/i;

interface Sender {
  packets: number;
  flows: number;
  finding?: Finding;
  entities: Finding['entities'];
  groups: Set<string>;
}

class BroadcastStorm implements Detector {
  private readonly senders = new Map<string, Sender>();

  constructor(
    private readonly p: Params,
    private readonly env: DetectorEnv,
  ) {}

  observe(b: FlowBatch, rows: Uint32Array, n: number, win: WindowInfo, h: BatchFacts): void {
    const packets = b.cols.packets;
    const iface = b.cols.interface_id;
    const limit = this.p.min_pps * win.seconds;
    for (let i = 0; i < n; i++) {
      const r = rows[i];
      if (!broadcastOrMulticast(b, r)) continue;
      const code = iface.codes[r];
      const name = code !== 0 ? iface.dict.values[code] : formatIp(b.cols.src_addr, r * 4);
      let s = this.senders.get(name);
      if (!s) this.senders.set(name, (s = { packets: 0, flows: 0, entities: rowEntities(b, r), groups: new Set() }));
      s.packets += packets[r];
      s.flows++;
      // The first records tell who and what; a busy multicast sender need not pay for every one.
      if (s.flows <= 20) {
        s.groups.add(formatIp(b.cols.dst_addr, r * 4));
        mergeEntities(s.entities, rowEntities(b, r, { addresses: [formatIp(b.cols.src_addr, r * 4)], ports: [b.cols.dst_port[r]], protocols: [b.cols.protocol[r]] }));
      }
      if (!s.finding && s.packets >= limit) s.finding = this.report(name, code !== 0, s, win);
    }
  }

  private query(name: string, byInterface: boolean, s: Sender): string {
    const who = byInterface ? textTerm('interface_id', name) : addrTerm('src_addr', name);
    const other = [...s.groups].filter((g) => !GROUP_RANGES.test(g));
    return and(who, or(...GROUP_BLOCKS.map((g) => addrTerm('dst_addr', g)), ...other.map((g) => addrTerm('dst_addr', g))));
  }

  private report(name: string, byInterface: boolean, s: Sender, win: WindowInfo): Finding {
    const pps = Math.round(s.packets / win.seconds);
    const f: Finding = {
      rule: this.env.rule,
      detector: 'broadcast_storm',
      severity: severityOf(this.env, 'high'),
      key: name,
      group: name,
      title: `Broadcast/multicast storm from ${name}: ${pps} packets/s`,
      entities: structuredClone(s.entities),
      windowStart: win.start,
      windowEnd: win.end,
      evidence: { query: this.query(name, byInterface, s), from: win.from, to: win.end },
      flows: s.flows,
      metrics: { packets_per_second: pps, packets: s.packets },
    };
    this.env.emit(f);
    return f;
  }

  closeWindow(win: WindowInfo): void {
    for (const [name, s] of this.senders) {
      const f = s.finding;
      if (!f) continue;
      const pps = Math.round(s.packets / win.seconds);
      this.env.emit({
        ...f,
        refresh: true,
        entities: s.entities,
        flows: s.flows,
        title: `Broadcast/multicast storm from ${name}: ${pps} packets/s`,
        evidence: { query: this.query(name, f.evidence.query.startsWith('interface_id'), s), from: Math.min(f.evidence.from, win.from), to: win.end },
        metrics: { packets_per_second: pps, packets: s.packets },
      });
    }
    this.senders.clear();
  }

  stateBytes(): number {
    return this.senders.size * 1024;
  }
}

export const broadcastStorm: DetectorDefinition<Params> = {
  name: 'broadcast_storm',
  description: 'an interface flooding broadcast or multicast destinations',
  severity: 'high',
  params,
  create: (p, env) => new BroadcastStorm(p, env),
};
