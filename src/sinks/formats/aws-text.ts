// The AWS VPC Flow Logs text format: a header line naming the fields, then one space-separated
// line per record, '-' where a value is missing (and for the traffic fields of NODATA and
// SKIPDATA records). Files written this way load into any tool that reads AWS flow logs.

import type { FlowBatch, StringColumn } from '../../schema/batch.js';
import { InputError } from '../../util/errors.js';
import { IpText } from './cells.js';

/** The version 2 default format. */
export const AWS_DEFAULT_FIELDS = ['version', 'account-id', 'interface-id', 'srcaddr', 'dstaddr', 'srcport', 'dstport', 'protocol', 'packets', 'bytes', 'start', 'end', 'action', 'log-status'] as const;

type Col = (b: FlowBatch, r: number, ips: IpText) => string;

function str(field: 'account_id' | 'interface_id' | 'vpc_id' | 'subnet_id' | 'instance_id'): Col {
  return (b, r) => {
    const c = b.cols[field] as StringColumn;
    const v = c.dict.values[c.codes[r]];
    return v === '' || /\s/.test(v) ? '-' : v;
  };
}

/** Fields that only describe traffic: '-' on NODATA/SKIPDATA records. */
const TRAFFIC = new Set(['srcaddr', 'dstaddr', 'srcport', 'dstport', 'protocol', 'packets', 'bytes', 'action', 'tcp-flags', 'flow-direction', 'type', 'pkt-srcaddr', 'pkt-dstaddr']);

const COLUMNS: Record<string, Col> = {
  version: (b, r) => String(b.cols.version[r] || 2),
  'account-id': str('account_id'),
  'interface-id': str('interface_id'),
  'vpc-id': str('vpc_id'),
  'subnet-id': str('subnet_id'),
  'instance-id': str('instance_id'),
  srcaddr: (b, r, ip) => ip.text(b.cols.src_addr, r),
  dstaddr: (b, r, ip) => ip.text(b.cols.dst_addr, r),
  // pkt-srcaddr/pkt-dstaddr are the packet's own addresses; without NAT they equal srcaddr/dstaddr.
  'pkt-srcaddr': (b, r, ip) => (IpText.isUnset(b.cols.nat_src_addr, r) ? ip.text(b.cols.src_addr, r) : ip.text(b.cols.nat_src_addr, r)),
  'pkt-dstaddr': (b, r, ip) => (IpText.isUnset(b.cols.nat_dst_addr, r) ? ip.text(b.cols.dst_addr, r) : ip.text(b.cols.nat_dst_addr, r)),
  srcport: (b, r) => String(b.cols.src_port[r]),
  dstport: (b, r) => String(b.cols.dst_port[r]),
  protocol: (b, r) => String(b.cols.protocol[r]),
  packets: (b, r) => String(b.cols.packets[r]),
  bytes: (b, r) => String(b.cols.bytes[r]),
  start: (b, r) => String(b.cols.start[r]),
  end: (b, r) => String(b.cols.end[r]),
  action: (b, r) => (b.cols.action[r] === 1 ? 'REJECT' : 'ACCEPT'),
  'log-status': (b, r) => ['OK', 'NODATA', 'SKIPDATA'][b.cols.log_status[r]] ?? 'OK',
  'tcp-flags': (b, r) => String(b.cols.tcp_flags[r]),
  'flow-direction': (b, r) => (b.cols.direction[r] === 1 ? 'egress' : 'ingress'),
  type: (b, r) => (IpText.isV4(b.cols.src_addr, r) ? 'IPv4' : 'IPv6'),
};

export const AWS_WRITABLE_FIELDS: readonly string[] = Object.keys(COLUMNS);

export class AwsTextRows {
  private readonly cols: Col[];
  private readonly traffic: boolean[];
  private readonly ip = new IpText();

  constructor(readonly fields: readonly string[] = AWS_DEFAULT_FIELDS) {
    for (const f of fields) if (!COLUMNS[f]) throw new InputError(`AWS text format: cannot write field '${f}' (known: ${AWS_WRITABLE_FIELDS.join(' ')})`);
    this.cols = fields.map((f) => COLUMNS[f]);
    this.traffic = fields.map((f) => TRAFFIC.has(f));
  }

  header(): string {
    return this.fields.join(' ');
  }

  forBatch(b: FlowBatch): (r: number) => string {
    const n = this.cols.length;
    return (r) => {
      const noData = b.cols.log_status[r] !== 0;
      let line = '';
      for (let i = 0; i < n; i++) {
        if (i) line += ' ';
        line += noData && this.traffic[i] ? '-' : this.cols[i](b, r, this.ip);
      }
      return line;
    };
  }
}
