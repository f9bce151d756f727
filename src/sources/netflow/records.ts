// Data sets → rows. Walks the records of one set with a compiled template, runs its ops straight
// into the batch, then finishes each row: counters times the sampling rate, flow times in unix ms,
// the collection window, ICMP type/code, the firewall's verdict, exporter and interface. RFC 5103
// biflow records give a second, reversed row. Options records update the domain instead.

import type { BatchSink } from '../source.js';
import { Columns } from './columns.js';
import { fillFromFrame } from './datalink.js';
import { FORWARDING_DROPPED, FW_EVENT_DENIED, IE } from './elements.js';
import * as O from './ops.js';
import { compileReader } from './record-reader.js';
import type { DomainState, ExporterState } from './state.js';
import { RATE_INTERVAL, RATE_PACKET_SPACE, RATE_POPULATION, type Template, VARLEN } from './template.js';
import { type TimeContext, toUnixMs } from './times.js';

/** Sampler ids remembered per domain. */
const MAX_SAMPLERS = 1024;

/** The message a set came in, as the finishing step needs it. */
export interface MessageContext extends TimeContext {
  version: number;
  /** Window fallback (unix seconds) for records that carry no time at all. */
  fallbackSecs: number;
}

export class RecordWriter {
  /** Per-record numbers the ops leave for the finishing step. */
  private readonly s = new Float64Array(O.SLOT_COUNT);
  /** Records read by the last dataSet() (rows can be more: biflows). */
  records = 0;
  /** The batch being written, and the one a biflow's reverse row lands in. */
  readonly cols = new Columns();
  private readonly rev = new Columns();
  private readonly saved = new Float64Array(SAVED_LENGTH);

  /**
   * @param compileAfter records a fixed-length template decodes through the op loop before it is
   *   compiled to a straight-line reader (a template seen once is not worth compiling).
   */
  constructor(
    private readonly fallbackRate: number,
    private readonly compileAfter: number,
  ) {}

  /**
   * Decodes the data records of one set (bytes [start, end) of `d`). Returns the number of rows
   * written, or -1 - rows when a variable-length record ran past the set (the rows before it stand).
   */
  dataSet(t: Template, d: Uint8Array, start: number, end: number, ctx: MessageContext, dom: DomainState, sink: BatchSink): number {
    const s = this.s;
    const c = this.cols;
    let rows = 0;
    const L = t.fixedLength;
    if (L > 0) {
      const n = Math.floor((end - start) / L);
      this.records = n;
      if (n === 0) return 0;
      let reader = t.reader;
      if (reader === null && (t.decoded += n) >= this.compileAfter) reader = t.reader = compileReader(t.ops);
      // room() promises one row; a batch not yet full takes more without asking again.
      let b = sink.room();
      c.bind(b);
      for (let p = start; end - p >= L; p += L) {
        if (b.full) {
          b = sink.room();
          c.bind(b);
        }
        const row = b.addRow();
        if (reader !== null) reader(d, p, c, row, s);
        else O.runOps(t.ops, d, p, c, row, s);
        rows += this.finish(t, d, row, ctx, dom, sink);
      }
      return rows;
    }
    this.records = 0;
    const ops = t.recordOps;
    const opField = t.opField;
    let p = start;
    while (end - p >= t.minLength) {
      const next = placeFields(t, d, p, end);
      if (next < 0) return -1 - rows;
      for (let i = 0, k = 0; i < ops.length; i += O.OP_WIDTH, k++) {
        const f = opField[k];
        ops[i + 1] = t.fieldOff[f];
        ops[i + 2] = t.fieldLen[f];
      }
      const b = sink.room();
      c.bind(b);
      const row = b.addRow();
      O.runOps(ops, d, p, c, row, s);
      rows += this.finish(t, d, row, ctx, dom, sink);
      this.records++;
      p = next;
    }
    return rows;
  }

  /** Options records: sampler table, system init time. Returns records read, or -1 - read. */
  optionsSet(t: Template, d: Uint8Array, start: number, end: number, dom: DomainState): number {
    let n = 0;
    let p = start;
    const min = Math.max(1, t.minLength);
    while (end - p >= min) {
      const next = placeFields(t, d, p, end);
      if (next < 0) return -1 - n;
      this.optionsRecord(t, d, p, dom);
      n++;
      p = next;
    }
    return n;
  }

  private optionsRecord(t: Template, d: Uint8Array, base: number, dom: DomainState): void {
    let sampler = -1;
    let interval = 0;
    let packetInterval = 0;
    let packetSpace = -1;
    let size = 0;
    let population = 0;
    let mode = 0;
    const fs = t.fields;
    // NetFlow v9 scope fields are scope types (1 system, 2 interface ...), not elements.
    const first = t.v9Scope ? t.scopeCount : 0;
    for (let i = first; i < fs.length; i++) {
      const f = fs[i];
      const len = t.fieldLen[i];
      if (f.pen !== 0 || len < 1 || len > 8) continue;
      const v = O.readUint(d, base + t.fieldOff[i], len);
      switch (f.id) {
        case IE.samplerId:
        case IE.selectorId:
          if (sampler < 0) sampler = v;
          break;
        case IE.samplingInterval:
        case IE.samplerRandomInterval:
          interval = v;
          mode = RATE_INTERVAL;
          break;
        case IE.samplingPacketInterval:
          packetInterval = v;
          break;
        case IE.samplingPacketSpace:
          packetSpace = v;
          if (!mode) mode = RATE_PACKET_SPACE;
          break;
        case IE.samplingSize:
          size = v;
          break;
        case IE.samplingPopulation:
          population = v;
          if (!mode) mode = RATE_POPULATION;
          break;
        case IE.systemInitTimeMilliseconds:
          if (v > 0) dom.initMs = v;
          break;
      }
    }
    const rate = samplingRate(mode, interval, packetInterval, packetSpace, size, population);
    if (rate <= 0) return;
    if (sampler >= 0) {
      dom.setSamplerRate(sampler, rate, MAX_SAMPLERS);
    } else {
      dom.defaultRate = rate;
    }
  }

  /** Completes one row; returns the rows it wrote (2 when a biflow gave a reverse row). */
  private finish(t: Template, d: Uint8Array, row: number, ctx: MessageContext, dom: DomainState, sink: BatchSink): number {
    const s = this.s;
    const c = this.cols;
    const ex = dom.exporter;
    const ipLength = t.hasFrame ? fillFromFrame(d, s[O.S_FRAME], s[O.S_FRAME + 1], c, row, t.provided) : 0;

    let rate = 0;
    if (t.rateMode) rate = samplingRate(t.rateMode, s[O.S_SAMPLING_INTERVAL], s[O.S_PACKET_INTERVAL], s[O.S_PACKET_SPACE], s[O.S_SAMPLE_SIZE], s[O.S_POPULATION]);
    if (rate <= 0 && t.hasSamplerId) rate = dom.samplerRate(s[O.S_SAMPLER_ID]);
    if (rate <= 0) rate = dom.defaultRate || this.fallbackRate;

    let packets = 0;
    let bytes = 0;
    if (t.hasPackets) packets = s[O.S_PACKETS];
    else if (t.hasFrame || t.hasFrameSize) packets = 1;
    // A sampled frame stands for one packet; its bytes are the IP packet's, as octet counters
    // count them, falling back to the frame's size when the frame holds no IP header.
    if (t.hasBytes) bytes = s[O.S_BYTES];
    else if (ipLength > 0) bytes = ipLength;
    else if (t.hasFrameSize) bytes = s[O.S_FRAME_SIZE];
    else if (t.hasFrame) bytes = s[O.S_FRAME + 1];
    c.packets[row] = packets * rate;
    c.bytes[row] = bytes * rate;
    c.sampling_rate[row] = rate;

    let first = t.firstKind ? toUnixMs(t.firstKind, s[O.S_FIRST], ctx) : 0;
    let last = t.lastKind ? toUnixMs(t.lastKind, s[O.S_LAST], ctx) : 0;
    if (t.durationScale) {
      const dur = s[O.S_DURATION] * t.durationScale;
      if (first > 0 && last <= 0) last = first + dur;
      else if (first <= 0 && last > 0) first = last - dur;
    }
    setTimes(c, row, first, last, ctx.fallbackSecs);

    if (t.icmpMode) {
      const p = c.protocol[row];
      if (p === 1 || p === 58) {
        c.dst_port[row] = t.icmpMode === 1 ? s[O.S_ICMP_TYPECODE] & 0xffff : ((s[O.S_ICMP_TYPE] & 0xff) << 8) | (s[O.S_ICMP_CODE] & 0xff);
      }
    }
    if ((t.hasFwEvent && s[O.S_FW_EVENT] === FW_EVENT_DENIED) || (t.hasFwdStatus && forwardingStatus(s[O.S_FWD_STATUS]) === FORWARDING_DROPPED)) {
      c.action[row] = 1;
    }
    c.version[row] = ctx.version;
    const a = row << 2;
    const e = c.exporter;
    const w = ex.address;
    e[a] = w[0];
    e[a + 1] = w[1];
    e[a + 2] = w[2];
    e[a + 3] = w[3];
    c.interfaceCodes[row] = ex.interfaceCode(c.in_if[row] || c.out_if[row], c.interfaceDict!);

    if (!t.hasReverse) return 1;
    const rp = s[O.S_REV_PACKETS];
    const rb = s[O.S_REV_BYTES];
    if (!(rp > 0 || rb > 0)) return 1;
    // Asking the sink for room may hand the forward row's batch on (and a sink may recycle it),
    // so what the reverse row copies is taken before.
    const saved = this.saved;
    saveRow(c, row, saved);
    const b2 = sink.room();
    const c2 = this.rev;
    c2.bind(b2);
    const r2 = b2.addRow();
    writeReversed(saved, c2, r2);
    c2.packets[r2] = rp * rate;
    c2.bytes[r2] = rb * rate;
    c2.tcp_flags[r2] = t.hasRevFlags ? s[O.S_REV_FLAGS] & 0xff : 0;
    const rf = t.revFirstKind ? toUnixMs(t.revFirstKind, s[O.S_REV_FIRST], ctx) : first;
    const rl = t.revLastKind ? toUnixMs(t.revLastKind, s[O.S_REV_LAST], ctx) : last;
    setTimes(c2, r2, rf, rl, ctx.fallbackSecs);
    c2.interfaceCodes[r2] = ex.interfaceCode(c2.in_if[r2] || c2.out_if[r2], c2.interfaceDict!);
    return 2;
  }
}

/**
 * Places every field of a variable-length record (RFC 7011 §7: one length byte, or 255 and two
 * more) into the template's per-record offset arrays. Returns the record's end, or -1 when a
 * length runs past `end`.
 */
function placeFields(t: Template, d: Uint8Array, start: number, end: number): number {
  const lens = t.fieldLens;
  if (t.fixedLength >= 0) return start + t.fixedLength <= end ? start + t.fixedLength : -1;
  let p = start;
  for (let i = 0; i < lens.length; i++) {
    let len = lens[i];
    if (len === VARLEN) {
      if (p >= end) return -1;
      len = d[p++];
      if (len === 255) {
        if (end - p < 2) return -1;
        len = (d[p] << 8) | d[p + 1];
        p += 2;
      }
    }
    if (end - p < len) return -1;
    t.fieldOff[i] = p - start;
    t.fieldLen[i] = len;
    p += len;
  }
  return p;
}

function samplingRate(mode: number, interval: number, packetInterval: number, packetSpace: number, size: number, population: number): number {
  let r = 0;
  if (mode === RATE_INTERVAL) r = interval;
  else if (mode === RATE_PACKET_SPACE) {
    // PSAMP systematic count-based: `interval` packets taken, then `space` skipped.
    const taken = packetInterval > 0 ? packetInterval : 1;
    r = (taken + (packetSpace > 0 ? packetSpace : 0)) / taken;
  } else if (mode === RATE_POPULATION) {
    // PSAMP random n-out-of-N: `size` packets out of every `population`.
    r = population / (size > 0 ? size : 1);
  }
  if (!(r >= 1)) return 0;
  return r > 0xffffffff ? 0xffffffff : Math.round(r);
}

/** Status bits of forwardingStatus: the top two bits of its status byte (RFC 7270). */
function forwardingStatus(v: number): number {
  let byte = v % 256;
  // Some exporters left-align the status byte in a wider field.
  if (byte === 0 && v > 255) {
    while (v > 255) v = Math.floor(v / 256);
    byte = v;
  }
  return byte >> 6;
}

function setTimes(c: Columns, row: number, first: number, last: number, fallbackSecs: number): void {
  if (!(first > 0)) first = last > 0 ? last : 0;
  if (!(last > 0)) last = first;
  c.first_ms[row] = first;
  c.last_ms[row] = last;
  if (first > 0) {
    c.start[row] = Math.floor(first / 1000);
    c.end[row] = Math.ceil(last / 1000);
  } else {
    c.start[row] = fallbackSecs;
    c.end[row] = fallbackSecs;
  }
}

// What a biflow's reverse row takes from the forward row, by position in the saved array.
const SAVED_LENGTH = 36;

function saveRow(c: Columns, r: number, v: Float64Array): void {
  const x = r << 2;
  for (let k = 0; k < 4; k++) {
    v[k] = c.src_addr[x + k];
    v[4 + k] = c.dst_addr[x + k];
    v[8 + k] = c.nat_src_addr[x + k];
    v[12 + k] = c.nat_dst_addr[x + k];
    v[16 + k] = c.exporter[x + k];
  }
  v[20] = c.src_port[r];
  v[21] = c.dst_port[r];
  v[22] = c.nat_src_port[r];
  v[23] = c.nat_dst_port[r];
  v[24] = c.in_if[r];
  v[25] = c.out_if[r];
  v[26] = c.src_mac[r];
  v[27] = c.dst_mac[r];
  v[28] = c.protocol[r];
  v[29] = c.vlan[r];
  v[30] = c.direction[r];
  v[31] = c.action[r];
  v[32] = c.version[r];
  v[33] = c.sampling_rate[r];
  v[34] = c.src_asn[r];
  v[35] = c.dst_asn[r];
}

/** The reverse half of an RFC 5103 biflow: the saved forward row with both ends swapped. */
function writeReversed(v: Float64Array, b: Columns, r: number): void {
  const y = r << 2;
  for (let k = 0; k < 4; k++) {
    b.src_addr[y + k] = v[4 + k];
    b.dst_addr[y + k] = v[k];
    b.nat_src_addr[y + k] = v[12 + k];
    b.nat_dst_addr[y + k] = v[8 + k];
    b.exporter[y + k] = v[16 + k];
  }
  b.src_port[r] = v[21];
  b.dst_port[r] = v[20];
  b.nat_src_port[r] = v[23];
  b.nat_dst_port[r] = v[22];
  b.in_if[r] = v[25];
  b.out_if[r] = v[24];
  b.src_mac[r] = v[27];
  b.dst_mac[r] = v[26];
  b.protocol[r] = v[28];
  b.vlan[r] = v[29];
  b.direction[r] = v[30];
  b.action[r] = v[31];
  b.version[r] = v[32];
  b.sampling_rate[r] = v[33];
  b.src_asn[r] = v[35];
  b.dst_asn[r] = v[34];
}
