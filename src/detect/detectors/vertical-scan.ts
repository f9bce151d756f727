// Vertical scan: one source trying many ports of one destination. As for horizontal scans,
// only failed attempts count (and tiny UDP probes), so a client talking to a server's few
// services is not one.

import { z } from 'zod';
import { formatIp } from '../../schema/ip.js';
import type { FlowBatch } from '../../schema/batch.js';
import { severityOf, type BatchFacts, type Detector, type DetectorDefinition, type DetectorEnv, type WindowInfo } from '../detector.js';
import { addrTerm, and } from '../evidence.js';
import { rowEntities, type Finding } from '../finding.js';
import { UDP } from '../flow-traits.js';
import { fmix, hash32, mix } from '../hash.js';
import { KeyedDistinct } from '../keyed-distinct.js';

const params = z
  .object({
    /** Distinct ports with failed attempts, per window, that make a scan. */
    min_ports: z.number().int().min(2).default(20),
    /**
     * Count tiny UDP flows from a higher port to a lower one as attempts too: UDP has no
     * handshake to fail, and probes look like that.
     */
    udp_probes: z.boolean().default(true),
    max_keys: z.number().int().min(1024).default(1 << 20),
  })
  .strict();

type Params = z.infer<typeof params>;

class VerticalScan implements Detector {
  private readonly state: KeyedDistinct;

  constructor(
    private readonly p: Params,
    private readonly env: DetectorEnv,
  ) {
    this.state = new KeyedDistinct({ maxKeys: p.max_keys });
  }

  observe(b: FlowBatch, rows: Uint32Array, n: number, win: WindowInfo, h: BatchFacts): void {
    const c = b.cols;
    const dport = c.dst_port;
    const proto = c.protocol;
    const st = this.state;
    const min = this.p.min_ports;
    const udp = this.p.udp_probes;
    const packets = c.packets;
    const sport = c.src_port;
    for (let i = 0; i < n; i++) {
      const r = rows[i];
      if (h.failed[r] === 0 && !(udp && proto[r] === UDP && packets[r] <= 2 && dport[r] < sport[r])) continue;
      const s = st.add(fmix(mix(h.srcA[r], h.dstA[r])), fmix(mix(h.srcB[r], h.dstB[r])), hash32((proto[r] << 16) | dport[r]));
      if (s < 0 || !st.grew || st.isReported(s) || !st.reaches(s, min)) continue;
      st.markReported(s, this.finding(b, r, st.count(s), st.flows(s), win));
    }
  }

  private finding(b: FlowBatch, r: number, count: number, flows: number, win: WindowInfo): Finding {
    const src = formatIp(b.cols.src_addr, r * 4);
    const dst = formatIp(b.cols.dst_addr, r * 4);
    const f: Finding = {
      rule: this.env.rule,
      detector: 'vertical_scan',
      severity: severityOf(this.env, 'high'),
      key: `${src}|${dst}`,
      group: src,
      title: `Vertical scan of ${dst} from ${src}: ${Math.round(count)} ports tried`,
      entities: rowEntities(b, r, { addresses: [src, dst], protocols: [b.cols.protocol[r]] }),
      windowStart: win.start,
      windowEnd: win.end,
      evidence: { query: and(addrTerm('src_addr', src), addrTerm('dst_addr', dst)), from: win.from, to: win.end },
      flows,
      metrics: { ports: Math.round(count), failed_attempts: flows },
    };
    this.env.emit(f);
    return f;
  }

  closeWindow(win: WindowInfo): void {
    for (const f of this.state.close((f, s) => {
      f.metrics = { ports: Math.round(this.state.count(s)), failed_attempts: this.state.flows(s) };
      f.flows = this.state.flows(s);
      f.evidence.from = Math.min(f.evidence.from, win.from);
    }))
      this.env.emit({ ...f, refresh: true });
  }

  stateBytes(): number {
    return this.state.bytes;
  }
}

export const verticalScan: DetectorDefinition<Params> = {
  name: 'vertical_scan',
  description: 'one source with failed attempts on many ports of one destination',
  severity: 'high',
  params,
  create: (p, env) => new VerticalScan(p, env),
};
