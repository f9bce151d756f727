// OCSF Network Activity (class 4001, activity 6 "Traffic") events for SIEMs and security
// lakes: endpoints with their cloud context, connection info, traffic counters and the
// security-control verdict (action and disposition). Fields OCSF has no place for go to
// `unmapped`, as the schema prescribes.

import type { FlowBatch, StringColumn } from '../../schema/batch.js';
import { IpText, macText } from './cells.js';
import { transportName } from './ecs.js';

export const OCSF_VERSION = '1.1.0';

type Doc = Record<string, unknown>;

function put(o: Doc, key: string, v: unknown): void {
  if (v !== '' && v !== undefined && v !== null && v !== 0) o[key] = v;
}

export interface OcsfOptions {
  productVersion: string;
  /** OCSF's cloud.provider (the cloud profile requires one). */
  cloudProvider: string;
}

export class OcsfEvents {
  private readonly ip = new IpText();

  constructor(private readonly opts: OcsfOptions) {}

  forBatch(b: FlowBatch): (r: number, id?: string) => Doc {
    const c = b.cols;
    const s = (field: 'account_id' | 'flow_log_id' | 'interface_id' | 'vpc_id' | 'subnet_id' | 'instance_id' | 'rule_id' | 'src_country' | 'dst_country' | 'src_city' | 'dst_city' | 'threat', r: number): string => {
      const col = c[field] as StringColumn;
      return col.dict.values[col.codes[r]];
    };
    return (r, id) => {
      const ok = c.log_status[r] === 0;
      const reject = c.action[r] === 1;
      const ev: Doc = {
        activity_id: 6,
        activity_name: 'Traffic',
        category_uid: 4,
        category_name: 'Network Activity',
        class_uid: 4001,
        class_name: 'Network Activity',
        type_uid: 400106,
        type_name: 'Network Activity: Traffic',
        severity_id: 1,
        severity: 'Informational',
        time: c.end[r] * 1000,
        start_time: (c.first_ms[r] || c.start[r] * 1000),
        end_time: (c.last_ms[r] || c.end[r] * 1000),
        status_code: ['OK', 'NODATA', 'SKIPDATA'][c.log_status[r]] ?? 'OK',
      };
      const meta: Doc = { version: OCSF_VERSION, product: { name: 'flowlogs', vendor_name: 'flowlogs', version: this.opts.productVersion }, profiles: ['cloud', 'security_control'] };
      put(meta, 'uid', id);
      put(meta, 'log_name', s('flow_log_id', r));
      ev.metadata = meta;
      const cloud: Doc = { provider: this.opts.cloudProvider };
      if (s('account_id', r)) cloud.account = { uid: s('account_id', r) };
      ev.cloud = cloud;
      const ingress = c.direction[r] === 0;
      // The interface and its instance, VPC and subnet belong to the local side of the flow.
      const local: Doc = {};
      put(local, 'interface_uid', s('interface_id', r));
      put(local, 'instance_uid', s('instance_id', r));
      put(local, 'vpc_uid', s('vpc_id', r));
      put(local, 'subnet_uid', s('subnet_id', r));
      if (ok) {
        const src: Doc = { ip: this.ip.text(c.src_addr, r), port: c.src_port[r] };
        const dst: Doc = { ip: this.ip.text(c.dst_addr, r), port: c.dst_port[r] };
        put(src, 'mac', macText(c.src_mac[r]));
        put(dst, 'mac', macText(c.dst_mac[r]));
        const loc = (country: string, city: string): Doc | undefined => (country || city ? { ...(country ? { country } : {}), ...(city ? { city } : {}) } : undefined);
        put(src, 'location', loc(s('src_country', r), s('src_city', r)));
        put(dst, 'location', loc(s('dst_country', r), s('dst_city', r)));
        if (c.src_asn[r]) src.autonomous_system = { number: c.src_asn[r] };
        if (c.dst_asn[r]) dst.autonomous_system = { number: c.dst_asn[r] };
        Object.assign(ingress ? dst : src, local);
        ev.src_endpoint = src;
        ev.dst_endpoint = dst;
        const proto = c.protocol[r];
        const conn: Doc = { protocol_num: proto, protocol_ver_id: IpText.isV4(c.src_addr, r) ? 4 : 6, direction_id: ingress ? 1 : 2, direction: ingress ? 'Inbound' : 'Outbound' };
        put(conn, 'protocol_name', transportName(proto));
        put(conn, 'tcp_flags', c.tcp_flags[r]);
        ev.connection_info = conn;
        ev.traffic = { bytes: c.bytes[r], packets: c.packets[r] };
        ev.action_id = reject ? 2 : 1;
        ev.action = reject ? 'Denied' : 'Allowed';
        ev.disposition_id = reject ? 2 : 1;
        ev.disposition = reject ? 'Blocked' : 'Allowed';
      } else if (Object.keys(local).length) {
        ev.src_endpoint = local;
      }
      if (s('rule_id', r)) ev.firewall_rule = { uid: s('rule_id', r) };
      if (!IpText.isUnset(c.exporter, r)) ev.device = { ip: this.ip.text(c.exporter, r), type_id: 99, type: 'Flow exporter' };
      const unmapped: Doc = {};
      put(unmapped, 'flow_log_id', s('flow_log_id', r));
      put(unmapped, 'version', c.version[r]);
      put(unmapped, 'sampling_rate', c.sampling_rate[r]);
      put(unmapped, 'threat', s('threat', r));
      put(unmapped, 'in_if', c.in_if[r]);
      put(unmapped, 'out_if', c.out_if[r]);
      put(unmapped, 'vlan', c.vlan[r]);
      if (!IpText.isUnset(c.nat_src_addr, r)) unmapped.nat_src = { ip: this.ip.text(c.nat_src_addr, r), port: c.nat_src_port[r] };
      if (!IpText.isUnset(c.nat_dst_addr, r)) unmapped.nat_dst = { ip: this.ip.text(c.nat_dst_addr, r), port: c.nat_dst_port[r] };
      if (Object.keys(unmapped).length) ev.unmapped = unmapped;
      return ev;
    };
  }
}
