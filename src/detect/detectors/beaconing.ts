// Beaconing: an inside host opening small connections to one outside address and port at a
// steady period, as implants poll their controller. Per (source, destination, port, protocol)
// the intervals between connection starts are tracked across windows (Welford mean and
// variance); a long enough run of nearly equal intervals with small payloads is reported.
// The table is bounded: when it fills, conversations idle for longer than the longest period
// watched are dropped.

import { z } from 'zod';
import { formatIp } from '../../schema/ip.js';
import type { FlowBatch } from '../../schema/batch.js';
import { severityOf, type BatchFacts, type Detector, type DetectorDefinition, type DetectorEnv, type WindowInfo } from '../detector.js';
import { addrTerm, and, numTerm } from '../evidence.js';
import { rowEntities, type Finding } from '../finding.js';
import { SYN, TCP, UDP } from '../flow-traits.js';
import { fmix, mix } from '../hash.js';
import { KeyTable } from '../key-table.js';

const params = z
  .object({
    /** Intervals needed before judging. */
    min_intervals: z.number().int().min(3).default(8),
    /** Largest coefficient of variation (deviation / mean) of the intervals. */
    max_jitter: z.number().positive().default(0.15),
    min_period_s: z.number().positive().default(2),
    max_period_s: z.number().positive().default(3600),
    /** Largest mean bytes per connection. */
    max_bytes: z.number().positive().default(20000),
    /** Destination ports never judged (DNS and NTP poll on timers by design). */
    exclude_ports: z.array(z.number().int().min(0).max(65535)).default([53, 123]),
    max_conversations: z.number().int().min(1024).default(1 << 19),
  })
  .strict();

type Params = z.infer<typeof params>;

// f64: last start (ms), interval mean (ms), M2, bytes. u32: intervals, window number reported + 1, last client port.
const F_LAST = 0;
const F_MEAN = 1;
const F_M2 = 2;
const F_BYTES = 3;
const U_N = 0;
const U_REPORTED = 1;
const U_PORT = 2;
const UW = 3;

class Beaconing implements Detector {
  private readonly table: KeyTable;
  private readonly excluded = new Uint8Array(65536);
  private newest = 0;

  constructor(
    private readonly p: Params,
    private readonly env: DetectorEnv,
  ) {
    this.table = new KeyTable({ f64Width: 4, u32Width: UW, initialCapacity: 4096, maxCapacity: p.max_conversations });
    for (const port of p.exclude_ports) this.excluded[port] = 1;
  }

  observe(b: FlowBatch, rows: Uint32Array, n: number, win: WindowInfo, h: BatchFacts): void {
    const c = b.cols;
    const { src, dst, proto, dport, sport, flags, bytes, firstMs, start } = { src: c.src_addr, dst: c.dst_addr, proto: c.protocol, dport: c.dst_port, sport: c.src_port, flags: c.tcp_flags, bytes: c.bytes, firstMs: c.first_ms, start: c.start };
    const inside = this.env.inside;
    const t = this.table;
    const minGap = 1000;
    const maxMs = this.p.max_period_s * 1000;
    for (let i = 0; i < n; i++) {
      const r = rows[i];
      const pr = proto[r];
      if (pr === TCP) {
        const f = flags[r];
        if (f !== 0 && (f & SYN) === 0) continue; // the rest of a long connection, not a new one
      } else if (pr !== UDP) continue;
      const port = dport[r];
      // The remote end must be the service (its port below ours): replies to clients are not calls.
      if (this.excluded[port] === 1 || port >= sport[r]) continue;
      const o = r * 4;
      if (inside.inside(dst, o) || !inside.inside(src, o)) continue;
      const pp = (pr << 16) | port;
      const s = t.upsert(fmix(mix(mix(h.srcA[r], h.dstA[r]), pp)), fmix(mix(mix(h.srcB[r], h.dstB[r]), pp)));
      if (s < 0) continue;
      const ms = firstMs[r] > 0 ? firstMs[r] : start[r] * 1000;
      if (ms > this.newest) this.newest = ms;
      const f64 = t.f64;
      const u32 = t.u32;
      const fo = s * 4;
      const uo = t.at(s);
      const cport = sport[r];
      if (t.inserted) {
        f64[fo + F_LAST] = ms;
        f64[fo + F_BYTES] = bytes[r];
        u32[uo + U_PORT] = cport;
        continue;
      }
      // The same client port again is the same connection (a retransmitted SYN, the next record
      // of a long one), not a new call.
      if (u32[uo + U_PORT] === cport) continue;
      u32[uo + U_PORT] = cport;
      const gap = ms - f64[fo + F_LAST];
      if (gap < minGap) {
        if (gap < 0 && -gap > maxMs) f64[fo + F_LAST] = ms; // far out of order: start over from here
        continue;
      }
      f64[fo + F_LAST] = ms;
      f64[fo + F_BYTES] += bytes[r];
      if (gap > maxMs) {
        u32[uo + U_N] = 0;
        f64[fo + F_MEAN] = 0;
        f64[fo + F_M2] = 0;
        f64[fo + F_BYTES] = bytes[r];
        continue;
      }
      // An interval far off the run so far starts a new run: a steady beacon that begins after
      // some irregular traffic is still found.
      if (u32[uo + U_N] >= 2 && Math.abs(gap - f64[fo + F_MEAN]) > 3 * this.p.max_jitter * f64[fo + F_MEAN]) {
        u32[uo + U_N] = 0;
        f64[fo + F_MEAN] = 0;
        f64[fo + F_M2] = 0;
        f64[fo + F_BYTES] = bytes[r];
      }
      const k = ++u32[uo + U_N];
      const d = gap - f64[fo + F_MEAN];
      f64[fo + F_MEAN] += d / k;
      f64[fo + F_M2] += d * (gap - f64[fo + F_MEAN]);
      if (k < this.p.min_intervals || u32[uo + U_REPORTED] === win.index + 1) continue;
      const mean = f64[fo + F_MEAN];
      const jitter = Math.sqrt(f64[fo + F_M2] / (k - 1)) / mean;
      const avgBytes = f64[fo + F_BYTES] / (k + 1);
      if (jitter <= this.p.max_jitter && mean >= this.p.min_period_s * 1000 && avgBytes <= this.p.max_bytes) {
        u32[uo + U_REPORTED] = win.index + 1;
        this.report(b, r, k, mean, jitter, avgBytes, win);
      }
    }
  }

  private report(b: FlowBatch, r: number, intervals: number, meanMs: number, jitter: number, avgBytes: number, win: WindowInfo): void {
    const src = formatIp(b.cols.src_addr, r * 4);
    const dst = formatIp(b.cols.dst_addr, r * 4);
    const port = b.cols.dst_port[r];
    const proto = b.cols.protocol[r];
    const period = Math.round(meanMs / 100) / 10;
    const f: Finding = {
      rule: this.env.rule,
      detector: 'beaconing',
      severity: severityOf(this.env, 'medium'),
      key: `${src}|${dst}|${proto}|${port}`,
      group: src,
      title: `${src} calls ${dst}:${port} every ${period} s (beaconing)`,
      entities: rowEntities(b, r, { addresses: [src, dst], ports: [port], protocols: [proto] }),
      windowStart: win.start,
      windowEnd: win.end,
      // The run of intervals began up to min_intervals periods before this window.
      evidence: { query: and(addrTerm('src_addr', src), addrTerm('dst_addr', dst), numTerm('dst_port', port), numTerm('protocol', proto)), from: Math.min(win.from, Math.floor(win.start - ((intervals + 1) * meanMs) / 1000)), to: win.end },
      flows: intervals + 1,
      metrics: { period_s: period, jitter: Math.round(jitter * 1000) / 1000, connections: intervals + 1, mean_bytes: Math.round(avgBytes) },
    };
    this.env.emit(f);
  }

  closeWindow(): void {
    const t = this.table;
    if (t.size < t.capacity * 0.6 || t.capacity < t.maxCapacity) return;
    const cutoff = this.newest - this.p.max_period_s * 1000;
    const f64 = t.f64;
    t.retain((s) => f64[s * 4 + F_LAST] >= cutoff);
  }

  stateBytes(): number {
    return this.table.bytes;
  }
}

export const beaconing: DetectorDefinition<Params> = {
  name: 'beaconing',
  description: 'an inside host calling one outside address at a steady period with small payloads',
  severity: 'medium',
  params,
  create: (p, env) => new Beaconing(p, env),
};
