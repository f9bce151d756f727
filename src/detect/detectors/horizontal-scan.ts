// Horizontal scan: one source trying many addresses on one port. Only failed attempts count
// (rejected, or TCP that never got an ACK): a monitoring server scraping every host on a port
// succeeds, a sweep mostly does not, as Zeek's scan detection also reasons.

import { z } from 'zod';
import { formatIp } from '../../schema/ip.js';
import type { FlowBatch } from '../../schema/batch.js';
import { severityOf, type BatchFacts, type Detector, type DetectorDefinition, type DetectorEnv, type WindowInfo } from '../detector.js';
import { addrTerm, and, numTerm } from '../evidence.js';
import { rowEntities, type Finding } from '../finding.js';
import { fmix, mix } from '../hash.js';
import { KeyedDistinct } from '../keyed-distinct.js';
import { protocolText } from './names.js';

const params = z
  .object({
    /** Distinct destinations with failed attempts, per window, that make a scan. */
    min_destinations: z.number().int().min(2).default(20),
    /** Only these destination ports ([] = any). */
    ports: z.array(z.number().int().min(0).max(65535)).default([]),
    /** Table slots per window at most (24 bytes each; 70 % of them hold keys). */
    max_keys: z.number().int().min(1024).default(1 << 20),
  })
  .strict();

type Params = z.infer<typeof params>;

class HorizontalScan implements Detector {
  private readonly state: KeyedDistinct;
  private readonly portFilter: Uint8Array | null;

  constructor(
    private readonly p: Params,
    private readonly env: DetectorEnv,
  ) {
    this.state = new KeyedDistinct({ maxKeys: p.max_keys });
    this.portFilter = p.ports.length ? new Uint8Array(65536) : null;
    for (const port of p.ports) this.portFilter![port] = 1;
  }

  observe(b: FlowBatch, rows: Uint32Array, n: number, win: WindowInfo, h: BatchFacts): void {
    const c = b.cols;
    const dport = c.dst_port;
    const proto = c.protocol;
    const st = this.state;
    const min = this.p.min_destinations;
    const pf = this.portFilter;
    for (let i = 0; i < n; i++) {
      const r = rows[i];
      if (h.failed[r] === 0) continue;
      const port = dport[r];
      if (pf !== null && pf[port] === 0) continue;
      const pp = (proto[r] << 16) | port;
      const s = st.add(fmix(mix(h.srcA[r], pp)), fmix(mix(h.srcB[r], pp)), h.dstA[r]);
      if (s < 0 || !st.grew || st.isReported(s) || !st.reaches(s, min)) continue;
      st.markReported(s, this.finding(b, r, st.count(s), st.flows(s), win));
    }
  }

  private finding(b: FlowBatch, r: number, count: number, flows: number, win: WindowInfo): Finding {
    const src = formatIp(b.cols.src_addr, r * 4);
    const port = b.cols.dst_port[r];
    const proto = b.cols.protocol[r];
    const f: Finding = {
      rule: this.env.rule,
      detector: 'horizontal_scan',
      severity: severityOf(this.env, 'high'),
      key: `${src}|${proto}|${port}`,
      group: src,
      title: `Horizontal scan from ${src}: ${Math.round(count)} addresses tried on ${port}/${protocolText(proto)}`,
      entities: rowEntities(b, r, { addresses: [src], ports: [port], protocols: [proto] }),
      windowStart: win.start,
      windowEnd: win.end,
      evidence: { query: and(addrTerm('src_addr', src), numTerm('dst_port', port), numTerm('protocol', proto)), from: win.from, to: win.end },
      flows,
      metrics: { destinations: Math.round(count), failed_attempts: flows },
    };
    this.env.emit(f);
    return f;
  }

  closeWindow(win: WindowInfo): void {
    for (const f of this.state.close((f, s) => {
      f.metrics = { destinations: Math.round(this.state.count(s)), failed_attempts: this.state.flows(s) };
      f.flows = this.state.flows(s);
      f.evidence.from = Math.min(f.evidence.from, win.from);
    }))
      this.env.emit({ ...f, refresh: true });
  }

  stateBytes(): number {
    return this.state.bytes;
  }
}

export const horizontalScan: DetectorDefinition<Params> = {
  name: 'horizontal_scan',
  description: 'one source with failed attempts to many addresses on one port',
  severity: 'high',
  params,
  create: (p, env) => new HorizontalScan(p, env),
};
