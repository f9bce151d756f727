// The shapes the API answers with, as the server defines them (src/api/routes, src/analyze).

export interface Evidence {
  query: string;
  from: number;
  to: number;
}

export type Row = Record<string, unknown>;

export interface TopResult {
  by: string;
  metric: string;
  rows: Row[];
  evidence: Evidence;
}

export interface SeriesResult {
  bucket: number;
  points: Array<{ t: number; group?: unknown; total_bytes: number; total_packets: number; flows: number; bps: number; pps: number }>;
  evidence: Evidence;
}

export interface SankeyResult {
  nodes: { name: string; side: 'source' | 'destination' }[];
  links: { source: number; target: number; bytes: number; flows: number }[];
  evidence: Evidence;
}

export interface MixResult {
  protocols: Row[];
  ports: Row[];
  evidence: Evidence[];
}

export interface BandwidthRow {
  interface_id: string;
  direction: string;
  avg_bps: number;
  p95_bps: number;
  max_bps: number;
  avg_pps: number;
  max_pps: number;
  minutes: number;
}

export interface RejectedResult {
  total: { flows: number; packets: number; bytes: number };
  sources: Row[];
  destinations: Row[];
  ports: Row[];
  rules: Row[];
  evidence: Evidence;
}

export interface QueryResult {
  columns: { name: string; type: string }[];
  rows: unknown[][];
  count: number;
  truncated: boolean;
  error?: string;
}

export interface FieldDef {
  name: string;
  type: string;
  unit: string;
  description: string;
  values?: string[];
}

export interface SchemaResult {
  fields: FieldDef[];
  dimensions: string[];
  metrics: string[];
  protocols: string[];
  /** Optional endpoints this server has ("GET /api/diagnose"). */
  available?: string[];
}

export interface Health {
  status: string;
  version: string;
  uptime_s: number;
  store: { dialect: string; appendedRows?: number; bufferedRows?: number; files?: number; bytesOnDisk?: number };
}

export interface FlowLog {
  id: string;
  name: string;
  scope_type: 'vpc' | 'subnet' | 'eni';
  scope_id: string;
  traffic_type: 'ACCEPT' | 'REJECT' | 'ALL';
  window_seconds: number;
  destinations: string[];
  enabled: boolean;
  created: string;
  updated: string;
}

export interface Alert {
  id: string;
  rule: string;
  detector: string;
  severity: 'low' | 'medium' | 'high' | 'critical';
  title: string;
  key: string;
  group: string;
  status: 'open' | 'acknowledged' | 'resolved';
  entities: { addresses: string[]; interfaces: string[]; ports: number[]; protocols: number[]; accounts: string[]; vpcs: string[]; subnets: string[] };
  first_seen: number;
  last_seen: number;
  windows: number;
  window_s: number;
  flows: number;
  metrics: Record<string, number>;
  evidence: Evidence;
  created_at: string;
  updated_at: string;
  acknowledged_at?: string;
  acknowledged_by?: string;
  resolved_at?: string;
  resolved_by?: string;
  note?: string;
}

export interface IntelList {
  name: string;
  source: string;
  format: string;
  entries: number;
  rejected: number;
  loadedAt?: string;
  error?: string;
}

/** The inventory document (our YAML/JSON format). */
export interface InventoryDoc {
  vpcs?: Array<{ id: string; name?: string; account_id?: string; region?: string; cidrs?: string[]; cidr?: string }>;
  subnets?: Array<{ id: string; name?: string; vpc: string; cidrs?: string[]; cidr?: string; zone?: string; network_acl?: string }>;
  enis?: Array<{ id: string; mac?: string; ips?: string[]; public_ip?: string; subnet: string; instance_id?: string; instance_name?: string; security_groups?: string[]; bandwidth_mbps?: number; tags?: Record<string, string> }>;
  security_groups?: Array<{ id: string; name?: string; vpc?: string; description?: string; ingress?: InventoryRule[]; egress?: InventoryRule[] }>;
  network_acls?: Array<{ id: string; name?: string; vpc?: string; ingress?: InventoryRule[]; egress?: InventoryRule[] }>;
}

export interface InventoryRule {
  id?: string;
  number?: number;
  action?: string;
  protocol?: string | number;
  ports?: string | number;
  peer?: string;
  cidr?: string;
  description?: string;
}
