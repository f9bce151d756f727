// Bandwidth overuse: an interface (or subnet, or VPC) moving more bytes in a window than its
// bandwidth cap allows (caps come from the inventory), or far more than its baseline for this
// hour of the week. Sent (egress) and received (ingress) are watched separately.

import { z } from 'zod';
import type { FlowBatch } from '../../schema/batch.js';
import type { BaselineMetric, EntityField } from '../baselines.js';
import { severityOf, type BatchFacts, type Detector, type DetectorDefinition, type DetectorEnv, type WindowInfo } from '../detector.js';
import { and, enumTerm, textTerm } from '../evidence.js';
import { emptyEntities, type Finding } from '../finding.js';
import { EGRESS } from '../flow-traits.js';
import { WindowVolumes } from '../window-volumes.js';

const params = z
  .object({
    entity: z.enum(['interface', 'subnet', 'vpc']).default('interface'),
    /**
     * Report above this multiple of the inventory's bandwidth cap. Above 1 because a record
     * puts all of a burst's bytes in the window it was logged in.
     */
    cap_factor: z.number().positive().default(1.5),
    /** Baseline: report above factor × usual, usual + sigmas × deviation, peak_factor × the recent peak, and min_mbps. */
    factor: z.number().min(1).default(5),
    sigmas: z.number().min(0).default(6),
    peak_factor: z.number().min(0).default(2),
    min_mbps: z.number().min(0).default(1000),
  })
  .strict();

type Params = z.infer<typeof params>;

const FIELD: Record<Params['entity'], EntityField> = { interface: 'interface_id', subnet: 'subnet_id', vpc: 'vpc_id' };

export function volumeMetric(entity: Params['entity'], direction: 'egress' | 'ingress'): BaselineMetric {
  return { name: `${entity}.${direction}_bytes`, entityField: FIELD[entity], filter: `direction:${direction}`, value: 'sum(bytes)' };
}

const mbps = (bytes: number, seconds: number) => (bytes * 8) / seconds / 1e6;

class Bandwidth implements Detector {
  private readonly vols: [WindowVolumes, WindowVolumes];
  private readonly field: EntityField;
  private readonly reported: { f: Finding; dir: number; entity: number }[] = [];

  constructor(
    private readonly p: Params,
    private readonly env: DetectorEnv,
  ) {
    this.field = FIELD[p.entity];
    const W = env.windowSeconds;
    const cap = (name: string) => {
      if (p.entity !== 'interface') return Infinity;
      const m = env.inventory()?.eni(name)?.bandwidthMbps;
      return m === undefined ? Infinity : (m * p.cap_factor * 1e6 * W) / 8;
    };
    const limits = { cap, factor: p.factor, sigmas: p.sigmas, peakFactor: p.peak_factor, floor: (p.min_mbps * 1e6 * W) / 8 };
    // Index 0: ingress, 1: egress (the direction enum's codes).
    this.vols = [new WindowVolumes(env.baselines.get(volumeMetric(p.entity, 'ingress'), W), limits), new WindowVolumes(env.baselines.get(volumeMetric(p.entity, 'egress'), W), limits)];
  }

  observe(b: FlowBatch, rows: Uint32Array, n: number, win: WindowInfo, h: BatchFacts): void {
    const col = b.cols[this.field] as FlowBatch['cols']['interface_id'];
    const codes = col.codes;
    const inMap = this.vols[0].codes(col);
    const outMap = this.vols[1].codes(col);
    const dir = b.cols.direction;
    const bytes = b.cols.bytes;
    const start = win.start;
    for (let i = 0; i < n; i++) {
      const r = rows[i];
      const d = dir[r];
      const e = d === EGRESS ? outMap[codes[r]] : inMap[codes[r]];
      if (e < 0) continue;
      if (this.vols[d].add(e, bytes[r], start)) this.report(d, e, win);
    }
  }

  private describe(d: number, e: number, win: WindowInfo): { title: string; metrics: Record<string, number> } {
    const v = this.vols[d];
    const name = v.set.names[e];
    const rate = mbps(v.sums[e], win.seconds);
    const verb = d === EGRESS ? 'sent' : 'received';
    const metrics: Record<string, number> = { mbps: Math.round(rate * 10) / 10, bytes: v.sums[e] };
    let why: string;
    if (v.overCap(e)) {
      const cap = this.env.inventory()?.eni(name)?.bandwidthMbps ?? 0;
      metrics.cap_mbps = cap;
      why = `over its ${cap} Mbps cap`;
    } else {
      const x = v.expectation(e, win.start);
      metrics.usual_mbps = Math.round(mbps(x.mean, win.seconds) * 10) / 10;
      why = `usually ${metrics.usual_mbps} Mbps at this hour`;
    }
    return { title: `${name} ${verb} ${metrics.mbps} Mbps, ${why}`, metrics };
  }

  private report(d: number, e: number, win: WindowInfo): void {
    const v = this.vols[d];
    const name = v.set.names[e];
    const direction = d === EGRESS ? 'egress' : 'ingress';
    const entities = emptyEntities();
    if (this.p.entity === 'interface') entities.interfaces.push(name);
    else if (this.p.entity === 'subnet') entities.subnets.push(name);
    else entities.vpcs.push(name);
    const eni = this.p.entity === 'interface' ? this.env.inventory()?.eni(name) : undefined;
    if (eni) {
      entities.addresses.push(...eni.ips);
      entities.accounts.push(eni.accountId);
      entities.vpcs.push(eni.vpc.id);
      entities.subnets.push(eni.subnet.id);
    }
    const { title, metrics } = this.describe(d, e, win);
    const f: Finding = {
      rule: this.env.rule,
      detector: 'bandwidth',
      severity: severityOf(this.env, v.overCap(e) ? 'medium' : 'low'),
      key: `${name}|${direction}`,
      group: name,
      title,
      entities,
      windowStart: win.start,
      windowEnd: win.end,
      evidence: { query: and(textTerm(this.field, name), enumTerm('direction', direction)), from: win.from, to: win.end },
      flows: v.flows[e],
      metrics,
    };
    if (!this.reported.some((x) => x.dir === d && x.entity === e)) this.reported.push({ f, dir: d, entity: e });
    this.env.emit({ ...f, entities: structuredClone(entities) });
  }

  closeWindow(win: WindowInfo): void {
    for (const { f, dir, entity } of this.reported) {
      const { title, metrics } = this.describe(dir, entity, win);
      const severity = severityOf(this.env, this.vols[dir].overCap(entity) ? 'medium' : 'low');
      this.env.emit({ ...f, title, metrics, severity, flows: this.vols[dir].flows[entity], refresh: true, evidence: { ...f.evidence, from: Math.min(f.evidence.from, win.from) } });
    }
    this.reported.length = 0;
    this.vols[0].close(win.start);
    this.vols[1].close(win.start);
  }

  stateBytes(): number {
    return this.vols[0].bytes + this.vols[1].bytes;
  }
}

export const bandwidth: DetectorDefinition<Params> = {
  name: 'bandwidth',
  description: 'an interface, subnet or VPC moving more than its bandwidth cap or far more than its baseline',
  severity: 'medium',
  params,
  create: (p, env) => new Bandwidth(p, env),
  baselines: (p) => [volumeMetric(p.entity, 'ingress'), volumeMetric(p.entity, 'egress')],
};
