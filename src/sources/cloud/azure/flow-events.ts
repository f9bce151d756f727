// Azure Network Watcher flow logs: NSG flow logs (versions 1 and 2) and VNet flow logs
// (flowLogVersion 4), as the PT1H.json blobs in the storage account ({"records": […]},
// pretty-printed or not) or one record per line (Event Hub / Logstash style).
//
// A flow tuple reports both directions of a conversation (packets/bytes from the initiator
// and back). It becomes one record per direction that carried traffic: the initiator's
// record with the tuple's direction, and, when the reply counters are non-zero, a record with
// addresses, ports and direction swapped. Begin tuples (no counters yet) and denied tuples
// become one record with zero counters, so rejected attempts stay visible. Continue and End
// counters are deltas since the previous tuple of the flow, so summing records gives the
// flow's totals.

import { formatMac, parseIpInto } from '../../../schema/ip.js';
import type { BatchSink } from '../../source.js';
import { JsonDocumentParser } from '../json-documents.js';
import { isObject, prop, text } from '../json-input.js';
import type { CloudFormat, ParserOptions } from '../parser.js';
import { abandonRow } from '../rows.js';

const INGRESS = 0;
const EGRESS = 1;
const ACCEPT = 0;
const REJECT = 1;

/** Subscription id from an ARM resource id (/SUBSCRIPTIONS/<id>/…), lower-cased. */
export function subscriptionOf(resourceId: string): string {
  const m = /\/subscriptions\/([^/]+)/i.exec(resourceId);
  return m ? m[1].toLowerCase() : '';
}

/** A bare 12-hex-digit MAC (Azure's form) as its 48-bit value, or 0. */
export function azureMac(s: string): number {
  const h = s.replace(/[-:]/g, '');
  return /^[0-9a-fA-F]{12}$/.test(h) ? parseInt(h, 16) : 0;
}

/** What a whole record (or flow group) contributes to each of its tuples' records. */
interface TupleContext {
  account: string;
  iface: string;
  mac: number;
  rule: string;
  vpc: string;
  subnet: string;
  version: number;
  recordEnd: number;
}

interface Tuple {
  ts: number;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  proto: number;
  egress: boolean;
  action: number;
  /** Counters: -1 when the tuple carries none (version 1, Begin state). */
  pktOut: number;
  bytesOut: number;
  pktIn: number;
  bytesIn: number;
}

export class AzureFlowParser extends JsonDocumentParser {
  readonly format: CloudFormat = 'azure';

  protected document(v: unknown, line: number, where: string): void {
    const records = prop(v, 'records');
    if (Array.isArray(records)) {
      records.forEach((r, i) => this.record(r, line, path(where, `records[${i}]`)));
      return;
    }
    this.record(v, line, where);
  }

  private record(r: unknown, line: number, where: string): void {
    if (!isObject(r)) return this.problems.add(line, 'bad record', 'not an object', where || undefined);
    const time = Date.parse(text(r, 'time'));
    const recordEnd = Number.isNaN(time) ? 0 : Math.floor(time / 1000);
    const props = prop(r, 'properties');
    const nsgFlows = prop(props, 'flows');
    if (Array.isArray(nsgFlows)) {
      const ctx: TupleContext = { account: subscriptionOf(text(r, 'resourceId')), iface: '', mac: 0, rule: '', vpc: '', subnet: '', version: Number(prop(props, 'Version')) || 1, recordEnd };
      nsgFlows.forEach((group, i) => {
        ctx.rule = text(group, 'rule');
        const byMac = prop(group, 'flows');
        if (!Array.isArray(byMac)) return this.problems.add(line, 'bad record', 'flows[].flows is not a list', path(where, `properties.flows[${i}]`));
        byMac.forEach((m, j) => {
          ctx.mac = azureMac(text(m, 'mac'));
          ctx.iface = ctx.mac ? formatMac(ctx.mac) : '';
          this.tuples(prop(m, 'flowTuples'), ctx, line, path(where, `properties.flows[${i}].flows[${j}].flowTuples`));
        });
      });
      return;
    }
    const vnetFlows = prop(prop(r, 'flowRecords'), 'flows');
    if (Array.isArray(vnetFlows)) {
      const target = text(r, 'targetResourceID');
      const mac = azureMac(text(r, 'macAddress'));
      const ctx: TupleContext = {
        account: subscriptionOf(target) || subscriptionOf(text(r, 'flowLogResourceID')),
        iface: mac ? formatMac(mac) : '',
        mac,
        rule: '',
        vpc: vnetOf(target),
        subnet: /\/subnets\/[^/]+$/i.test(target) ? target.toLowerCase() : '',
        version: Number(prop(r, 'flowLogVersion')) || 4,
        recordEnd,
      };
      vnetFlows.forEach((acl, i) => {
        const groups = prop(acl, 'flowGroups');
        if (!Array.isArray(groups)) return this.problems.add(line, 'bad record', 'flowGroups is not a list', path(where, `flowRecords.flows[${i}]`));
        groups.forEach((g, j) => {
          ctx.rule = text(g, 'rule');
          this.tuples(prop(g, 'flowTuples'), ctx, line, path(where, `flowRecords.flows[${i}].flowGroups[${j}].flowTuples`));
        });
      });
      return;
    }
    this.problems.add(line, 'not a flow log record', 'no properties.flows (NSG) or flowRecords.flows (VNet)', where || undefined);
  }

  private tuples(list: unknown, ctx: TupleContext, line: number, where: string): void {
    if (!Array.isArray(list)) return this.problems.add(line, 'bad record', 'flowTuples is not a list', where);
    list.forEach((t, i) => {
      const parsed = typeof t === 'string' ? parseTuple(t) : 'not a string';
      if (typeof parsed === 'string') return this.problems.add(line, 'bad flow tuple', `${parsed}: '${String(t)}'`, `${where}[${i}]`);
      this.emit(parsed, ctx, false);
      if (parsed.pktIn > 0 || parsed.bytesIn > 0) this.emit(parsed, ctx, true);
    });
  }

  private emit(t: Tuple, ctx: TupleContext, reply: boolean): void {
    const batch = this.sink.room();
    const row = batch.addRow();
    const c = batch.cols;
    if (!parseIpInto(reply ? t.dst : t.src, c.src_addr, row * 4) || !parseIpInto(reply ? t.src : t.dst, c.dst_addr, row * 4)) {
      // parseTuple checked both addresses; this cannot happen, but a half row must never stay.
      abandonRow(batch, row);
      return;
    }
    c.src_port[row] = reply ? t.dport : t.sport;
    c.dst_port[row] = reply ? t.sport : t.dport;
    c.protocol[row] = t.proto;
    const egress = reply ? !t.egress : t.egress;
    c.direction[row] = egress ? EGRESS : INGRESS;
    if (ctx.mac) {
      if (egress) c.src_mac[row] = ctx.mac;
      else c.dst_mac[row] = ctx.mac;
    }
    c.packets[row] = Math.max(0, reply ? t.pktIn : t.pktOut);
    c.bytes[row] = Math.max(0, reply ? t.bytesIn : t.bytesOut);
    const start = Math.floor(t.ts);
    c.start[row] = start;
    c.end[row] = Math.max(start, ctx.recordEnd);
    c.action[row] = t.action;
    c.version[row] = ctx.version;
    c.sampling_rate[row] = 1;
    if (ctx.account) batch.setString('account_id', row, ctx.account);
    if (ctx.iface) batch.setString('interface_id', row, ctx.iface);
    if (ctx.rule) batch.setString('rule_id', row, ctx.rule);
    if (ctx.vpc) batch.setString('vpc_id', row, ctx.vpc);
    if (ctx.subnet) batch.setString('subnet_id', row, ctx.subnet);
    this.records++;
  }
}

/** A JSON path inside the line or document ('' at the top). */
function path(where: string, key: string): string {
  return where ? `${where}.${key}` : key;
}

function vnetOf(target: string): string {
  const m = /^(.*\/virtualnetworks\/[^/]+)/i.exec(target);
  return m ? m[1].toLowerCase() : '';
}

function uint(s: string): number {
  return /^\d{1,16}$/.test(s) ? Number(s) : -1;
}

/** Counter text: empty in Begin tuples. */
function counter(s: string | undefined): number {
  if (s === undefined || s === '') return -1;
  return uint(s);
}

const PROTO_LETTER: Record<string, number> = { T: 6, U: 17, I: 1 };

/**
 * NSG v1: ts,src,dst,sport,dport,T|U,I|O,A|D
 * NSG v2: … ,B|C|E, packets out, bytes out, packets in, bytes in
 * VNet:   ts(ms),src,dst,sport,dport,protocol number,I|O,B|C|E|D,encryption, packets/bytes out, in
 * Returns the reason as a string when the tuple is malformed.
 */
export function parseTuple(t: string): Tuple | string {
  const f = t.split(',');
  if (f.length !== 8 && f.length !== 13) return `${f.length} fields (8 or 13 expected)`;
  let ts = uint(f[0]);
  if (ts < 0) return 'bad timestamp';
  if (ts > 1e11) ts = ts / 1000;
  if (parseIpInto(f[1], scratch, 0) === false || parseIpInto(f[2], scratch, 0) === false) return 'bad address';
  const sport = uint(f[3]);
  const dport = uint(f[4]);
  if (sport < 0 || sport > 65535 || dport < 0 || dport > 65535) return 'bad port';
  const proto = PROTO_LETTER[f[5]] ?? uint(f[5]);
  if (proto < 0 || proto > 255) return 'bad protocol';
  if (f[6] !== 'I' && f[6] !== 'O') return 'bad direction';
  // NSG v2 puts the decision (A/D) then the state (B/C/E); VNet puts the state (B/C/E/D) then the encryption.
  const vnet = f.length === 13 && /^[BCED]$/.test(f[7]) && !/^[BCE]$/.test(f[8]);
  let action: number;
  let state: string;
  let counters: string[];
  if (vnet) {
    state = f[7];
    if (!/^[BCED]$/.test(state)) return 'bad flow state';
    action = state === 'D' ? REJECT : ACCEPT;
    counters = f.slice(9, 13);
  } else {
    if (f[7] !== 'A' && f[7] !== 'D') return 'bad decision';
    action = f[7] === 'D' ? REJECT : ACCEPT;
    state = f.length === 13 ? f[8] : '';
    if (f.length === 13 && !/^[BCE]$/.test(state)) return 'bad flow state';
    counters = f.length === 13 ? f.slice(9, 13) : [];
  }
  const [pktOut, bytesOut, pktIn, bytesIn] = [0, 1, 2, 3].map((i) => counter(counters[i]));
  if (counters.length && state !== 'B' && (pktOut < 0 || bytesOut < 0 || pktIn < 0 || bytesIn < 0)) {
    // Continue/End tuples must carry all four counters; Begin and Deny tuples may leave them empty.
    if (state !== 'D') return 'bad counters';
  }
  return { ts, src: f[1], dst: f[2], sport, dport, proto, egress: f[6] === 'O', action, pktOut, bytesOut, pktIn, bytesIn };
}

const scratch = new Uint32Array(4);

export function azureParser(sink: BatchSink, opts: ParserOptions): AzureFlowParser {
  return new AzureFlowParser(sink, opts);
}
