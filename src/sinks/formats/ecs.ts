// Elastic Common Schema documents, as Elastic's own flow-log integrations write them: the
// window end is @timestamp, the traffic is counted on the source side and on the network,
// ACCEPT/REJECT become event.outcome allow/deny, and both directions of a conversation share
// network.community_id. Fields ECS has no name for live under `flowlogs.*`. Records without
// traffic (NODATA, SKIPDATA) carry no source, destination or network block.

import type { FlowBatch, StringColumn } from '../../schema/batch.js';
import { IpText, isoSeconds, macText } from './cells.js';
import { communityIdOfWords } from './community-id.js';

export const ECS_VERSION = '8.11.0';

const TRANSPORT: Record<number, string> = { 1: 'icmp', 2: 'igmp', 6: 'tcp', 17: 'udp', 47: 'gre', 50: 'esp', 51: 'ah', 58: 'ipv6-icmp', 132: 'sctp' };

export function transportName(proto: number): string | undefined {
  return TRANSPORT[proto];
}

type Doc = Record<string, unknown>;

function text(b: FlowBatch, field: 'account_id' | 'flow_log_id' | 'interface_id' | 'vpc_id' | 'subnet_id' | 'instance_id' | 'rule_id' | 'src_country' | 'dst_country' | 'src_city' | 'dst_city' | 'threat', r: number): string {
  const c = b.cols[field] as StringColumn;
  return c.dict.values[c.codes[r]];
}

function put(o: Doc, key: string, v: unknown): void {
  if (v !== '' && v !== undefined && v !== null && v !== 0) o[key] = v;
}

function geo(country: string, city: string): Doc | undefined {
  const g: Doc = {};
  put(g, 'country_iso_code', country);
  put(g, 'city_name', city);
  return Object.keys(g).length ? g : undefined;
}

export class EcsDocs {
  private readonly ip = new IpText();

  /** One ECS document per row; `id` becomes `event.id` when given. */
  forBatch(b: FlowBatch): (r: number, id?: string) => Doc {
    const c = b.cols;
    return (r, id) => {
      const ok = c.log_status[r] === 0;
      const reject = c.action[r] === 1;
      const doc: Doc = { '@timestamp': isoSeconds(c.end[r]), ecs: { version: ECS_VERSION } };
      const event: Doc = { kind: 'event', category: ['network'], type: ok ? ['connection', reject ? 'denied' : 'allowed'] : ['info'], start: isoSeconds(c.start[r]), end: isoSeconds(c.end[r]) };
      if (ok) event.outcome = reject ? 'deny' : 'allow';
      if (id) event.id = id;
      doc.event = event;
      if (ok) {
        const proto = c.protocol[r];
        const bytes = c.bytes[r];
        const packets = c.packets[r];
        const source: Doc = { ip: this.ip.text(c.src_addr, r), port: c.src_port[r], bytes, packets };
        const destination: Doc = { ip: this.ip.text(c.dst_addr, r), port: c.dst_port[r] };
        put(source, 'mac', macText(c.src_mac[r])?.replace(/:/g, '-').toUpperCase());
        put(destination, 'mac', macText(c.dst_mac[r])?.replace(/:/g, '-').toUpperCase());
        put(source, 'geo', geo(text(b, 'src_country', r), text(b, 'src_city', r)));
        put(destination, 'geo', geo(text(b, 'dst_country', r), text(b, 'dst_city', r)));
        if (c.src_asn[r]) source.as = { number: c.src_asn[r] };
        if (c.dst_asn[r]) destination.as = { number: c.dst_asn[r] };
        if (!IpText.isUnset(c.nat_src_addr, r)) source.nat = { ip: this.ip.text(c.nat_src_addr, r), port: c.nat_src_port[r] };
        if (!IpText.isUnset(c.nat_dst_addr, r)) destination.nat = { ip: this.ip.text(c.nat_dst_addr, r), port: c.nat_dst_port[r] };
        doc.source = source;
        doc.destination = destination;
        const network: Doc = {
          type: IpText.isV4(c.src_addr, r) ? 'ipv4' : 'ipv6',
          iana_number: String(proto),
          bytes,
          packets,
          community_id: communityIdOfWords(c.src_addr, c.dst_addr, r, proto, c.src_port[r], c.dst_port[r]),
          direction: c.direction[r] === 1 ? 'egress' : 'ingress',
        };
        put(network, 'transport', TRANSPORT[proto]);
        if (c.vlan[r]) network.vlan = { id: String(c.vlan[r]) };
        doc.network = network;
      }
      const cloud: Doc = {};
      put(cloud, 'account', text(b, 'account_id', r) ? { id: text(b, 'account_id', r) } : undefined);
      put(cloud, 'instance', text(b, 'instance_id', r) ? { id: text(b, 'instance_id', r) } : undefined);
      if (Object.keys(cloud).length) doc.cloud = cloud;
      if (!IpText.isUnset(c.exporter, r)) {
        const observer: Doc = { ip: [this.ip.text(c.exporter, r)] };
        if (c.in_if[r]) observer.ingress = { interface: { id: String(c.in_if[r]) } };
        if (c.out_if[r]) observer.egress = { interface: { id: String(c.out_if[r]) } };
        doc.observer = observer;
      }
      if (text(b, 'rule_id', r)) doc.rule = { id: text(b, 'rule_id', r) };
      const own: Doc = { version: c.version[r], action: reject ? 'REJECT' : 'ACCEPT', log_status: ['OK', 'NODATA', 'SKIPDATA'][c.log_status[r]] ?? 'OK' };
      put(own, 'flow_log_id', text(b, 'flow_log_id', r));
      put(own, 'interface_id', text(b, 'interface_id', r));
      put(own, 'vpc_id', text(b, 'vpc_id', r));
      put(own, 'subnet_id', text(b, 'subnet_id', r));
      put(own, 'tcp_flags', c.tcp_flags[r]);
      put(own, 'sampling_rate', c.sampling_rate[r]);
      put(own, 'threat', text(b, 'threat', r));
      put(own, 'first_ms', c.first_ms[r]);
      put(own, 'last_ms', c.last_ms[r]);
      doc.flowlogs = own;
      return doc;
    };
  }
}

/** The index template for daily ECS indices (`<prefix>-YYYY.MM.DD`). */
export function ecsIndexTemplate(pattern: string): Doc {
  const kw = { type: 'keyword' };
  const ipT = { type: 'ip' };
  const long = { type: 'long' };
  const date = { type: 'date' };
  const endpoint = {
    properties: {
      ip: ipT,
      port: long,
      bytes: long,
      packets: long,
      mac: kw,
      geo: { properties: { country_iso_code: kw, city_name: kw } },
      as: { properties: { number: long } },
      nat: { properties: { ip: ipT, port: long } },
    },
  };
  return {
    index_patterns: [pattern],
    priority: 200,
    template: {
      settings: { number_of_shards: 1, 'index.refresh_interval': '5s' },
      mappings: {
        dynamic: false,
        properties: {
          '@timestamp': date,
          ecs: { properties: { version: kw } },
          event: { properties: { kind: kw, category: kw, type: kw, outcome: kw, start: date, end: date, id: kw } },
          source: endpoint,
          destination: endpoint,
          network: { properties: { type: kw, iana_number: kw, transport: kw, bytes: long, packets: long, community_id: kw, direction: kw, vlan: { properties: { id: kw } } } },
          cloud: { properties: { account: { properties: { id: kw } }, instance: { properties: { id: kw } } } },
          observer: { properties: { ip: ipT, ingress: { properties: { interface: { properties: { id: kw } } } }, egress: { properties: { interface: { properties: { id: kw } } } } } },
          rule: { properties: { id: kw } },
          flowlogs: {
            properties: { version: long, action: kw, log_status: kw, flow_log_id: kw, interface_id: kw, vpc_id: kw, subnet_id: kw, tcp_flags: long, sampling_rate: long, threat: kw, first_ms: date, last_ms: date },
          },
        },
      },
    },
    _meta: { description: 'flowlogs flow records in Elastic Common Schema', ecs_version: ECS_VERSION },
  };
}
