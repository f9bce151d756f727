// The parser for space-separated flow-log lines (AWS VPC and Transit Gateway, Tencent ENI and
// CCN). A line is cut into token positions, checked against the field list, and each token is
// written straight into the batch columns: numbers and IPv4 addresses are read from the bytes,
// repeated ids come from a byte-keyed cache. Nothing is allocated per line on this path.

import type { FlowBatch, StringColumn } from '../../schema/batch.js';
import { parseIpInto, setV4 } from '../../schema/ip.js';
import type { BatchSink } from '../source.js';
import { ByteInterner, FNV_BASIS, FNV_PRIME } from './byte-interner.js';
import { parseUint, parseV4Bytes, tokenHas, tokenIs, tokenText, utf8 } from './bytes.js';
import { K, knownCount, type FieldInfo, type Layout } from './field-kinds.js';
import { JsonInput, isObject, prop, text } from './json-input.js';
import { LineSplitter } from './lines.js';
import type { CloudFormat, FlowLogParser, ParserOptions } from './parser.js';
import type { ParseProblems } from './problems.js';
import { abandonRow } from './rows.js';

/** What differs between the clouds that write this kind of line. */
export interface Dialect {
  readonly format: CloudFormat;
  readonly catalog: ReadonlyMap<string, FieldInfo>;
  layoutFor(names: readonly string[]): Layout;
  /** The layout of a line with no header before it, judged from its columns. */
  headerless(count: number, token: (i: number) => string): Layout | undefined;
}

const MAX_TOKENS = 64;
// Records are short; JSON envelopes (CloudWatch subscription records) hold many of them.
const MAX_LINE = 64 * 1024 * 1024;

/**
 * The batch columns this parser writes, bound once per batch: the record loop then reads
 * fields of one small object of fixed shape instead of looking each column up by name.
 */
class Cols {
  readonly version: Uint8Array;
  readonly account: StringColumn;
  readonly iface: StringColumn;
  readonly vpc: StringColumn;
  readonly subnet: StringColumn;
  readonly instance: StringColumn;
  readonly rule: StringColumn;
  readonly src: Uint32Array;
  readonly dst: Uint32Array;
  readonly natSrc: Uint32Array;
  readonly natDst: Uint32Array;
  readonly srcPort: Uint16Array;
  readonly dstPort: Uint16Array;
  readonly protocol: Uint8Array;
  readonly tcpFlags: Uint8Array;
  readonly packets: Float64Array;
  readonly bytes: Float64Array;
  readonly start: Uint32Array;
  readonly end: Uint32Array;
  readonly firstMs: Float64Array;
  readonly lastMs: Float64Array;
  readonly action: Uint8Array;
  readonly status: Uint8Array;
  readonly direction: Uint8Array;
  readonly sampling: Uint32Array;

  constructor(readonly batch: FlowBatch) {
    const c = batch.cols;
    this.version = c.version;
    this.account = c.account_id;
    this.iface = c.interface_id;
    this.vpc = c.vpc_id;
    this.subnet = c.subnet_id;
    this.instance = c.instance_id;
    this.rule = c.rule_id;
    this.src = c.src_addr;
    this.dst = c.dst_addr;
    this.natSrc = c.nat_src_addr;
    this.natDst = c.nat_dst_addr;
    this.srcPort = c.src_port;
    this.dstPort = c.dst_port;
    this.protocol = c.protocol;
    this.tcpFlags = c.tcp_flags;
    this.packets = c.packets;
    this.bytes = c.bytes;
    this.start = c.start;
    this.end = c.end;
    this.firstMs = c.first_ms;
    this.lastMs = c.last_ms;
    this.action = c.action;
    this.status = c.log_status;
    this.direction = c.direction;
    this.sampling = c.sampling_rate;
  }
}
const ACTION_REJECT = 1;
const STATUS_NODATA = 1;
const STATUS_SKIPDATA = 2;
const DIRECTION_EGRESS = 1;

// Transit Gateway loss columns, in the order they name a record's drop reason.
const LOSS_REASON = ['tgw:no-route', 'tgw:blackhole', 'tgw:mtu-exceeded', 'tgw:ttl-expired'];
const RATE_LIMIT_RULE = 'ccn:bandwidth-limit';
const BPA_RULE = 'aws:block-public-access';

/** Why a token was refused, by kind. */
const BAD: Record<number, string> = {
  [K.version]: 'bad version',
  [K.srcAddr]: 'bad address',
  [K.dstAddr]: 'bad address',
  [K.pktSrcAddr]: 'bad address',
  [K.pktDstAddr]: 'bad address',
  [K.action]: 'bad action',
  [K.logStatus]: 'bad log-status',
  [K.direction]: 'bad flow-direction',
  [K.srcPort]: 'bad port',
  [K.dstPort]: 'bad port',
  [K.protocol]: 'bad protocol',
  [K.tcpFlags]: 'bad tcp-flags',
  [K.packets]: 'bad packets',
  [K.bytes]: 'bad bytes',
  [K.start]: 'bad start',
  [K.end]: 'bad end',
  [K.lostNoRoute]: 'bad packets-lost',
  [K.lostBlackhole]: 'bad packets-lost',
  [K.lostMtu]: 'bad packets-lost',
  [K.lostTtl]: 'bad packets-lost',
};

/** Upper bound of each numeric kind's value, indexed by kind. */
const MAX = new Float64Array(32).fill(Number.MAX_SAFE_INTEGER);
MAX[K.srcPort] = MAX[K.dstPort] = 65535;
MAX[K.protocol] = MAX[K.tcpFlags] = 255;
MAX[K.start] = MAX[K.end] = 0xffffffff;

function isSpace(c: number): boolean {
  return c === 32 || c === 9;
}

/** '-' marks an absent value everywhere; Tencent also writes '-1'. */
function isAbsent(b: Uint8Array, s: number, e: number): boolean {
  return b[s] === 45 && (e - s === 1 || (e - s === 2 && b[s + 1] === 49));
}

export class SpaceSeparatedParser implements FlowLogParser {
  readonly format: CloudFormat;
  records = 0;
  private readonly splitter: LineSplitter;
  private readonly problems: ParseProblems;
  private readonly ts = new Int32Array(MAX_TOKENS + 1);
  private readonly te = new Int32Array(MAX_TOKENS + 1);
  /** From a header line or an explicit field list. */
  private layout: Layout | undefined;
  /** Without one: the layout the previous headerless line turned out to have. */
  private guess: Layout | undefined;
  private readonly fixed: boolean;
  private readonly account: string;
  private readonly json: JsonInput;
  private jsonAccount = '';
  private readonly accountCache = new ByteInterner();
  private readonly ifaceCache = new ByteInterner();
  private readonly vpcCache = new ByteInterner();
  private readonly subnetCache = new ByteInterner();
  private readonly instanceCache = new ByteInterner();
  private readonly loss = new Float64Array(4);
  private cols: Cols | undefined;
  // The line being tokenised, for the lazy `token(i)` callback of headerless layouts.
  private cur: Uint8Array = new Uint8Array(0);
  private readonly tokenAt = (i: number): string => (i < MAX_TOKENS ? tokenText(this.cur, this.ts[i], this.te[i]) : '');

  constructor(
    private readonly sink: BatchSink,
    private readonly dialect: Dialect,
    opts: ParserOptions,
  ) {
    this.format = dialect.format;
    this.problems = opts.problems;
    this.account = opts.account ?? '';
    this.fixed = opts.fields !== undefined && opts.fields.length > 0;
    if (this.fixed) this.layout = dialect.layoutFor(opts.fields!);
    this.splitter = new LineSplitter((b, s, e, n) => this.line(b, s, e, n), MAX_LINE, (n) => this.problems.add(n, 'line too long', `over ${MAX_LINE >> 20} MiB`));
    this.json = new JsonInput((v, n) => this.jsonValue(v, n), this.problems);
  }

  get lines(): number {
    return this.splitter.lines;
  }

  push(chunk: Buffer): void {
    this.splitter.push(chunk);
  }

  end(): void {
    this.splitter.end();
    this.json.end();
  }

  /** Parses one line; public so that wrappers (Parquet rows, HTTP bodies) can feed lines. */
  line(b: Uint8Array, s: number, e: number, lineNo: number): void {
    if (this.json.inDocument) return this.json.line(b, s, e, lineNo);
    this.text(b, s, e, lineNo, true);
  }

  /** A record line; `wrapped` lines may also be JSON envelopes around records. */
  private text(b: Uint8Array, s: number, e: number, lineNo: number, wrapped: boolean): void {
    let i = s;
    while (i < e && isSpace(b[i])) i++;
    if (i === e) return;
    const c0 = b[i];
    // A JSON wrapper: Firehose/CloudWatch {"message": …}, subscription records, exports.
    if (wrapped && (c0 === 123 || c0 === 91)) return this.json.line(b, s, e, lineNo);
    if (c0 === 35) return; // a comment
    // CloudWatch Logs exports to S3 put the event time (2015-05-28T15:27:35.000Z) first.
    if (c0 >= 48 && c0 <= 57 && i + 19 < e && b[i + 4] === 45 && b[i + 10] === 84) {
      while (i < e && !isSpace(b[i])) i++;
      while (i < e && isSpace(b[i])) i++;
      if (i === e) return;
    }
    const c = b[i];
    // A header: the first column is a field name, not a value ('V1' is Tencent's version).
    if (((c | 32) >= 97 && (c | 32) <= 122) || c === 36) {
      let j = i + 1;
      while (j < e && b[j] >= 48 && b[j] <= 57) j++;
      const version = (c === 86 || c === 118) && j > i + 1 && (j === e || isSpace(b[j]));
      if (!version) return this.header(b, i, e, lineNo);
    }
    const layout = this.layout;
    if (layout) {
      const n = this.record(b, i, e, layout, lineNo);
      if (n >= 0) this.problems.add(lineNo, 'field count', `expected ${layout.kinds.length} fields, got ${n}`);
      return;
    }
    // Headerless: most lines share the previous line's layout; work it out again if not.
    if (this.guess && this.record(b, i, e, this.guess, lineNo) < 0) return;
    const n = this.tokenise(b, i, e);
    this.cur = b;
    const guess = n > MAX_TOKENS ? undefined : this.dialect.headerless(n, this.tokenAt);
    if (!guess && this.guess) {
      // Lines before this one had a known width: this one is most likely damaged.
      this.problems.add(lineNo, 'field count', `expected ${this.guess.kinds.length} fields, got ${n > MAX_TOKENS ? `over ${MAX_TOKENS}` : n}`);
      return;
    }
    if (!guess) {
      this.problems.add(lineNo, 'unknown field list', `${n > MAX_TOKENS ? `over ${MAX_TOKENS}` : n} fields and no header line before them (give the flow log's format, e.g. --aws-format)`);
      return;
    }
    this.guess = guess;
    this.record(b, i, e, guess, lineNo);
  }

  /** Token positions into ts/te; returns the count (MAX_TOKENS + 1 when there are more). */
  private tokenise(b: Uint8Array, i: number, e: number): number {
    let n = 0;
    while (i < e) {
      while (i < e && isSpace(b[i])) i++;
      if (i >= e) break;
      if (n === MAX_TOKENS) return MAX_TOKENS + 1;
      this.ts[n] = i;
      while (i < e && !isSpace(b[i])) i++;
      this.te[n++] = i;
    }
    return n;
  }

  private header(b: Uint8Array, i: number, e: number, lineNo: number): void {
    const n = Math.min(this.tokenise(b, i, e), MAX_TOKENS);
    const names: string[] = [];
    for (let k = 0; k < n; k++) names.push(tokenText(b, this.ts[k], this.te[k]));
    // Mostly known names make a header (newer fields we do not know are skipped).
    if (knownCount(names, this.dialect.catalog) * 2 < names.length) {
      this.problems.add(lineNo, 'bad record', `'${names[0]}' is neither a value nor a field name`);
      return;
    }
    // An explicit field list (--aws-format) wins over headers inside the data.
    if (!this.fixed) this.layout = this.dialect.layoutFor(names);
  }

  /**
   * Reads the record starting at `i` straight into a new row, scanning each token once.
   * Returns -1 when the line was handled (stored, or counted as bad), or the number of
   * fields when it does not match the layout (then nothing was stored or counted).
   */
  private record(b: Uint8Array, i: number, e: number, L: Layout, lineNo: number): number {
    const batch = this.sink.room();
    const row = batch.addRow();
    let c = this.cols;
    if (c === undefined || c.batch !== batch) c = this.cols = new Cols(batch);
    const kinds = L.kinds;
    const nk = kinds.length;
    let k = 0;
    let bad = 0;
    let badS = 0;
    let badE = 0;
    let badK = 0;
    let versionSet = false;
    let accountSet = false;
    let hasPkt = false;
    let packets = -1;
    let status = 0;
    const loss = this.loss;
    if (L.hasLoss) loss.fill(0);
    while (i < e) {
      const s = i;
      const kind = k < nk && bad === 0 ? kinds[k] : K.skip;
      if (kind >= K.srcPort) {
        // Unsigned numbers are read while the token is scanned.
        let v = 0;
        let digits = true;
        while (i < e) {
          const ch = b[i];
          if (ch === 32 || ch === 9) break;
          const d = ch - 48;
          if (d < 0 || d > 9) digits = false;
          v = v * 10 + d;
          i++;
        }
        if (!digits || i - s > 15) {
          if (!isAbsent(b, s, i)) bad = kind;
        } else if (v > MAX[kind]) {
          bad = kind;
        } else {
          switch (kind) {
            case K.srcPort:
              c.srcPort[row] = v;
              break;
            case K.dstPort:
              c.dstPort[row] = v;
              break;
            case K.protocol:
              c.protocol[row] = v;
              break;
            case K.tcpFlags:
              c.tcpFlags[row] = v;
              break;
            case K.packets:
              c.packets[row] = packets = v;
              break;
            case K.bytes:
              c.bytes[row] = v;
              break;
            case K.start:
              c.start[row] = v;
              break;
            case K.end:
              c.end[row] = v;
              break;
            default:
              loss[kind - K.lostNoRoute] = v;
          }
        }
      } else if (kind >= K.srcAddr && kind <= K.pktDstAddr) {
        // IPv4 is read while the token is scanned; IPv6 and '-' are handled after.
        let v = 0;
        let part = 0;
        let digits = 0;
        let dots = 0;
        let v4 = true;
        while (i < e) {
          const ch = b[i];
          if (ch === 32 || ch === 9) break;
          if (ch === 46) {
            if (digits === 0 || part > 255) v4 = false;
            v = v * 256 + part;
            part = 0;
            digits = 0;
            dots++;
          } else {
            const d = ch - 48;
            if (d < 0 || d > 9) v4 = false;
            part = part * 10 + d;
            digits++;
          }
          i++;
        }
        const col = kind === K.srcAddr ? c.src : kind === K.dstAddr ? c.dst : kind === K.pktSrcAddr ? c.natSrc : c.natDst;
        if (v4 && dots === 3 && digits > 0 && digits <= 3 && part <= 255) setV4(col, row * 4, v * 256 + part);
        else if (!isAbsent(b, s, i) && !readIp(b, s, i, col, row)) bad = kind;
        if (kind >= K.pktSrcAddr) hasPkt = true;
      } else if (kind === K.account || kind === K.iface) {
        // The id is hashed while it is scanned, for the dictionary cache.
        let h = FNV_BASIS;
        while (i < e) {
          const ch = b[i];
          if (ch === 32 || ch === 9) break;
          h = Math.imul(h ^ ch, FNV_PRIME);
          i++;
        }
        if (!isAbsent(b, s, i)) {
          if (kind === K.account) {
            c.account.codes[row] = this.accountCache.codeHashed(c.account, b, s, i, h);
            accountSet = true;
          } else c.iface.codes[row] = this.ifaceCache.codeHashed(c.iface, b, s, i, h);
        }
      } else {
        while (i < e && !isSpace(b[i])) i++;
        if (kind !== K.skip && !isAbsent(b, s, i)) {
          switch (kind) {
            case K.action:
              if (b[s] === 65 && tokenIs(b, s, i, 'ACCEPT')) break;
              if (b[s] === 82 && tokenIs(b, s, i, 'REJECT')) {
                c.action[row] = ACTION_REJECT;
                if (L.rejectIsRateLimit) c.rule.codes[row] = c.rule.dict.intern(RATE_LIMIT_RULE);
              } else bad = kind;
              break;
            case K.logStatus:
              if (i - s === 2 && b[s] === 79 && b[s + 1] === 75) status = 0;
              else if (tokenIs(b, s, i, 'NODATA')) status = STATUS_NODATA;
              else if (tokenIs(b, s, i, 'SKIPDATA')) status = STATUS_SKIPDATA;
              else bad = kind;
              c.status[row] = status;
              break;
            case K.version: {
              // Tencent writes 'V1' as well as '2'.
              const v = parseUint(b, b[s] === 86 || b[s] === 118 ? s + 1 : s, i);
              if (v < 0 || v > 255) bad = kind;
              else c.version[row] = v;
              versionSet = true;
              break;
            }
            case K.vpc:
              c.vpc.codes[row] = this.vpcCache.code(c.vpc, b, s, i);
              break;
            case K.subnet:
              c.subnet.codes[row] = this.subnetCache.code(c.subnet, b, s, i);
              break;
            case K.instance:
              c.instance.codes[row] = this.instanceCache.code(c.instance, b, s, i);
              break;
            case K.direction:
              if (tokenIs(b, s, i, 'egress')) c.direction[row] = DIRECTION_EGRESS;
              else if (!tokenIs(b, s, i, 'ingress')) bad = kind;
              break;
            case K.rejectReason:
              c.rule.codes[row] = c.rule.dict.intern(tokenIs(b, s, i, 'BPA') ? BPA_RULE : `aws:${tokenText(b, s, i).toLowerCase()}`);
              break;
          }
        }
      }
      if (bad !== 0 && badE === 0) {
        badS = s;
        badE = i;
        badK = k;
      }
      k++;
      while (i < e && isSpace(b[i])) i++;
    }
    if (k !== nk) {
      abandonRow(batch, row);
      return k;
    }
    if (bad !== 0) {
      abandonRow(batch, row);
      this.problems.add(lineNo, BAD[bad] ?? 'bad value', `'${tokenText(b, badS, badE)}' in ${L.names[badK]}`);
      return -1;
    }
    if (!versionSet) c.version[row] = L.impliedVersion;
    if (!accountSet) {
      const acct = this.jsonAccount || this.account;
      if (acct) c.account.codes[row] = c.account.dict.intern(acct);
    }
    if (hasPkt) dropSameAddress(c, row);
    if (L.packetTimes && status === 0 && packets > 0) {
      c.firstMs[row] = c.start[row] * 1000;
      c.lastMs[row] = c.end[row] * 1000;
    }
    if (L.hasLoss) applyLoss(batch, row, loss, packets);
    c.sampling[row] = 1;
    this.records++;
    return -1;
  }

  /** Text of one record handed over inside JSON (same checks as a line). */
  private textLine(s: string, lineNo: number): void {
    const bytes = utf8(s);
    this.text(bytes, 0, bytes.length, lineNo, false);
  }

  private jsonValue(v: unknown, lineNo: number, depth = 0): void {
    if (Array.isArray(v)) {
      if (depth > 2) return this.problems.add(lineNo, 'bad record', 'arrays nested too deep');
      for (const x of v) this.jsonValue(x, lineNo, depth + 1);
      return;
    }
    if (!isObject(v)) {
      this.problems.add(lineNo, 'bad record', 'a JSON value that is not an object');
      return;
    }
    if (typeof v.message === 'string') return this.textLine(v.message, lineNo);
    // CloudWatch Logs subscription records (Firehose, Lambda) and get/filter-log-events output.
    const events = (v.logEvents ?? v.events) as unknown;
    if (Array.isArray(events)) {
      if (v.messageType === 'CONTROL_MESSAGE') return;
      this.jsonAccount = text(v, 'owner');
      try {
        for (const ev of events) {
          const m = prop(ev, 'message');
          if (typeof m === 'string') this.textLine(m, lineNo);
          else this.problems.add(lineNo, 'bad record', 'a log event without a message');
        }
      } finally {
        this.jsonAccount = '';
      }
      return;
    }
    // A record as an object keyed by field names (log-service exports).
    const names = Object.keys(v);
    if (knownCount(names, this.dialect.catalog) >= 2) {
      const values = names.map((k) => {
        const x = v[k];
        return x === null || x === undefined || x === '' ? '-' : String(x).replace(/\s+/g, '_');
      });
      const bytes = utf8(values.join(' '));
      this.record(bytes, 0, bytes.length, this.dialect.layoutFor(names), lineNo);
      return;
    }
    this.problems.add(lineNo, 'bad record', 'JSON without a flow-log message');
  }
}

function readIp(b: Uint8Array, s: number, e: number, col: Uint32Array, row: number): boolean {
  const v4 = parseV4Bytes(b, s, e);
  if (v4 >= 0) {
    setV4(col, row * 4, v4);
    return true;
  }
  return tokenHas(b, s, e, 58) && parseIpInto(tokenText(b, s, e), col, row * 4);
}

/** Packet-level addresses are kept only where they differ from the interface-level ones. */
function dropSameAddress(c: Cols, row: number): void {
  const o = row * 4;
  if (sameIp(c.src, c.natSrc, o)) c.natSrc.fill(0, o, o + 4);
  if (sameIp(c.dst, c.natDst, o)) c.natDst.fill(0, o, o + 4);
}

function sameIp(a: Uint32Array, p: Uint32Array, o: number): boolean {
  return a[o] === p[o] && a[o + 1] === p[o + 1] && a[o + 2] === p[o + 2] && a[o + 3] === p[o + 3];
}

/**
 * A Transit Gateway record that lost packets names the first loss reason in rule_id; when
 * nothing at all got through it is a REJECT (the gateway dropped the flow).
 */
function applyLoss(batch: FlowBatch, row: number, loss: Float64Array, packets: number): void {
  for (let i = 0; i < 4; i++) {
    if (loss[i] > 0) {
      batch.cols.rule_id.codes[row] = batch.cols.rule_id.dict.intern(LOSS_REASON[i]);
      if (packets <= 0) batch.cols.action[row] = ACTION_REJECT;
      return;
    }
  }
}
