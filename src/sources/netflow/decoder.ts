// NetFlow v5, NetFlow v9 (RFC 3954) and IPFIX (RFC 7011) datagrams → flow rows.
// Pure: bytes in, rows out through a BatchSink, state (templates, sampler tables, clocks, sequence
// numbers, data waiting for its template) kept per exporter and observation domain. Bad input is
// counted by reason and skipped; the good sets and records around it are kept.

import { MetricsRegistry, type Series } from '../../metrics/registry.js';
import { detectProtocol } from '../detect.js';
import type { BatchSink } from '../source.js';
import { read16, read32 } from './ops.js';
import { PendingQueue } from './pending.js';
import { type MessageContext, RecordWriter } from './records.js';
import { DomainState, ExporterState, domainKey } from './state.js';
import { emptyStats, MALFORMED_REASONS, type MalformedReason, type NetflowStats } from './stats.js';
import { type FieldSpec, Template } from './template.js';
import { ipfixTemplates, type TemplateReceiver, v9OptionsTemplates, v9Templates, WITHDRAW_ALL_DATA, WITHDRAW_ALL_OPTIONS } from './template-sets.js';
import { V5_HEADER, V5_MAX_COUNT, V5_RECORD, v5SamplingRate, writeV5Records } from './v5.js';

export interface NetflowDecoderOptions {
  /** Sampling rate to assume when the exporter announces none (default 1: unsampled). */
  samplingRate?: number;
  /** A template not refreshed for this long is dropped (default 30 min, RFC 7011 §8.4's UDP advice). */
  templateTimeoutMs?: number;
  /** Data sets kept while waiting for their template (default 512). */
  pendingLimit?: number;
  /** Bytes those waiting sets may hold (default 4 MiB). */
  pendingBytesLimit?: number;
  /** Templates held over all exporters (default 8192); the oldest go first. */
  maxTemplates?: number;
  /** Exporters remembered (default 4096). */
  maxExporters?: number;
  /** Observation domains remembered per exporter (default 256). */
  maxDomainsPerExporter?: number;
  /**
   * Records a fixed-length template decodes through the generic op loop before it is compiled
   * into its own reader function (default 64; 0 compiles at once, Infinity never).
   */
  compileAfterRecords?: number;
  metrics?: MetricsRegistry;
  /**
   * Called on each sequence gap with the exporter, observation domain / source id, version
   * and how many records (v5, IPFIX) or export packets (v9) the numbers say were lost.
   */
  onSequenceGap?: (exporter: string, domain: number, version: number, missing: number) => void;
}

const DEFAULT_TEMPLATE_TIMEOUT_MS = 30 * 60 * 1000;
const TWO_31 = 2147483648;

/** Set ids (RFC 3954 §5.2, RFC 7011 §3.3.2). */
const V9_TEMPLATE_SET = 0;
const V9_OPTIONS_SET = 1;
const IPFIX_TEMPLATE_SET = 2;
const IPFIX_OPTIONS_SET = 3;
const FIRST_DATA_SET = 256;

const V9_HEADER = 20;
const IPFIX_HEADER = 16;

export class NetflowDecoder {
  readonly stats: NetflowStats = emptyStats();

  private readonly fallbackRate: number;
  private readonly templateTimeoutMs: number;
  private readonly maxTemplates: number;
  private readonly maxExporters: number;
  private readonly maxDomains: number;
  private readonly writer: RecordWriter;
  private readonly pending: PendingQueue;
  private readonly exporters = new Map<string, ExporterState>();
  private lastExporter: ExporterState | null = null;
  /** Every held template with its domain, oldest first: the eviction order. */
  private readonly templateOrder = new Map<Template, DomainState>();
  private lastSweepMs = 0;

  // The message being decoded, for the template callbacks.
  private readonly ctx: MessageContext = { version: 0, exportMs: 0, sysUptimeMs: -1, initMs: 0, fallbackSecs: 0 };
  private dom: DomainState | null = null;
  private receivedMs = 0;
  private sink: BatchSink | null = null;
  /** Data records decoded in the current message (IPFIX sequence numbers count them). */
  private records = 0;
  /** Whether a set of the current message went to the pending queue (its record count is unknown). */
  private deferred = false;
  private readonly receiver: TemplateReceiver;

  private readonly mDatagrams: Record<number, Series>;
  private readonly mFlows: Record<number, Series>;
  private readonly mGaps: Record<number, Series>;
  private readonly onSequenceGap: NetflowDecoderOptions['onSequenceGap'];
  private readonly mMissingFlows: Series;
  private readonly mMissingDatagrams: Series;
  private readonly mMalformed: Record<MalformedReason, Series>;
  private readonly mPendingDropped: Series;

  constructor(opts: NetflowDecoderOptions = {}) {
    const rate = opts.samplingRate ?? 1;
    this.fallbackRate = rate >= 1 ? Math.round(rate) : 1;
    this.templateTimeoutMs = opts.templateTimeoutMs ?? DEFAULT_TEMPLATE_TIMEOUT_MS;
    this.onSequenceGap = opts.onSequenceGap;
    this.maxTemplates = Math.max(1, opts.maxTemplates ?? 8192);
    this.maxExporters = Math.max(1, opts.maxExporters ?? 4096);
    this.maxDomains = Math.max(1, opts.maxDomainsPerExporter ?? 256);
    this.writer = new RecordWriter(this.fallbackRate, opts.compileAfterRecords ?? 64);
    this.pending = new PendingQueue(opts.pendingLimit ?? 512, opts.pendingBytesLimit ?? 4 * 1024 * 1024);
    this.receiver = {
      template: (id, fields, options, definition, scopeCount, v9Scope) => this.addTemplate(id, fields, options, definition, scopeCount, v9Scope),
      withdraw: (id, options) => this.withdraw(id, options),
      malformed: (reason) => this.malformed(reason),
    };

    const m = opts.metrics ?? new MetricsRegistry();
    const datagrams = m.counter('flowlogs_netflow_datagrams_total', 'NetFlow/IPFIX datagrams decoded, by version');
    const flows = m.counter('flowlogs_netflow_flows_total', 'Flow rows produced from NetFlow/IPFIX, by version');
    const gaps = m.counter('flowlogs_netflow_sequence_gaps_total', 'Messages whose sequence number skipped ahead, by version');
    const missing = m.counter('flowlogs_netflow_missing_total', 'Records or export packets the sequence numbers say were lost');
    const malformed = m.counter('flowlogs_netflow_malformed_total', 'NetFlow/IPFIX input refused, by reason');
    const dropped = m.counter('flowlogs_netflow_pending_dropped_total', 'Data sets dropped while waiting for their template');
    this.mDatagrams = { 5: datagrams.with({ version: '5' }), 9: datagrams.with({ version: '9' }), 10: datagrams.with({ version: '10' }) };
    this.mFlows = { 5: flows.with({ version: '5' }), 9: flows.with({ version: '9' }), 10: flows.with({ version: '10' }) };
    this.mGaps = { 5: gaps.with({ version: '5' }), 9: gaps.with({ version: '9' }), 10: gaps.with({ version: '10' }) };
    this.mMissingFlows = missing.with({ unit: 'flows' });
    this.mMissingDatagrams = missing.with({ unit: 'datagrams' });
    this.mMalformed = {} as Record<MalformedReason, Series>;
    for (const r of MALFORMED_REASONS) this.mMalformed[r] = malformed.with({ reason: r });
    this.mPendingDropped = dropped.with();
    const templates = m.gauge('flowlogs_netflow_templates', 'Templates held').with();
    const pendingSets = m.gauge('flowlogs_netflow_pending_sets', 'Data sets waiting for their template').with();
    m.onCollect(() => {
      templates.set(this.templateOrder.size);
      pendingSets.set(this.pending.size);
    });
  }

  /**
   * One datagram (v5, v9 or IPFIX, detected from the payload) from `exporter` (4-word address)
   * received at `receivedMs`; rows go to `sink`. Never throws on bad input.
   */
  decode(data: Uint8Array, exporter: Uint32Array, receivedMs: number, sink: BatchSink): void {
    this.receivedMs = receivedMs;
    this.sink = sink;
    try {
      this.sweep(receivedMs);
      const proto = detectProtocol(data);
      if (proto === 'netflow5') this.v5(data, this.exporter(exporter));
      else if (proto === 'netflow9') this.v9(data, this.exporter(exporter));
      else if (proto === 'ipfix') this.ipfix(data, this.exporter(exporter));
      else this.refuse(data, exporter);
    } catch {
      // Only a defect here can land in this branch (every read is bounds-checked); count it
      // rather than take the receiving loop down.
      this.malformed('internal_error');
    } finally {
      this.sink = null;
      this.dom = null;
      this.stats.templates.active = this.templateOrder.size;
      this.stats.pending.queued = this.pending.size;
      const dropped = this.pending.dropped - this.stats.pending.dropped;
      if (dropped > 0) this.mPendingDropped.inc(dropped);
      this.stats.pending.dropped = this.pending.dropped;
    }
  }

  private refuse(d: Uint8Array, exporter: Uint32Array): void {
    const v = d.length >= 2 ? (d[0] << 8) | d[1] : -1;
    // The payload check turns away an IPFIX message longer than the datagram; its complete sets
    // are still worth decoding (ipfix() counts the truncation).
    if (v === 10 && d.length >= IPFIX_HEADER) this.ipfix(d, this.exporter(exporter));
    else if (v === 5 || v === 9 || v === 10 || d.length < 2) this.malformed('short_header');
    else this.malformed('unsupported_version');
  }

  private v5(d: Uint8Array, ex: ExporterState): void {
    const announced = read16(d, 2);
    const present = Math.floor((d.length - V5_HEADER) / V5_RECORD);
    const count = Math.min(announced, present);
    if (announced > present || announced > V5_MAX_COUNT) this.malformed('v5_count');
    const secs = read32(d, 8);
    const dom = this.domain(ex, domainKey(5, read16(d, 20) & 0xffff));
    const ctx = this.ctx;
    ctx.version = 5;
    ctx.exportMs = secs * 1000 + Math.floor(read32(d, 12) / 1e6);
    ctx.sysUptimeMs = read32(d, 4);
    ctx.initMs = 0;
    ctx.fallbackSecs = secs;
    // flow_sequence counts the flows the exporter sent: this datagram's announced count, unless
    // that count is impossible.
    this.sequence(dom, 5, read32(d, 16), announced <= V5_MAX_COUNT ? announced : count);
    const rate = v5SamplingRate(d) || dom.defaultRate || this.fallbackRate;
    const rows = writeV5Records(d, count, ctx, dom, rate, this.sink!, this.writer.cols);
    this.stats.datagrams++;
    this.mDatagrams[5].inc();
    this.counted(5, rows);
  }

  private v9(d: Uint8Array, ex: ExporterState): void {
    const secs = read32(d, 8);
    const dom = this.domain(ex, domainKey(9, read32(d, 16)));
    const ctx = this.ctx;
    ctx.version = 9;
    ctx.exportMs = secs * 1000;
    ctx.sysUptimeMs = read32(d, 4);
    ctx.initMs = 0;
    ctx.fallbackSecs = secs || Math.floor(this.receivedMs / 1000);
    this.sequence(dom, 9, read32(d, 12), 1);
    this.sets(d, V9_HEADER, d.length, 9);
    this.mDatagrams[9].inc();
  }

  private ipfix(d: Uint8Array, ex: ExporterState): void {
    const length = read16(d, 2);
    if (length < IPFIX_HEADER) return this.malformed('bad_length');
    let end = length;
    if (length < d.length) this.malformed('trailing_bytes');
    else if (length > d.length) {
      this.malformed('truncated');
      end = d.length;
    }
    const secs = read32(d, 4);
    const seq = read32(d, 8);
    const dom = this.domain(ex, domainKey(10, read32(d, 12)));
    const ctx = this.ctx;
    ctx.version = 10;
    ctx.exportMs = secs * 1000;
    ctx.sysUptimeMs = -1;
    ctx.initMs = dom.initMs;
    ctx.fallbackSecs = secs || Math.floor(this.receivedMs / 1000);
    this.sequence(dom, 10, seq, 0);
    this.sets(d, IPFIX_HEADER, end, 10);
    // RFC 7011 §3.1: the next message's sequence number = this one's + data records in this one.
    dom.nextSequence = this.deferred ? -1 : (seq + this.records) % 4294967296;
    this.mDatagrams[10].inc();
  }

  /** Walks the sets of a v9 or IPFIX message. */
  private sets(d: Uint8Array, p: number, end: number, version: number): void {
    this.stats.datagrams++;
    this.records = 0;
    this.deferred = false;
    const templateSet = version === 9 ? V9_TEMPLATE_SET : IPFIX_TEMPLATE_SET;
    const optionsSet = version === 9 ? V9_OPTIONS_SET : IPFIX_OPTIONS_SET;
    while (end - p >= 4) {
      const id = read16(d, p);
      const len = read16(d, p + 2);
      if (len < 4) {
        // Exporters pad datagrams with zeros (Palo Alto sends one flowset in a zero-filled packet).
        if (!allZero(d, p, end)) this.malformed('bad_set_length');
        return;
      }
      let setEnd = p + len;
      if (setEnd > end) {
        this.malformed('truncated');
        setEnd = end;
      }
      const body = p + 4;
      if (id === templateSet) {
        if (version === 9) v9Templates(d, body, setEnd, this.receiver);
        else ipfixTemplates(d, body, setEnd, false, this.receiver);
      } else if (id === optionsSet) {
        if (version === 9) v9OptionsTemplates(d, body, setEnd, this.receiver);
        else ipfixTemplates(d, body, setEnd, true, this.receiver);
      } else if (id < FIRST_DATA_SET) {
        this.malformed('reserved_set_id');
      } else {
        this.dataSet(id, d, body, setEnd);
      }
      p = setEnd;
    }
  }

  private dataSet(id: number, d: Uint8Array, start: number, end: number): void {
    const dom = this.dom!;
    let t = dom.templates.get(id);
    if (t && this.receivedMs - t.seenMs > this.templateTimeoutMs) {
      this.dropTemplate(t, dom);
      this.stats.templates.expired++;
      t = undefined;
    }
    if (!t) {
      this.pending.add(dom, id, d, start, end, this.ctx, this.receivedMs);
      this.deferred = true;
      return;
    }
    this.ctx.initMs = dom.initMs;
    this.records += this.decodeSet(t, dom, d, start, end, this.ctx);
  }

  /** Decodes one set with its template; returns the records read. */
  private decodeSet(t: Template, dom: DomainState, d: Uint8Array, start: number, end: number, ctx: MessageContext): number {
    if (t.options) {
      let n = this.writer.optionsSet(t, d, start, end, dom);
      if (n < 0) {
        n = -1 - n;
        this.malformed('bad_record');
      }
      this.stats.optionsRecords += n;
      return n;
    }
    let rows = this.writer.dataSet(t, d, start, end, ctx, dom, this.sink!);
    if (rows < 0) {
      rows = -1 - rows;
      this.malformed('bad_record');
    }
    this.counted(ctx.version, rows);
    return this.writer.records;
  }

  private counted(version: number, rows: number): void {
    this.stats.flows += rows;
    this.mFlows[version].inc(rows);
  }

  private addTemplate(id: number, fields: FieldSpec[], options: boolean, definition: Uint8Array, scopeCount: number, v9Scope: boolean): void {
    const dom = this.dom!;
    const st = this.stats.templates;
    st.received++;
    const existing = dom.templates.get(id);
    if (existing && existing.sameAs(definition, options)) {
      existing.seenMs = this.receivedMs;
      // Keep the refreshed template last in the eviction order.
      this.templateOrder.delete(existing);
      this.templateOrder.set(existing, dom);
    } else {
      const t = new Template(id, fields, options, definition, scopeCount, v9Scope);
      t.seenMs = this.receivedMs;
      if (existing) {
        this.templateOrder.delete(existing);
        st.changed++;
      } else {
        while (this.templateOrder.size >= this.maxTemplates) this.evictOldestTemplate();
      }
      dom.templates.set(id, t);
      this.templateOrder.set(t, dom);
    }
    if (dom.pendingSets > 0) {
      const t = dom.templates.get(id)!;
      for (const it of this.pending.take(dom, id)) {
        const ctx = it.ctx;
        ctx.initMs = dom.initMs;
        this.decodeSet(t, dom, it.bytes, 0, it.bytes.length, ctx);
        this.stats.pending.decoded++;
      }
    }
  }

  private withdraw(id: number, options: boolean): void {
    const dom = this.dom!;
    if ((id === WITHDRAW_ALL_DATA && !options) || (id === WITHDRAW_ALL_OPTIONS && options)) {
      for (const t of [...dom.templates.values()]) {
        if (t.options === options) {
          this.dropTemplate(t, dom);
          this.stats.templates.withdrawn++;
        }
      }
      return;
    }
    const t = dom.templates.get(id);
    if (t) {
      this.dropTemplate(t, dom);
      this.stats.templates.withdrawn++;
    }
  }

  private dropTemplate(t: Template, dom: DomainState): void {
    if (dom.templates.get(t.id) === t) dom.templates.delete(t.id);
    this.templateOrder.delete(t);
  }

  private evictOldestTemplate(): void {
    const first = this.templateOrder.entries().next();
    if (first.done) return;
    const [t, dom] = first.value;
    this.dropTemplate(t, dom);
    this.stats.templates.evicted++;
  }

  /** Checks a message's sequence number against the one expected, then sets the next one. */
  private sequence(dom: DomainState, version: number, seq: number, advance: number): void {
    const expected = dom.nextSequence;
    if (expected >= 0 && seq !== expected) {
      const ahead = (seq - expected + 4294967296) % 4294967296;
      const gaps = this.stats.sequenceGaps;
      if (ahead < TWO_31) {
        gaps.gaps++;
        this.mGaps[version].inc();
        this.onSequenceGap?.(dom.exporter.text, dom.key, version, ahead);
        if (version === 9) {
          gaps.missingDatagrams += ahead;
          this.mMissingDatagrams.inc(ahead);
        } else {
          gaps.missingFlows += ahead;
          this.mMissingFlows.inc(ahead);
        }
      } else {
        gaps.resets++;
      }
    }
    dom.nextSequence = (seq + advance) % 4294967296;
    this.dom = dom;
  }

  private exporter(w: Uint32Array): ExporterState {
    const last = this.lastExporter;
    if (last !== null) {
      const a = last.address;
      if (a[0] === w[0] && a[1] === w[1] && a[2] === w[2] && a[3] === w[3]) return last;
    }
    const key = `${w[0]},${w[1]},${w[2]},${w[3]}`;
    let ex = this.exporters.get(key);
    if (!ex) {
      if (this.exporters.size >= this.maxExporters) {
        const oldest = this.exporters.values().next().value!;
        this.forgetDomains(oldest, [...oldest.domains.values()]);
        this.exporters.delete(oldest.key);
      }
      ex = new ExporterState(key, Uint32Array.from([w[0], w[1], w[2], w[3]]));
      this.exporters.set(key, ex);
    }
    this.lastExporter = ex;
    return ex;
  }

  private domain(ex: ExporterState, key: number): DomainState {
    let dom = ex.domains.get(key);
    if (!dom) {
      if (ex.domains.size >= this.maxDomains) {
        const oldest = ex.domains.values().next().value!;
        this.forgetDomains(ex, [oldest]);
      }
      dom = new DomainState(key, ex);
      ex.domains.set(key, dom);
    }
    this.dom = dom;
    return dom;
  }

  private forgetDomains(ex: ExporterState, doms: DomainState[]): void {
    for (const dom of doms) {
      for (const t of [...dom.templates.values()]) {
        this.dropTemplate(t, dom);
        this.stats.templates.evicted++;
      }
      ex.domains.delete(dom.key);
    }
    this.pending.expire(this.receivedMs, Infinity, new Set(doms));
  }

  /** Drops templates and waiting sets that outlived the timeout, a few times per timeout. */
  private sweep(now: number): void {
    const every = Math.max(1000, this.templateTimeoutMs / 4);
    if (now - this.lastSweepMs < every && now >= this.lastSweepMs) return;
    this.lastSweepMs = now;
    for (const [t, dom] of [...this.templateOrder]) {
      if (now - t.seenMs > this.templateTimeoutMs) {
        this.dropTemplate(t, dom);
        this.stats.templates.expired++;
      }
    }
    this.pending.expire(now, this.templateTimeoutMs);
  }

  private malformed(reason: MalformedReason): void {
    this.stats.malformed[reason]++;
    this.mMalformed[reason].inc();
  }
}

function allZero(d: Uint8Array, p: number, end: number): boolean {
  for (; p < end; p++) if (d[p] !== 0) return false;
  return true;
}
