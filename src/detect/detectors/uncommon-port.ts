// Uncommon ports: once an interface has been watched for `learn_s` seconds of record time, an
// accepted, established connection on a port it has never used in that direction, and that
// few other interfaces use either: a service port it never served before (a backdoor
// listener) or a remote port it never called (IRC, a miner pool). SSH on a host that is
// rarely logged into is new for that host but common in the fleet, so it is not reported.
// Ports are remembered in one bounded table keyed by interface, direction and port.

import { z } from 'zod';
import { formatIp } from '../../schema/ip.js';
import type { FlowBatch } from '../../schema/batch.js';
import { severityOf, type BatchFacts, type Detector, type DetectorDefinition, type DetectorEnv, type WindowInfo } from '../detector.js';
import { and, enumTerm, numTerm, textTerm } from '../evidence.js';
import { EntityIndex, ensureF64 } from '../entity-index.js';
import { mergeEntities, rowEntities, type Finding } from '../finding.js';
import { ACK, ACTION_REJECT, EGRESS, TCP, UDP } from '../flow-traits.js';
import { SEED_A, SEED_B, fmix, mix } from '../hash.js';
import { KeyTable } from '../key-table.js';
import { protocolText, spanText } from './names.js';

const params = z
  .object({
    learn_s: z.number().int().min(1).default(7 * 86400),
    /** Directions watched: ports served (ingress) and ports called (egress). */
    directions: z.array(z.enum(['ingress', 'egress'])).min(1).default(['ingress', 'egress']),
    /** Service ports above this are ignored (ephemeral ranges). */
    max_port: z.number().int().min(1).max(65535).default(49151),
    /** A port this many other interfaces use (in that direction) is not uncommon. */
    common_at: z.number().int().min(1).default(3),
    max_interfaces: z.number().int().min(1).default(100_000),
    max_ports: z.number().int().min(1024).default(1 << 20),
  })
  .strict();

type Params = z.infer<typeof params>;

class UncommonPort implements Detector {
  private readonly entities: EntityIndex;
  private firstSeen = new Float64Array(0);
  private readonly ports: KeyTable;
  private readonly watchIn: boolean;
  private readonly watchOut: boolean;
  private readonly open = new Map<string, Finding>();
  /** Interfaces using each (direction, protocol, port): index dir·2·65536 + (udp ? 65536 : 0) + port. */
  private readonly users = new Uint32Array(4 * 65536);

  constructor(
    private readonly p: Params,
    private readonly env: DetectorEnv,
  ) {
    this.entities = new EntityIndex(p.max_interfaces);
    this.ports = new KeyTable({ f64Width: 0, u32Width: 0, initialCapacity: 4096, maxCapacity: p.max_ports });
    this.watchIn = p.directions.includes('ingress');
    this.watchOut = p.directions.includes('egress');
  }

  observe(b: FlowBatch, rows: Uint32Array, n: number, win: WindowInfo, h: BatchFacts): void {
    const c = b.cols;
    const ent = this.entities.codes(c.interface_id);
    this.firstSeen = ensureF64(this.firstSeen, this.entities.size);
    const first = this.firstSeen;
    const codes = c.interface_id.codes;
    const { proto, sport, dport, flags, packets, action, dir, starts } = { proto: c.protocol, sport: c.src_port, dport: c.dst_port, flags: c.tcp_flags, packets: c.packets, action: c.action, dir: c.direction, starts: c.start };
    const maxPort = this.p.max_port;
    const learn = this.p.learn_s;
    const table = this.ports;
    for (let i = 0; i < n; i++) {
      const r = rows[i];
      const e = ent[codes[r]];
      if (e < 0 || action[r] === ACTION_REJECT || c.log_status[r] !== 0) continue;
      const pr = proto[r];
      const dp = dport[r];
      if (dp >= sport[r] || dp > maxPort) continue;
      if (pr === TCP) {
        const f = flags[r];
        if (f !== 0 ? (f & ACK) === 0 : packets[r] <= 2) continue;
      } else if (pr !== UDP) continue;
      const d = dir[r];
      if (d === EGRESS ? !this.watchOut : !this.watchIn) continue;
      const t = starts[r];
      if (first[e] === 0) first[e] = t;
      const k = (e << 1) | d;
      const pp = (pr << 16) | dp;
      const s = table.upsert(fmix(mix(mix(SEED_A, k), pp)), fmix(mix(mix(SEED_B, k), pp)));
      if (s < 0 || !table.inserted) continue;
      const u = d * 131072 + (pr === UDP ? 65536 : 0) + dp;
      const others = this.users[u]++;
      if (t - first[e] >= learn && others < this.p.common_at) this.report(b, r, e, d, pr, dp, win);
    }
  }

  private report(b: FlowBatch, r: number, e: number, d: number, proto: number, port: number, win: WindowInfo): void {
    const iface = this.entities.names[e];
    const direction = d === EGRESS ? 'egress' : 'ingress';
    const key = `${iface}|${direction}|${proto}|${port}`;
    const ent = rowEntities(b, r, { addresses: [formatIp(b.cols.src_addr, r * 4), formatIp(b.cols.dst_addr, r * 4)], ports: [port], protocols: [proto] });
    const known = this.open.get(key);
    if (known) {
      mergeEntities(known.entities, ent);
      return;
    }
    const since = spanText(this.p.learn_s);
    const f: Finding = {
      rule: this.env.rule,
      detector: 'uncommon_port',
      severity: severityOf(this.env, 'low'),
      key,
      group: iface,
      title: d === EGRESS ? `${iface} called port ${port}/${protocolText(proto)}, new for it in ${since}` : `${iface} served port ${port}/${protocolText(proto)}, new for it in ${since}`,
      entities: ent,
      windowStart: win.start,
      windowEnd: win.end,
      evidence: { query: and(textTerm('interface_id', iface), enumTerm('direction', direction), numTerm('dst_port', port), numTerm('protocol', proto)), from: win.from, to: win.end },
      flows: 1,
      metrics: { port },
    };
    this.open.set(key, f);
    this.env.emit({ ...f, entities: structuredClone(f.entities) });
  }

  closeWindow(): void {
    this.open.clear();
  }

  stateBytes(): number {
    return this.ports.bytes + this.firstSeen.byteLength + this.users.byteLength + this.entities.size * 64;
  }
}

export const uncommonPort: DetectorDefinition<Params> = {
  name: 'uncommon_port',
  description: 'an accepted connection on a port an interface has never served or called',
  severity: 'low',
  params,
  create: (p, env) => new UncommonPort(p, env),
};
