// Google Cloud VPC Flow Logs as exported from Cloud Logging: LogEntry objects whose
// jsonPayload holds the connection 5-tuple, bytes_sent/packets_sent (strings or numbers),
// start_time/end_time (RFC 3339, nanoseconds), the reporter (SRC/DEST or *_GATEWAY) and
// metadata blocks for either side. One entry per line, or one JSON array / document.
//
// Google samples packets on the host and may drop whole records (flow_sampling); the counts
// are kept as the log gives them, and sampling_rate is 0: sampled, rate unknown.

import { parseIpInto } from '../../../schema/ip.js';
import type { BatchSink } from '../../source.js';
import { JsonDocumentParser } from '../json-documents.js';
import { isObject, prop, text } from '../json-input.js';
import type { CloudFormat, ParserOptions } from '../parser.js';
import { abandonRow } from '../rows.js';

const DIRECTION_INGRESS = 0;
const DIRECTION_EGRESS = 1;
export const GCP_SAMPLING_UNKNOWN = 0;

/** RFC 3339 with any number of fraction digits, as unix milliseconds (NaN when invalid). */
export function rfc3339Ms(s: string): number {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(s);
  if (!m) return NaN;
  const whole = Date.parse(`${m[1]}${m[3]}`);
  const frac = m[2] ? Number(`0.${m[2]}`) * 1000 : 0;
  return whole + frac;
}

function count(v: unknown): number {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 ? v : -1;
  if (typeof v === 'string' && /^\d{1,16}$/.test(v)) return Number(v);
  if (v === undefined || v === null) return 0;
  return -1;
}

function port(v: unknown): number {
  if (v === undefined || v === null) return 0;
  const n = typeof v === 'string' ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 65535 ? n : -1;
}

export class GcpVpcFlowParser extends JsonDocumentParser {
  readonly format: CloudFormat = 'gcp';

  protected document(v: unknown, line: number, where: string): void {
    // Pub/Sub and export envelopes seen in the wild: {"entries": […]} from the Logging API.
    const entries = prop(v, 'entries');
    if (Array.isArray(entries)) return this.value(entries, line, where ? `${where}.entries` : 'entries');
    this.entry(v, line, where || undefined);
  }

  private entry(e: unknown, line: number, where: string | undefined): void {
    const p = prop(e, 'jsonPayload');
    const conn = prop(p, 'connection');
    if (!isObject(conn)) {
      this.problems.add(line, 'not a VPC flow log entry', 'no jsonPayload.connection', where);
      return;
    }
    const batch = this.sink.room();
    const row = batch.addRow();
    const c = batch.cols;
    const fail = (reason: string, detail: string) => {
      abandonRow(batch, row);
      this.problems.add(line, reason, detail, where);
    };
    if (!parseIpInto(text(conn, 'src_ip'), c.src_addr, row * 4)) return fail('bad address', `src_ip '${text(conn, 'src_ip')}'`);
    if (!parseIpInto(text(conn, 'dest_ip'), c.dst_addr, row * 4)) return fail('bad address', `dest_ip '${text(conn, 'dest_ip')}'`);
    const sp = port(conn.src_port);
    const dp = port(conn.dest_port);
    if (sp < 0 || dp < 0) return fail('bad port', `${String(conn.src_port)} → ${String(conn.dest_port)}`);
    c.src_port[row] = sp;
    c.dst_port[row] = dp;
    const proto = port(conn.protocol);
    if (proto < 0 || proto > 255) return fail('bad protocol', String(conn.protocol));
    c.protocol[row] = proto;
    const bytes = count(prop(p, 'bytes_sent'));
    const packets = count(prop(p, 'packets_sent'));
    if (bytes < 0 || packets < 0) return fail('bad counter', `bytes_sent ${String(prop(p, 'bytes_sent'))}, packets_sent ${String(prop(p, 'packets_sent'))}`);
    c.bytes[row] = bytes;
    c.packets[row] = packets;
    const first = rfc3339Ms(text(p, 'start_time'));
    const last = rfc3339Ms(text(p, 'end_time'));
    if (!(first > 0) || !(last >= first)) return fail('bad time', `start_time '${text(p, 'start_time')}', end_time '${text(p, 'end_time')}'`);
    c.first_ms[row] = Math.floor(first);
    c.last_ms[row] = Math.floor(last);
    c.start[row] = Math.floor(first / 1000);
    c.end[row] = Math.ceil(last / 1000);
    // The reporter is the VM (or gateway) whose interface saw the packets: for SRC it sent them.
    const reporter = text(p, 'reporter');
    const src = reporter.startsWith('SRC');
    c.direction[row] = src ? DIRECTION_EGRESS : DIRECTION_INGRESS;
    const side = src ? 'src' : 'dest';
    const instance = prop(p, `${side}_instance`);
    const vpc = prop(p, `${side}_vpc`);
    const gateway = prop(p, `${side}_gateway`);
    const labels = prop(prop(e, 'resource'), 'labels');
    const vm = text(instance, 'vm_name');
    const iface = vm || text(gateway, 'name');
    if (iface) batch.setString('interface_id', row, iface);
    if (vm) batch.setString('instance_id', row, vm);
    const project = text(instance, 'project_id') || text(vpc, 'project_id') || text(gateway, 'project_id') || text(labels, 'project_id');
    if (project) batch.setString('account_id', row, project);
    const vpcName = text(vpc, 'vpc_name') || text(gateway, 'vpc');
    if (vpcName) batch.setString('vpc_id', row, vpcName);
    const subnet = text(vpc, 'subnetwork_name');
    if (subnet) batch.setString('subnet_id', row, subnet);
    c.src_asn[row] = asn(prop(prop(p, 'src_location'), 'asn'));
    c.dst_asn[row] = asn(prop(prop(p, 'dest_location'), 'asn'));
    c.sampling_rate[row] = GCP_SAMPLING_UNKNOWN;
    this.records++;
  }
}

function asn(v: unknown): number {
  const n = typeof v === 'string' ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) && n > 0 && n <= 0xffffffff ? n : 0;
}

export function gcpParser(sink: BatchSink, opts: ParserOptions): GcpVpcFlowParser {
  return new GcpVpcFlowParser(sink, opts);
}
