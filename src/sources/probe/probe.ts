// The probe: packets in, flow records out, the way the clouds' flow logs see an interface.
// Every packet is decoded (L2–L4), attributed to the interfaces it leaves and enters (an
// egress record on the sender's ENI, an ingress record on the receiver's, found by MAC and
// otherwise by address), and summed into a flow table per aggregation window, aligned to the
// clock. A flow's first packet gets the policy engine's verdict at each of its interfaces,
// with connection tracking so that replies of allowed connections pass stateful security
// groups; the verdict stays with the flow from window to window.
// A window is written out when a packet of a later window arrives (or, live, when the clock
// passes its end); covered interfaces without traffic get NODATA records. The table is
// bounded: when full, the window is written early and its records are marked SKIPDATA, so
// counts are split, never lost.
//
// Capture ports say what a packet means: a mirror or TAP port ('both') sees each packet once
// and both ends are attributed; the host side of a VM's interface is captured as two ports,
// frames leaving the VM ('from': sender only) and frames going to it ('to': receiver only), so
// that a packet crossing two such ports is counted once at each end.

import type { InventoryIndex } from '../../inventory/inventory-index.js';
import type { Eni } from '../../inventory/model.js';
import type { MetricsRegistry } from '../../metrics/registry.js';
import { EGRESS, INGRESS, PolicyEngine, type Decision } from '../../policy/index.js';
import type { FlowBatch } from '../../schema/batch.js';
import { parseIpInto } from '../../schema/ip.js';
import { decodeFrame } from '../packet/decode.js';
import { PacketHeaders, TUNNEL_NONE } from '../packet/headers.js';
import { LINKTYPE_ETHERNET } from '../packet/link-types.js';
import type { BatchSink } from '../source.js';
import { ConnectionTracker } from './conntrack.js';
import { FlowTable, ROW, R_DST, R_META, R_PACKETS, R_PORTS, R_RECEIVER, R_SENDER, R_SRC } from './flow-table.js';
import { MacIndex } from './mac-index.js';

export type PortSide = 'both' | 'from' | 'to';
const SIDE_BOTH = 0;
const SIDE_FROM = 1;
const SIDE_TO = 2;

/** Which covered interfaces get NODATA records: those seen in the capture so far, all of the inventory's, or none. */
export type NoDataMode = 'seen' | 'all' | 'none';

const STATUS_OK = 0;
const STATUS_NODATA = 1;
const STATUS_SKIPDATA = 2;
/** The records carry every field of the clouds' default (v2) format. */
export const PROBE_RECORD_VERSION = 2;
const MAX_GAP_WINDOWS = 60;

export const SKIP_REASONS = ['not_ip', 'truncated', 'malformed', 'unsupported_link', 'no_interface'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export class ProbeStats {
  packets = 0;
  /** IP bytes of the packets that made it into records. */
  bytes = 0;
  /** Packets put into records (a packet between two covered ENIs counts once). */
  counted = 0;
  /** Packets older than the window they were counted in (out of order across capture ports). */
  late = 0;
  records = 0;
  nodataRecords = 0;
  skipdataRecords = 0;
  earlyFlushes = 0;
  windows = 0;
  readonly skipped: Record<SkipReason, number> = { not_ip: 0, truncated: 0, malformed: 0, unsupported_link: 0, no_interface: 0 };
}

export interface ProbeOptions {
  sink: BatchSink;
  /** Without one, every flow is recorded once per window under the capture port's name. */
  inventory?: InventoryIndex;
  windowSeconds?: number;
  /** Flows held in the table; past it, idle ones are dropped, and if none is idle the window is written early (SKIPDATA). */
  maxFlows?: number;
  /** Connections remembered for stateful verdicts. */
  maxConnections?: number;
  nodata?: NoDataMode;
  /** Called after each window's records went into the sink (hand them on now). */
  onWindow?: () => void;
  /** The probe's own address, written as each record's exporter. */
  exporter?: string;
  metrics?: MetricsRegistry;
}

export class Probe {
  readonly stats = new ProbeStats();
  private readonly h = new PacketHeaders();
  private readonly table: FlowTable;
  private readonly conntrack: ConnectionTracker;
  private readonly engine?: PolicyEngine;
  private readonly decisions: readonly Decision[] = [];
  private readonly enis: readonly Eni[];
  private readonly macs?: MacIndex;
  private readonly windowMs: number;
  private readonly unitMs: number;
  private windowStartMs = 0;
  private windowEndMs = 0;
  private degraded = false;
  /** Entries with packets in the current window. */
  private active = 0;
  private readonly seenNow: Uint8Array;
  private readonly seenEver: Uint8Array;
  private readonly portNames: string[] = [];
  private portSides = new Uint8Array(4);
  private readonly exporter = new Uint32Array(4);
  private readonly hasExporter: boolean;
  private cacheBatch?: FlowBatch;
  private slotCache = new Int32Array(5 * 64).fill(-1);
  private readonly ruleCache: Int32Array;

  constructor(private readonly opts: ProbeOptions) {
    const w = opts.windowSeconds ?? 60;
    if (!Number.isInteger(w) || w < 1 || w > 600) throw new Error(`window must be 1 to 600 seconds, got ${w}`);
    this.windowMs = w * 1000;
    // First and last packet are kept in 16 bits: ms for windows up to a minute, coarser beyond.
    this.unitMs = Math.max(1, Math.ceil(this.windowMs / 65536));
    this.table = new FlowTable(opts.maxFlows ?? 1_000_000);
    this.conntrack = new ConnectionTracker(opts.maxConnections ?? 1 << 20);
    const inv = opts.inventory;
    this.enis = inv?.enis ?? [];
    if (inv) {
      this.engine = new PolicyEngine(inv);
      this.decisions = this.engine.decisions;
      this.macs = new MacIndex(inv.enis.map((e) => [e.mac, e.index] as const));
    }
    this.ruleCache = new Int32Array(Math.max(1, this.decisions.length)).fill(-1);
    this.seenNow = new Uint8Array(Math.max(1, this.enis.length));
    this.seenEver = new Uint8Array(Math.max(1, this.enis.length));
    this.hasExporter = opts.exporter !== undefined && parseIpInto(opts.exporter, this.exporter, 0);
    if (opts.metrics) this.registerMetrics(opts.metrics);
  }

  private registerMetrics(m: MetricsRegistry): void {
    const s = this.stats;
    const packets = m.counter('flowlogs_probe_packets_total', 'Packets the probe read').with();
    const counted = m.counter('flowlogs_probe_packets_counted_total', 'Packets the probe put into flow records').with();
    const skipped = m.counter('flowlogs_probe_packets_skipped_total', 'Packets the probe could not put into a record, by reason');
    const skippedBy = SKIP_REASONS.map((r) => [r, skipped.with({ reason: r })] as const);
    const records = m.counter('flowlogs_probe_records_total', 'Flow records the probe wrote, by log_status');
    const ok = records.with({ log_status: 'OK' });
    const nodata = records.with({ log_status: 'NODATA' });
    const skipdata = records.with({ log_status: 'SKIPDATA' });
    const early = m.counter('flowlogs_probe_early_flushes_total', 'Windows written before their end because the flow table was full').with();
    const flows = m.gauge('flowlogs_probe_flows', 'Flows in the probe\'s table for the current window');
    m.onCollect(() => {
      packets.set(s.packets);
      counted.set(s.counted);
      for (const [r, series] of skippedBy) series.set(s.skipped[r]);
      ok.set(s.records - s.nodataRecords - s.skipdataRecords);
      nodata.set(s.nodataRecords);
      skipdata.set(s.skipdataRecords);
      early.set(s.earlyFlushes);
      flows.set({}, this.table.size);
    });
  }

  /** Registers a capture port; its name is the interface_id of records made without an inventory. */
  addPort(name: string, side: PortSide = 'both'): number {
    const i = this.portNames.length;
    this.portNames.push(name);
    if (i >= this.portSides.length) {
      const bigger = new Uint8Array(this.portSides.length * 2);
      bigger.set(this.portSides);
      this.portSides = bigger;
    }
    this.portSides[i] = side === 'from' ? SIDE_FROM : side === 'to' ? SIDE_TO : SIDE_BOTH;
    return i;
  }

  get flowTable(): FlowTable {
    return this.table;
  }

  get connections(): ConnectionTracker {
    return this.conntrack;
  }

  /** One captured frame: `length` bytes at `offset`, `origLen` on the wire, time in unix ms. */
  packet(bytes: Uint8Array, offset: number, length: number, origLen: number, tsMs: number, linkType: number, port = 0): void {
    const sec = Math.floor(tsMs / 1000);
    this.packetAt(bytes, offset, length, origLen, sec, Math.floor((tsMs - sec * 1000) * 1000), linkType, port);
  }

  /**
   * The same with the time as whole seconds and microseconds, as capture records carry it:
   * small integers travel without being boxed, so the per-packet path allocates nothing.
   */
  packetAt(bytes: Uint8Array, offset: number, length: number, origLen: number, tsSec: number, tsUsec: number, linkType: number, port = 0): void {
    const st = this.stats;
    st.packets++;
    const h = this.h;
    if (!decodeFrame(bytes, offset, length, linkType, h)) {
      if (h.unsupportedLink) st.skipped.unsupported_link++;
      else if (h.malformed) st.skipped.malformed++;
      else if (h.truncated) st.skipped.truncated++;
      else st.skipped.not_ip++;
      return;
    }
    const ms = tsSec * 1000 + ((tsUsec / 1000) | 0);
    if (ms >= this.windowEndMs) this.advance(ms);
    else if (ms < this.windowStartMs) st.late++;
    const ipBytes = h.ipTotalLength > 0 ? h.ipTotalLength : origLen - (h.l3Offset >= offset ? h.l3Offset - offset : 0);
    const sinceStart = ms > this.windowStartMs ? ms - this.windowStartMs : 0;
    const at = this.unitMs === 1 ? sinceStart : (sinceStart / this.unitMs) | 0;
    const ports = ((h.srcPort << 16) | h.dstPort) >>> 0;
    const meta = h.protocol | ((h.vlan & 0xfff) << 8);
    const side = this.portSides[port];
    const macs = this.macs;
    if (!macs) {
      // Without an inventory the capture port is the interface, seen sending or receiving.
      if (side === SIDE_FROM) this.count(port, -1, ports, meta, ipBytes, at, tsSec);
      else this.count(-1, port, ports, meta, ipBytes, at, tsSec);
      st.counted++;
      st.bytes += ipBytes;
      return;
    }
    let s = -1;
    let d = -1;
    if (linkType === LINKTYPE_ETHERNET && h.tunnel === TUNNEL_NONE) {
      // The addresses are the frame's first 12 bytes: integer reads, no 48-bit arithmetic.
      const b = bytes;
      const o = offset;
      if (side !== SIDE_TO) s = macs.getParts((b[o + 6] << 8) | b[o + 7], (b[o + 8] << 24) | (b[o + 9] << 16) | (b[o + 10] << 8) | b[o + 11]);
      if (side !== SIDE_FROM) d = macs.getParts((b[o] << 8) | b[o + 1], (b[o + 2] << 24) | (b[o + 3] << 16) | (b[o + 4] << 8) | b[o + 5]);
    } else {
      if (side !== SIDE_TO) s = macs.get(h.srcMac);
      if (side !== SIDE_FROM) d = macs.get(h.dstMac);
    }
    // No MAC of the inventory in the frame (raw IP, or a capture between routers): by address.
    // When one end's MAC is known the other end is on another segment and is seen there.
    if (side === SIDE_BOTH) {
      if (s < 0 && d < 0) {
        s = this.eniByAddr(h.src);
        d = this.eniByAddr(h.dst);
      }
    } else if (side === SIDE_FROM) {
      if (s < 0) s = this.eniByAddr(h.src);
    } else if (d < 0) d = this.eniByAddr(h.dst);
    if (s < 0 && d < 0) {
      st.skipped.no_interface++;
      return;
    }
    this.count(s, d, ports, meta, ipBytes, at, tsSec);
    st.counted++;
    st.bytes += ipBytes;
  }

  private eniByAddr(w: Uint32Array): number {
    const e = this.opts.inventory!.eniByIp(w, 0);
    return e ? e.index : -1;
  }

  /** One packet from interface `s` (egress; -1: none) to interface `d` (ingress; -1: none). */
  private count(s: number, d: number, ports: number, meta: number, ipBytes: number, at: number, tsSec: number): void {
    const t = this.table;
    const h = this.h;
    let e = t.upsert(s + 1, d + 1, h.src, h.dst, ports, meta);
    if (e < 0) {
      this.makeRoom();
      e = t.upsert(s + 1, d + 1, h.src, h.dst, ports, meta);
    }
    if (t.created) {
      const sm = h.srcMac;
      const dm = h.dstMac;
      const mo = e * 3;
      t.macs[mo] = (((sm / 0x100000000) & 0xffff) << 16) | ((dm / 0x100000000) & 0xffff);
      t.macs[mo + 1] = sm % 0x100000000;
      t.macs[mo + 2] = dm % 0x100000000;
      // Once per flow, not per window: the entry and its verdicts outlive the window.
      if (this.engine) this.judge(e, s, d, tsSec);
    }
    if (t.rows[e * ROW + R_PACKETS] === 0) {
      this.active++;
      if (this.engine) {
        if (s >= 0) this.seenNow[s] = 1;
        if (d >= 0) this.seenNow[d] = 1;
      }
    }
    t.add(e, ipBytes, at, h.tcpFlags);
  }

  /** A full table: entries idle this window go first; if every entry is busy, the window is written early. */
  private makeRoom(): void {
    if (this.table.evictIdle() > 0) return;
    this.flushEarly();
    this.table.evictIdle();
  }

  /** The verdicts on a new flow at its sending and receiving interfaces. */
  private judge(e: number, s: number, d: number, tsSec: number): void {
    const h = this.h;
    const engine = this.engine!;
    const reply = this.conntrack.isReply(h.protocol, h.src, h.srcPort, h.dst, h.dstPort, h.tcpFlags, tsSec);
    const v = this.table.verdicts;
    if (s >= 0) v[e * 2] = engine.evaluateInterface(this.enis[s], EGRESS, h.protocol, h.dst, 0, h.srcPort, h.dstPort, reply, d >= 0 ? this.enis[d] : undefined).code;
    if (d >= 0) v[e * 2 + 1] = engine.evaluateInterface(this.enis[d], INGRESS, h.protocol, h.src, 0, h.srcPort, h.dstPort, reply, s >= 0 ? this.enis[s] : undefined).code;
  }

  /** Moves to the window holding `tsMs`, writing out the current one (and NODATA for windows with no packets at all). */
  private advance(tsMs: number): void {
    const w = this.windowMs;
    const next = tsMs - (tsMs % w);
    if (this.windowEndMs > 0) {
      this.writeWindow();
      let gap = Math.min(MAX_GAP_WINDOWS, Math.floor((next - this.windowEndMs) / w));
      let start = next - gap * w;
      while (gap-- > 0) {
        this.windowStartMs = start;
        this.windowEndMs = start + w;
        this.writeWindow();
        start += w;
      }
    }
    this.windowStartMs = next;
    this.windowEndMs = next + w;
  }

  /** Live captures: writes the window once the clock is `graceMs` past its end, even without packets. */
  tick(nowMs: number, graceMs = 1000): void {
    if (this.windowEndMs === 0 || nowMs < this.windowEndMs + graceMs) return;
    this.advance(nowMs - graceMs);
  }

  /** Writes the current window as it stands (end of a capture file, shutdown). */
  finish(): void {
    if (this.windowEndMs === 0) return;
    this.writeWindow();
    this.windowStartMs = this.windowEndMs = 0;
  }

  private flushEarly(): void {
    this.stats.earlyFlushes++;
    this.degraded = true;
    this.writeRecords(STATUS_SKIPDATA);
    this.opts.onWindow?.();
  }

  private writeWindow(): void {
    const t = this.table;
    // Flows idle for a whole window leave once they are most of the table (not sooner: a
    // flow that comes back would need its verdict again).
    if (t.size > 4096 && t.size - this.active > (t.size * 3) / 4) t.evictIdle();
    this.writeRecords(this.degraded ? STATUS_SKIPDATA : STATUS_OK);
    this.writeNoData();
    this.seenNow.fill(0);
    this.degraded = false;
    this.stats.windows++;
    this.opts.onWindow?.();
  }

  private ifaceOf(slot: number): string {
    return this.engine ? this.enis[slot].id : this.portNames[slot] ?? `capture-${slot}`;
  }

  /**
   * Dictionary codes in batch `b` of an interface's strings (interface, account, VPC, subnet,
   * instance) and of rule ids, looked up once per batch: the same few names repeat on every
   * row, and five Map lookups per row add up.
   */
  private slotCodes(b: FlowBatch, r: number, slot: number): number {
    // Row 0 also starts over: a sink may hand back the same batch after emptying it.
    if (b !== this.cacheBatch || r === 0) {
      this.cacheBatch = b;
      this.slotCache.fill(-1);
      this.ruleCache.fill(-1);
    }
    if (slot * 5 >= this.slotCache.length) {
      const bigger = new Int32Array(Math.max((slot + 1) * 5, this.slotCache.length * 2)).fill(-1);
      bigger.set(this.slotCache);
      this.slotCache = bigger;
    }
    const o = slot * 5;
    const cache = this.slotCache;
    if (cache[o] < 0) {
      const c = b.cols;
      cache[o] = c.interface_id.dict.intern(this.ifaceOf(slot));
      const eni = this.engine ? this.enis[slot] : undefined;
      cache[o + 1] = eni ? c.account_id.dict.intern(eni.accountId) : 0;
      cache[o + 2] = eni ? c.vpc_id.dict.intern(eni.vpc.id) : 0;
      cache[o + 3] = eni ? c.subnet_id.dict.intern(eni.subnet.id) : 0;
      cache[o + 4] = eni?.instanceId ? c.instance_id.dict.intern(eni.instanceId) : 0;
    }
    return o;
  }

  private ruleCode(b: FlowBatch, decision: number): number {
    const cache = this.ruleCache;
    let c = cache[decision];
    if (c < 0) c = cache[decision] = b.cols.rule_id.dict.intern(this.decisions[decision].ruleId);
    return c;
  }

  private stamp(b: FlowBatch, r: number, slot: number): void {
    const c = b.cols;
    const o = this.slotCodes(b, r, slot);
    const codes = this.slotCache;
    c.version[r] = PROBE_RECORD_VERSION;
    c.interface_id.codes[r] = codes[o];
    c.account_id.codes[r] = codes[o + 1];
    c.vpc_id.codes[r] = codes[o + 2];
    c.subnet_id.codes[r] = codes[o + 3];
    c.instance_id.codes[r] = codes[o + 4];
    c.start[r] = this.windowStartMs / 1000;
    c.end[r] = this.windowEndMs / 1000;
    c.sampling_rate[r] = 1;
    if (this.hasExporter) c.exporter.set(this.exporter, r * 4);
  }

  /** Writes the entries with packets in this window (a record per interface) and zeroes their counters. */
  private writeRecords(status: number): void {
    const t = this.table;
    const rows = t.rows;
    let written = 0;
    for (let e = 0; e < t.size; e++) {
      const o = e * ROW;
      if (rows[o + R_PACKETS] === 0) continue;
      if (rows[o + R_SENDER] !== 0) {
        this.writeRecord(e, rows[o + R_SENDER] - 1, EGRESS, status);
        written++;
      }
      if (rows[o + R_RECEIVER] !== 0) {
        this.writeRecord(e, rows[o + R_RECEIVER] - 1, INGRESS, status);
        written++;
      }
      t.resetCounters(e);
    }
    this.active = 0;
    this.stats.records += written;
    if (status === STATUS_SKIPDATA) this.stats.skipdataRecords += written;
  }

  private writeRecord(e: number, slot: number, direction: number, status: number): void {
    const t = this.table;
    const rows = t.rows;
    const o = e * ROW;
    const b = this.opts.sink.room();
    const r = b.addRow();
    const c = b.cols;
    this.stamp(b, r, slot);
    const a = r * 4;
    c.src_addr[a] = rows[o + R_SRC];
    c.src_addr[a + 1] = rows[o + R_SRC + 1];
    c.src_addr[a + 2] = rows[o + R_SRC + 2];
    c.src_addr[a + 3] = rows[o + R_SRC + 3];
    c.dst_addr[a] = rows[o + R_DST];
    c.dst_addr[a + 1] = rows[o + R_DST + 1];
    c.dst_addr[a + 2] = rows[o + R_DST + 2];
    c.dst_addr[a + 3] = rows[o + R_DST + 3];
    const ports = rows[o + R_PORTS];
    c.src_port[r] = ports >>> 16;
    c.dst_port[r] = ports & 0xffff;
    const meta = rows[o + R_META];
    c.protocol[r] = meta & 0xff;
    c.vlan[r] = meta >>> 8;
    c.direction[r] = direction;
    c.packets[r] = t.packets(e);
    c.bytes[r] = t.bytes(e);
    c.first_ms[r] = this.windowStartMs + t.first(e) * this.unitMs;
    c.last_ms[r] = this.windowStartMs + t.last(e) * this.unitMs;
    c.tcp_flags[r] = t.tcpFlags(e);
    c.log_status[r] = status;
    const mo = e * 3;
    const hi = t.macs[mo];
    c.src_mac[r] = (hi >>> 16) * 0x100000000 + t.macs[mo + 1];
    c.dst_mac[r] = (hi & 0xffff) * 0x100000000 + t.macs[mo + 2];
    const v = t.verdicts[direction === EGRESS ? e * 2 : e * 2 + 1];
    if (v >= 0) {
      c.action[r] = this.decisions[v].accept ? 0 : 1;
      c.rule_id.codes[r] = this.ruleCode(b, v);
    }
    if (this.engine) this.seenEver[slot] = 1;
  }

  private writeNoData(): void {
    const mode = this.opts.nodata ?? 'seen';
    if (!this.engine || mode === 'none') return;
    for (let slot = 0; slot < this.enis.length; slot++) {
      if (this.seenNow[slot] || (mode === 'seen' && !this.seenEver[slot])) continue;
      const b = this.opts.sink.room();
      const r = b.addRow();
      this.stamp(b, r, slot);
      b.cols.log_status[r] = STATUS_NODATA;
      this.stats.records++;
      this.stats.nodataRecords++;
    }
  }
}
