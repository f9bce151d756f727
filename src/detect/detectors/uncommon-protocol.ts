// Uncommon protocols: a flow whose IP protocol is outside an allowlist (GRE tunnels, SCTP, raw
// IP-in-IP …), or, once an interface has been watched for `learn_s` seconds of record time, a
// protocol that interface has never used. One finding per interface and protocol per window.

import { z } from 'zod';
import { formatIp } from '../../schema/ip.js';
import type { FlowBatch } from '../../schema/batch.js';
import type { BatchFacts, Detector, DetectorDefinition, DetectorEnv, WindowInfo } from '../detector.js';
import { and, numTerm, textTerm } from '../evidence.js';
import { EntityIndex, ensureF64, ensureU32 } from '../entity-index.js';
import { mergeEntities, rowEntities, type Finding, type Severity } from '../finding.js';
import { protocolText } from './names.js';

const severity = z.enum(['low', 'medium', 'high', 'critical']);

const params = z
  .object({
    /** Protocols everyone may use. */
    allow: z.array(z.number().int().min(0).max(255)).default([1, 6, 17, 58]),
    /** Severity of a protocol outside the allowlist. */
    outside_allowlist_severity: severity.default('medium'),
    /** Record-time seconds an interface is watched before a protocol new to it is reported; 0: never. */
    learn_s: z.number().int().min(0).default(7 * 86400),
    never_seen_severity: severity.default('low'),
    max_interfaces: z.number().int().min(1).default(100_000),
  })
  .strict();

type Params = z.infer<typeof params>;

class UncommonProtocol implements Detector {
  private readonly allowed = new Uint8Array(256);
  private readonly entities: EntityIndex;
  /** Per interface: protocols seen (256 bits), and the record time it was first seen. */
  private seen = new Uint32Array(0);
  private firstSeen = new Float64Array(0);
  private readonly open = new Map<number, Finding>();

  constructor(
    private readonly p: Params,
    private readonly env: DetectorEnv,
  ) {
    for (const x of p.allow) this.allowed[x] = 1;
    this.entities = new EntityIndex(p.max_interfaces);
  }

  observe(b: FlowBatch, rows: Uint32Array, n: number, win: WindowInfo, h: BatchFacts): void {
    const c = b.cols;
    const proto = c.protocol;
    const starts = c.start;
    const ent = this.entities.codes(c.interface_id);
    const codes = c.interface_id.codes;
    const learn = this.p.learn_s;
    const allowed = this.allowed;
    this.seen = ensureU32(this.seen, this.entities.size * 8);
    this.firstSeen = ensureF64(this.firstSeen, this.entities.size);
    const seen = this.seen;
    const first = this.firstSeen;
    const status = c.log_status;
    for (let i = 0; i < n; i++) {
      const r = rows[i];
      // NODATA/SKIPDATA records carry no traffic (protocol 0 there means nothing).
      if (status[r] !== 0) continue;
      const p = proto[r];
      const e = ent[codes[r]];
      if (allowed[p] === 0) {
        this.report(b, r, e, p, win, 'outside');
        continue;
      }
      if (e < 0 || learn === 0) continue;
      const w = e * 8 + (p >>> 5);
      const bit = 1 << (p & 31);
      if ((seen[w] & bit) !== 0) continue;
      const t = starts[r];
      if (first[e] === 0) first[e] = t;
      else if (t - first[e] >= learn) this.report(b, r, e, p, win, 'new');
      seen[w] |= bit;
    }
  }

  private report(b: FlowBatch, r: number, e: number, p: number, win: WindowInfo, why: 'outside' | 'new'): void {
    const slot = (e + 1) * 256 + p;
    const known = this.open.get(slot);
    const ent = rowEntities(b, r, { addresses: [formatIp(b.cols.src_addr, r * 4), formatIp(b.cols.dst_addr, r * 4)], protocols: [p] });
    if (known) {
      known.flows++;
      mergeEntities(known.entities, ent);
      return;
    }
    const iface = e >= 0 ? this.entities.names[e] : '';
    const sev: Severity = this.env.severity ?? (why === 'outside' ? this.p.outside_allowlist_severity : this.p.never_seen_severity);
    const where = iface !== '' ? ` on ${iface}` : '';
    const f: Finding = {
      rule: this.env.rule,
      detector: 'uncommon_protocol',
      severity: sev,
      key: `${iface}|${p}`,
      group: iface !== '' ? iface : ent.addresses[0],
      title: why === 'outside' ? `Uncommon protocol ${protocolText(p)} (${p})${where}` : `Protocol ${protocolText(p)} (${p}) never seen before${where}`,
      entities: ent,
      windowStart: win.start,
      windowEnd: win.end,
      evidence: { query: and(iface !== '' ? textTerm('interface_id', iface) : '', numTerm('protocol', p)), from: win.from, to: win.end },
      flows: 1,
      metrics: { protocol: p },
    };
    this.open.set(slot, f);
    this.env.emit({ ...f, entities: structuredClone(f.entities) });
  }

  closeWindow(win: WindowInfo): void {
    for (const f of this.open.values()) {
      f.evidence.from = Math.min(f.evidence.from, win.from);
      f.metrics = { ...f.metrics, flows: f.flows };
      this.env.emit({ ...f, refresh: true });
    }
    this.open.clear();
  }

  stateBytes(): number {
    return this.seen.byteLength + this.firstSeen.byteLength + this.entities.size * 64;
  }
}

export const uncommonProtocol: DetectorDefinition<Params> = {
  name: 'uncommon_protocol',
  description: 'an IP protocol outside the allowlist, or one an interface has never used',
  severity: 'medium',
  params,
  create: (p, env) => new UncommonProtocol(p, env),
};
