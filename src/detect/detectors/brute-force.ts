// Brute force on remote-access services (SSH, RDP): one client opening many short connections
// to one server's login port. Attempts are counted as distinct client ports, so the two
// records a connection leaves (at the client's and the server's interface) count once; long
// flows (a working session, a file copy) do not count at all.

import { z } from 'zod';
import { formatIp } from '../../schema/ip.js';
import type { FlowBatch } from '../../schema/batch.js';
import { severityOf, type BatchFacts, type Detector, type DetectorDefinition, type DetectorEnv, type WindowInfo } from '../detector.js';
import { addrTerm, and, numTerm } from '../evidence.js';
import { rowEntities, type Finding } from '../finding.js';
import { TCP } from '../flow-traits.js';
import { fmix, hash32, mix } from '../hash.js';
import { KeyedDistinct } from '../keyed-distinct.js';

const params = z
  .object({
    /** Login ports watched. */
    ports: z.array(z.number().int().min(1).max(65535)).min(1).default([22, 3389]),
    /** Connection attempts per window (from one client to one server and port) that make brute force. */
    min_attempts: z.number().int().min(2).default(30),
    /** Flows larger than this are sessions, not attempts. */
    max_bytes: z.number().positive().default(65536),
    max_keys: z.number().int().min(1024).default(1 << 20),
  })
  .strict();

type Params = z.infer<typeof params>;

const SERVICE: Record<number, string> = { 22: 'SSH', 3389: 'RDP', 23: 'Telnet', 21: 'FTP', 5900: 'VNC' };

class BruteForce implements Detector {
  private readonly state: KeyedDistinct;
  private readonly watched = new Uint8Array(65536);

  constructor(
    private readonly p: Params,
    private readonly env: DetectorEnv,
  ) {
    this.state = new KeyedDistinct({ maxKeys: p.max_keys });
    for (const port of p.ports) this.watched[port] = 1;
  }

  observe(b: FlowBatch, rows: Uint32Array, n: number, win: WindowInfo, h: BatchFacts): void {
    const c = b.cols;
    const dport = c.dst_port;
    const sport = c.src_port;
    const proto = c.protocol;
    const bytes = c.bytes;
    const watched = this.watched;
    const maxBytes = this.p.max_bytes;
    const st = this.state;
    const min = this.p.min_attempts;
    for (let i = 0; i < n; i++) {
      const r = rows[i];
      const port = dport[r];
      if (watched[port] === 0 || proto[r] !== TCP || bytes[r] > maxBytes) continue;
      const s = st.add(fmix(mix(mix(h.srcA[r], h.dstA[r]), port)), fmix(mix(mix(h.srcB[r], h.dstB[r]), port)), hash32(sport[r]));
      if (s < 0 || !st.grew || st.isReported(s) || !st.reaches(s, min)) continue;
      st.markReported(s, this.finding(b, r, st.count(s), st.flows(s), win));
    }
  }

  private finding(b: FlowBatch, r: number, count: number, flows: number, win: WindowInfo): Finding {
    const src = formatIp(b.cols.src_addr, r * 4);
    const dst = formatIp(b.cols.dst_addr, r * 4);
    const port = b.cols.dst_port[r];
    const f: Finding = {
      rule: this.env.rule,
      detector: 'brute_force',
      severity: severityOf(this.env, 'high'),
      key: `${src}|${dst}|${port}`,
      group: src,
      title: `${SERVICE[port] ?? `Port ${port}`} brute force on ${dst} from ${src}: ${Math.round(count)} attempts`,
      entities: rowEntities(b, r, { addresses: [src, dst], ports: [port], protocols: [TCP] }),
      windowStart: win.start,
      windowEnd: win.end,
      evidence: { query: and(addrTerm('src_addr', src), addrTerm('dst_addr', dst), numTerm('dst_port', port), numTerm('protocol', TCP)), from: win.from, to: win.end },
      flows,
      metrics: { attempts: Math.round(count), flows },
    };
    this.env.emit(f);
    return f;
  }

  closeWindow(win: WindowInfo): void {
    for (const f of this.state.close((f, s) => {
      f.metrics = { attempts: Math.round(this.state.count(s)), flows: this.state.flows(s) };
      f.flows = this.state.flows(s);
      f.evidence.from = Math.min(f.evidence.from, win.from);
    }))
      this.env.emit({ ...f, refresh: true });
  }

  stateBytes(): number {
    return this.state.bytes;
  }
}

export const bruteForce: DetectorDefinition<Params> = {
  name: 'brute_force',
  description: 'many short connections from one client to the SSH or RDP port of one server',
  severity: 'high',
  params,
  create: (p, env) => new BruteForce(p, env),
};
