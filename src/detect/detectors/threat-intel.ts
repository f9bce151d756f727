// Traffic with an address on a threat list (the enrichment stage has filled `threat`). One
// finding per listed address per window. How serious it is depends on who talked to whom: an
// inside host reaching out to a listed address (a compromised machine calling home) is worse
// than a listed address knocking and being let in, which is worse than one being turned away
// (the everyday background of the internet).

import { z } from 'zod';
import { formatIp } from '../../schema/ip.js';
import type { FlowBatch } from '../../schema/batch.js';
import type { BatchFacts, Detector, DetectorDefinition, DetectorEnv, WindowInfo } from '../detector.js';
import { eitherAddr } from '../evidence.js';
import { mergeEntities, rowEntities, severityRank, type Finding, type Severity } from '../finding.js';
import { ACTION_REJECT } from '../flow-traits.js';

const severity = z.enum(['low', 'medium', 'high', 'critical']);

const params = z
  .object({
    /** An inside address contacted a listed one. */
    outbound_severity: severity.default('high'),
    /** A listed address reached an inside one and was let in. */
    inbound_severity: severity.default('medium'),
    /** A listed address was turned away. */
    rejected_severity: severity.default('low'),
    /** Report rejected traffic at all. */
    report_rejected: z.boolean().default(true),
  })
  .strict();

type Params = z.infer<typeof params>;

interface Open {
  finding: Finding;
}

class ThreatIntel implements Detector {
  private readonly open = new Map<string, Open>();

  constructor(
    private readonly p: Params,
    private readonly env: DetectorEnv,
  ) {}

  observe(b: FlowBatch, rows: Uint32Array, n: number, win: WindowInfo, h: BatchFacts): void {
    const threat = b.cols.threat;
    if (threat.dict.size <= 1) return;
    const codes = threat.codes;
    for (let i = 0; i < n; i++) {
      const r = rows[i];
      if (codes[r] !== 0) this.row(b, r, win);
    }
  }

  private row(b: FlowBatch, r: number, win: WindowInfo): void {
    const c = b.cols;
    const o = r * 4;
    const index = this.env.intel();
    const label = b.getString('threat', r);
    let srcLists = index ? index.listsOf(c.src_addr, o) : [];
    let dstLists = index ? index.listsOf(c.dst_addr, o) : [];
    if (srcLists.length === 0 && dstLists.length === 0) {
      // The lists changed since enrichment: trust the record, and take the outside end as the listed one.
      if (this.env.inside.inside(c.src_addr, o)) dstLists = label.split(',');
      else srcLists = label.split(',');
    }
    const rejected = c.action[r] === ACTION_REJECT;
    // Who opened the conversation: the end whose port is not the service's (the higher one).
    const srcOpened = c.src_port[r] >= c.dst_port[r];
    if (srcLists.length > 0) this.report(b, r, win, formatIp(c.src_addr, o), formatIp(c.dst_addr, o), srcLists, rejected ? 'rejected' : srcOpened ? 'inbound' : 'outbound');
    if (dstLists.length > 0) this.report(b, r, win, formatIp(c.dst_addr, o), formatIp(c.src_addr, o), dstLists, rejected ? 'rejected' : srcOpened ? 'outbound' : 'inbound');
  }

  private report(b: FlowBatch, r: number, win: WindowInfo, bad: string, peer: string, lists: string[], how: 'outbound' | 'inbound' | 'rejected'): void {
    if (how === 'rejected' && !this.p.report_rejected) return;
    const sev: Severity = this.env.severity ?? (how === 'outbound' ? this.p.outbound_severity : how === 'inbound' ? this.p.inbound_severity : this.p.rejected_severity);
    const port = b.cols.dst_port[r];
    const ent = rowEntities(b, r, { addresses: [bad, peer], ports: [port], protocols: [b.cols.protocol[r]] });
    const o = this.open.get(bad);
    if (o) {
      const f = o.finding;
      f.flows++;
      mergeEntities(f.entities, ent);
      if (severityRank(sev) > severityRank(f.severity)) {
        // Worse than first reported: report again so the alert is raised to it.
        f.severity = sev;
        f.title = this.title(bad, lists, how, peer);
        this.env.emit({ ...f, refresh: false });
      }
      return;
    }
    const f: Finding = {
      rule: this.env.rule,
      detector: 'threat_intel',
      severity: sev,
      key: bad,
      group: bad,
      title: this.title(bad, lists, how, peer),
      entities: ent,
      windowStart: win.start,
      windowEnd: win.end,
      evidence: { query: eitherAddr(bad), from: win.from, to: win.end },
      flows: 1,
      metrics: { lists: lists.length },
    };
    this.open.set(bad, { finding: f });
    this.env.emit({ ...f, entities: { ...f.entities } });
  }

  private title(bad: string, lists: string[], how: string, peer: string): string {
    const on = `on ${lists.join(', ')}`;
    if (how === 'outbound') return `${peer} contacted ${bad} (${on})`;
    if (how === 'inbound') return `${bad} (${on}) reached ${peer}`;
    return `${bad} (${on}) was turned away from ${peer}`;
  }

  closeWindow(win: WindowInfo): void {
    for (const { finding } of this.open.values()) {
      finding.evidence.from = Math.min(finding.evidence.from, win.from);
      finding.metrics = { ...finding.metrics, flows: finding.flows };
      this.env.emit({ ...finding, refresh: true });
    }
    this.open.clear();
  }

  stateBytes(): number {
    return this.open.size * 512;
  }
}

export const threatIntel: DetectorDefinition<Params> = {
  name: 'threat_intel',
  description: 'traffic with an address on a threat-intelligence list',
  severity: 'high',
  params,
  create: (p, env) => new ThreatIntel(p, env),
};
