// The flow record, defined once. Everything else (the columnar batch, JSONL/CSV output, store
// DDL for each engine, the query language's field list, the console's columns) is derived
// from this list, so adding a field is adding a line here.

/** Physical kinds of a field; each maps to one typed-array column and one storage type. */
export type FieldType =
  | 'u8' // Uint8Array
  | 'u16' // Uint16Array
  | 'u32' // Uint32Array
  | 'u64' // Float64Array: integers stay exact up to 2^53, far above any real counter
  | 'time_s' // Uint32Array, unix seconds
  | 'time_ms' // Float64Array, unix milliseconds, 0 = unknown
  | 'ip' // 4 × u32 per row, IPv6 or IPv4-mapped IPv6, most significant word first
  | 'mac' // Float64Array holding the 48-bit value, 0 = unknown
  | 'string' // dictionary-encoded: Uint32Array codes into a per-batch dictionary
  | 'enum'; // Uint8Array index into the field's fixed value list

export interface FieldDef {
  readonly name: string;
  readonly type: FieldType;
  readonly description: string;
  /** Unit for numbers (bytes, packets, s, ms); empty when it has none. */
  readonly unit: string;
  /** For enums: the allowed values; index 0 is the default. */
  readonly values?: readonly string[];
}

export const FIELDS = [
  { name: 'version', type: 'u8', unit: '', description: 'Record format version of the source (2 for the AWS/Tencent default format, 5 for NetFlow v5, 9, 10 for IPFIX …)' },
  { name: 'account_id', type: 'string', unit: '', description: 'Tenant or cloud account that owns the interface' },
  { name: 'flow_log_id', type: 'string', unit: '', description: 'Flow-log object that produced the record; empty for collector traffic outside any flow log' },
  { name: 'interface_id', type: 'string', unit: '', description: 'ENI id (eni-…), or an exporter interface as <exporter>/<ifindex>' },
  { name: 'vpc_id', type: 'string', unit: '', description: 'VPC of the interface, from the inventory when known' },
  { name: 'subnet_id', type: 'string', unit: '', description: 'Subnet of the interface, from the inventory when known' },
  { name: 'instance_id', type: 'string', unit: '', description: 'Instance (VM) behind the interface, from the inventory when known' },
  { name: 'src_addr', type: 'ip', unit: '', description: 'Source address (IPv4 or IPv6)' },
  { name: 'dst_addr', type: 'ip', unit: '', description: 'Destination address (IPv4 or IPv6)' },
  { name: 'src_port', type: 'u16', unit: '', description: 'Source port; 0 where the protocol has none (for ICMP: the identifier where known)' },
  { name: 'dst_port', type: 'u16', unit: '', description: 'Destination port; for ICMP/ICMPv6 type × 256 + code' },
  { name: 'protocol', type: 'u8', unit: '', description: 'IANA protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6 …)' },
  { name: 'packets', type: 'u64', unit: 'packets', description: 'Packets in the window, multiplied by the sampling rate where sampled' },
  { name: 'bytes', type: 'u64', unit: 'bytes', description: 'Bytes in the window, multiplied by the sampling rate where sampled' },
  { name: 'start', type: 'time_s', unit: 's', description: 'Start of the collection (aggregation) window, unix seconds' },
  { name: 'end', type: 'time_s', unit: 's', description: 'End of the collection (aggregation) window, unix seconds' },
  { name: 'first_ms', type: 'time_ms', unit: 'ms', description: 'First packet actually seen, unix milliseconds; 0 when unknown' },
  { name: 'last_ms', type: 'time_ms', unit: 'ms', description: 'Last packet actually seen, unix milliseconds; 0 when unknown' },
  { name: 'action', type: 'enum', unit: '', values: ['ACCEPT', 'REJECT'], description: 'Security-group / network-ACL decision' },
  { name: 'log_status', type: 'enum', unit: '', values: ['OK', 'NODATA', 'SKIPDATA'], description: 'OK; NODATA: no traffic in the window; SKIPDATA: records were skipped in the window' },
  { name: 'tcp_flags', type: 'u8', unit: '', description: 'OR of the TCP flags seen (FIN 1, SYN 2, RST 4, PSH 8, ACK 16, URG 32)' },
  { name: 'direction', type: 'enum', unit: '', values: ['ingress', 'egress'], description: 'Direction relative to the interface' },
  { name: 'rule_id', type: 'string', unit: '', description: 'Security-group or ACL rule that decided the action, where known' },
  { name: 'sampling_rate', type: 'u32', unit: '', description: 'Sampling rate applied by the exporter; 1 = unsampled' },
  { name: 'exporter', type: 'ip', unit: '', description: 'Device or probe that produced the record' },
  { name: 'in_if', type: 'u32', unit: '', description: 'Input interface index at the exporter; 0 when unknown' },
  { name: 'out_if', type: 'u32', unit: '', description: 'Output interface index at the exporter; 0 when unknown' },
  { name: 'vlan', type: 'u16', unit: '', description: 'VLAN id; 0 when untagged or unknown' },
  { name: 'src_mac', type: 'mac', unit: '', description: 'Source MAC address, where known' },
  { name: 'dst_mac', type: 'mac', unit: '', description: 'Destination MAC address, where known' },
  { name: 'nat_src_addr', type: 'ip', unit: '', description: 'Source address after NAT, where the exporter reports it (:: otherwise)' },
  { name: 'nat_dst_addr', type: 'ip', unit: '', description: 'Destination address after NAT, where the exporter reports it (:: otherwise)' },
  { name: 'nat_src_port', type: 'u16', unit: '', description: 'Source port after NAT; 0 when none' },
  { name: 'nat_dst_port', type: 'u16', unit: '', description: 'Destination port after NAT; 0 when none' },
  { name: 'src_country', type: 'string', unit: '', description: 'ISO 3166 country code of the source address (enrichment)' },
  { name: 'dst_country', type: 'string', unit: '', description: 'ISO 3166 country code of the destination address (enrichment)' },
  { name: 'src_city', type: 'string', unit: '', description: 'City of the source address (enrichment)' },
  { name: 'dst_city', type: 'string', unit: '', description: 'City of the destination address (enrichment)' },
  { name: 'src_asn', type: 'u32', unit: '', description: 'Autonomous system of the source address (enrichment); 0 when unknown' },
  { name: 'dst_asn', type: 'u32', unit: '', description: 'Autonomous system of the destination address (enrichment); 0 when unknown' },
  { name: 'threat', type: 'string', unit: '', description: 'Threat-intelligence list that matched either side; empty if none' },
] as const satisfies readonly FieldDef[];

export type Field = (typeof FIELDS)[number];
export type FieldName = Field['name'];

export const FIELD_NAMES: readonly FieldName[] = FIELDS.map((f) => f.name);

const byName = new Map<string, FieldDef>(FIELDS.map((f) => [f.name, f]));

export function fieldByName(name: string): FieldDef | undefined {
  return byName.get(name);
}

export function isFieldName(name: string): name is FieldName {
  return byName.has(name);
}

/** Fields whose value is an IP address; the stores keep them in a 128-bit form. */
export const IP_FIELDS = FIELDS.filter((f) => f.type === 'ip').map((f) => f.name);
