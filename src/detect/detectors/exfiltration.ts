// Exfiltration: an interface sending far more to addresses outside the network (neither
// private nor in the inventory's VPC blocks) than its baseline for this hour of the week.
// Reported while the window runs, as soon as the sum passes the limit.

import { z } from 'zod';
import type { FlowBatch } from '../../schema/batch.js';
import type { BaselineMetric } from '../baselines.js';
import { severityOf, type BatchFacts, type Detector, type DetectorDefinition, type DetectorEnv, type WindowInfo } from '../detector.js';
import { and, textTerm } from '../evidence.js';
import { emptyEntities, type Finding } from '../finding.js';
import { EGRESS } from '../flow-traits.js';
import { WindowVolumes } from '../window-volumes.js';

const params = z
  .object({
    /** Report above factor × usual, usual + sigmas × deviation, peak_factor × the recent peak, and min_bytes per window. */
    factor: z.number().min(1).default(10),
    sigmas: z.number().min(0).default(8),
    peak_factor: z.number().min(0).default(2),
    min_bytes: z.number().min(0).default(1e9),
  })
  .strict();

type Params = z.infer<typeof params>;

/** Private and special ranges, as the query language writes them, for learning from history. */
const PRIVATE = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '224.0.0.0/3', 'fc00::/7', 'fe80::/10', 'ff00::/8'];

export const EXTERNAL_EGRESS: BaselineMetric = {
  name: 'interface.external_egress_bytes',
  entityField: 'interface_id',
  filter: `direction:egress ${PRIVATE.map((c) => `NOT dst_addr:${c}`).join(' ')}`,
  value: 'sum(bytes)',
};

class Exfiltration implements Detector {
  private readonly vol: WindowVolumes;
  private readonly reported: { f: Finding; entity: number }[] = [];

  constructor(
    p: Params,
    private readonly env: DetectorEnv,
  ) {
    this.vol = new WindowVolumes(env.baselines.get(EXTERNAL_EGRESS, env.windowSeconds), { cap: () => Infinity, factor: p.factor, sigmas: p.sigmas, peakFactor: p.peak_factor, floor: p.min_bytes });
  }

  observe(b: FlowBatch, rows: Uint32Array, n: number, win: WindowInfo, h: BatchFacts): void {
    const c = b.cols;
    const map = this.vol.codes(c.interface_id);
    const codes = c.interface_id.codes;
    const dir = c.direction;
    const bytes = c.bytes;
    const dst = c.dst_addr;
    const inside = this.env.inside;
    for (let i = 0; i < n; i++) {
      const r = rows[i];
      if (dir[r] !== EGRESS) continue;
      const e = map[codes[r]];
      if (e < 0 || inside.inside(dst, r * 4)) continue;
      if (this.vol.add(e, bytes[r], win.start)) this.report(e, win);
    }
  }

  private describe(e: number, win: WindowInfo): { title: string; metrics: Record<string, number> } {
    const v = this.vol;
    const x = v.expectation(e, win.start);
    const mb = (n: number) => Math.round(n / 1e5) / 10;
    const metrics = { bytes: v.sums[e], usual_bytes: Math.round(x.mean), mb: mb(v.sums[e]), usual_mb: mb(x.mean) };
    return { title: `${v.set.names[e]} sent ${metrics.mb} MB outside the network in ${win.seconds} s, usually ${metrics.usual_mb} MB`, metrics };
  }

  private report(e: number, win: WindowInfo): void {
    const name = this.vol.set.names[e];
    const entities = emptyEntities();
    entities.interfaces.push(name);
    const eni = this.env.inventory()?.eni(name);
    if (eni) {
      entities.addresses.push(...eni.ips);
      entities.accounts.push(eni.accountId);
      entities.vpcs.push(eni.vpc.id);
      entities.subnets.push(eni.subnet.id);
    }
    const { title, metrics } = this.describe(e, win);
    const f: Finding = {
      rule: this.env.rule,
      detector: 'exfiltration',
      severity: severityOf(this.env, 'high'),
      key: name,
      group: name,
      title,
      entities,
      windowStart: win.start,
      windowEnd: win.end,
      evidence: { query: and(textTerm('interface_id', name), EXTERNAL_EGRESS.filter), from: win.from, to: win.end },
      flows: this.vol.flows[e],
      metrics,
    };
    this.reported.push({ f, entity: e });
    this.env.emit({ ...f, entities: structuredClone(entities) });
  }

  closeWindow(win: WindowInfo): void {
    for (const { f, entity } of this.reported) {
      const { title, metrics } = this.describe(entity, win);
      this.env.emit({ ...f, title, metrics, flows: this.vol.flows[entity], refresh: true, evidence: { ...f.evidence, from: Math.min(f.evidence.from, win.from) } });
    }
    this.reported.length = 0;
    this.vol.close(win.start);
  }

  stateBytes(): number {
    return this.vol.bytes;
  }
}

export const exfiltration: DetectorDefinition<Params> = {
  name: 'exfiltration',
  description: 'an interface sending far more outside the network than its baseline',
  severity: 'high',
  params,
  create: (p, env) => new Exfiltration(p, env),
  baselines: () => [EXTERNAL_EGRESS],
};
