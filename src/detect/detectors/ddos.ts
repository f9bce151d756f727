// DDoS fan-in: very many sources sending to one destination at a high packet rate. Every flow
// adds its packets to a Count-Min sketch keyed by destination (fixed memory whatever the
// number of destinations); only destinations whose estimate passes the rate get a table entry
// that counts their distinct sources.

import { z } from 'zod';
import { formatIp } from '../../schema/ip.js';
import type { FlowBatch } from '../../schema/batch.js';
import { severityOf, type BatchFacts, type Detector, type DetectorDefinition, type DetectorEnv, type WindowInfo } from '../detector.js';
import { addrTerm } from '../evidence.js';
import { rowEntities, type Finding } from '../finding.js';
import { CountMinSketch } from '../count-min.js';
import { KeyedDistinct } from '../keyed-distinct.js';

const params = z
  .object({
    /** Distinct sources in the window. */
    min_sources: z.number().int().min(2).default(1000),
    /** Packets per second to the destination, averaged over the window. */
    min_pps: z.number().positive().default(5000),
    /** Count-Min width (counters per row; four rows). */
    sketch_width: z.number().int().min(1024).default(1 << 14),
    max_targets: z.number().int().min(16).default(1 << 16),
  })
  .strict();

type Params = z.infer<typeof params>;

class Ddos implements Detector {
  private readonly cm: CountMinSketch;
  private readonly heavy: KeyedDistinct;

  constructor(
    private readonly p: Params,
    private readonly env: DetectorEnv,
  ) {
    this.cm = new CountMinSketch(p.sketch_width, 4);
    this.heavy = new KeyedDistinct({ maxKeys: p.max_targets, heavyKeys: 1024 });
  }

  observe(b: FlowBatch, rows: Uint32Array, n: number, win: WindowInfo, h: BatchFacts): void {
    const c = b.cols;
    const packets = c.packets;
    const cm = this.cm;
    const heavy = this.heavy;
    const minPackets = this.p.min_pps * win.seconds;
    const minSources = this.p.min_sources;
    for (let i = 0; i < n; i++) {
      const r = rows[i];
      const h1 = h.dstA[r];
      const h2 = h.dstB[r];
      // Sources are counted only once a destination is heavy, so a burst must last past that
      // point to be counted in full: an attack does.
      if (cm.add(h1, h2, packets[r]) < minPackets) continue;
      const s = heavy.add(h1, h2, h.srcA[r]);
      if (s < 0 || !heavy.grew || heavy.isReported(s) || !heavy.reaches(s, minSources)) continue;
      heavy.markReported(s, this.report(b, r, heavy.count(s), cm.estimate(h1, h2), win));
    }
  }

  private report(b: FlowBatch, r: number, sources: number, packets: number, win: WindowInfo): Finding {
    const target = formatIp(b.cols.dst_addr, r * 4);
    const pps = Math.round(packets / win.seconds);
    const f: Finding = {
      rule: this.env.rule,
      detector: 'ddos',
      severity: severityOf(this.env, 'critical'),
      key: target,
      group: target,
      title: `Possible DDoS against ${target}: ${Math.round(sources)} sources, ${pps} packets/s`,
      entities: rowEntities(b, r, { addresses: [target], protocols: [b.cols.protocol[r]], ports: [b.cols.dst_port[r]] }),
      windowStart: win.start,
      windowEnd: win.end,
      evidence: { query: addrTerm('dst_addr', target), from: win.from, to: win.end },
      flows: 0,
      metrics: { sources: Math.round(sources), packets_per_second: pps },
    };
    this.env.emit(f);
    return f;
  }

  closeWindow(win: WindowInfo): void {
    const updates = this.heavy.close((f, s) => {
      f.metrics = { ...f.metrics, sources: Math.round(this.heavy.count(s)) };
      f.flows = this.heavy.flows(s);
      f.evidence.from = Math.min(f.evidence.from, win.from);
    });
    for (const f of updates) this.env.emit({ ...f, refresh: true });
    this.cm.clear();
  }

  stateBytes(): number {
    return this.cm.bytes + this.heavy.bytes;
  }
}

export const ddos: DetectorDefinition<Params> = {
  name: 'ddos',
  description: 'very many sources sending to one destination at a high packet rate',
  severity: 'critical',
  params,
  create: (p, env) => new Ddos(p, env),
};
