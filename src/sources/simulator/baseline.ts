// The everyday traffic of each VPC, built from the roles its interfaces play: internet
// clients on the web tier's 443/80, web → app on 8080, app → databases on their engine's
// port and → cache on 6379, outbound HTTPS through the egress proxy, everyone → DNS and
// NTP, SSH through the bastion, monitoring scrapes, database replication, and the constant
// background of internet scanners knocking on public addresses.

import { parseIp } from '../../schema/ip.js';
import type { Eni, SecurityGroup } from '../../inventory/model.js';
import { VpcRoles, dbPort, type Tier } from './roles.js';
import type { ServiceSpec, Pool } from './service.js';

const v4 = (...texts: string[]) => Uint32Array.from(texts.map((t) => parseIp(t)![3]));

/** Public resolvers the DNS servers forward to. */
export const UPSTREAM_RESOLVERS = v4('8.8.8.8', '8.8.4.4', '1.1.1.1', '9.9.9.9');
/** Public NTP servers. */
export const UPSTREAM_NTP = v4('162.159.200.1', '162.159.200.123', '216.239.35.0', '216.239.35.4');
/** Third-party APIs the applications call through the proxy. */
export const OUTSIDE_APIS = v4('140.82.121.6', '104.18.32.7', '13.107.42.14', '142.250.179.74', '52.94.236.248', '151.101.65.140');
/** Uptime checkers that ping the web tier. */
export const UPTIME_CHECKERS = v4('35.187.109.10', '34.76.115.42', '3.120.181.4');

/** Ports internet-wide scanners try most (the top ports of real scanning captures). */
const SCAN_TCP_PORTS = [23, 23, 23, 445, 445, 22, 22, 81, 5555, 1433, 3389, 8080, 2323, 80, 443];
const SCAN_UDP_PORTS = [5060, 123, 161, 1900, 53];

function spec(p: Partial<ServiceSpec> & Pick<ServiceSpec, 'name' | 'client' | 'server' | 'exchange'>): ServiceSpec {
  return {
    ports: [],
    reqMedian: 500,
    repMedian: 5000,
    alpha: 1.2,
    maxPayload: 100e6,
    longLived: 0,
    v6Share: 0,
    share: 0,
    perWindow: 0,
    ...p,
  };
}

const enis = (list: readonly Eni[]): Pool => ({ kind: 'enis', enis: list });

/** Addresses an administrator's SSH comes from: a narrow range the bastion's groups allow, if any. */
function adminSources(bastions: readonly Eni[]): Uint32Array | undefined {
  const groups = new Set<SecurityGroup>(bastions.flatMap((b) => b.securityGroups));
  for (const g of groups) {
    for (const r of g.ingress) {
      if (r.peer.kind !== 'cidr' || r.action !== 'accept') continue;
      if (r.protocol !== 6 || !r.ports.some((p) => p.from <= 22 && 22 <= p.to)) continue;
      const { lo, hi, bits } = r.peer.range;
      if (lo[2] !== 0xffff || bits <= 96) continue; // IPv4 and narrower than the whole internet
      const hosts: number[] = [];
      for (let a = lo[3] + 1; a < hi[3] && hosts.length < 4; a++) hosts.push(a);
      if (hosts.length === 0) hosts.push(lo[3]);
      return Uint32Array.from(hosts);
    }
  }
  return undefined;
}

/**
 * The services of one VPC. `weight` is the VPC's share of the diurnal traffic; `seconds` the
 * window length (fixed-rate services scale with it).
 */
export function baselineServices(roles: VpcRoles, weight: number, seconds: number, eniCount: number): ServiceSpec[] {
  const t = (x: Tier) => roles.tier(x);
  const web = t('web');
  const app = t('app');
  const db = t('db');
  const cache = t('cache');
  const batch = t('batch');
  const bastion = t('bastion');
  const nat = t('nat');
  const dns = t('dns');
  const monitoring = t('monitoring');
  const all = roles.all;
  const out: ServiceSpec[] = [];
  const add = (s: ServiceSpec, ...needed: ReadonlyArray<readonly Eni[]>) => {
    if (needed.every((n) => n.length > 0)) out.push({ ...s, share: s.share * weight });
  };
  const dbPorts = new Int32Array(eniCount);
  for (const d of db) dbPorts[d.index] = dbPort(d);
  const postgres = db.filter((d) => dbPort(d) === 5432);
  const chance = (period: number) => Math.min(1, seconds / period);

  add(spec({ name: 'internet-web', client: { kind: 'clients' }, server: enis(web), exchange: 'tcp', ports: [443, 443, 443, 443, 443, 80], reqMedian: 900, repMedian: 18000, alpha: 1.15, maxPayload: 500e6, longLived: 0.08, v6Share: 0.2, share: 0.4 }), web);
  add(spec({ name: 'web-app', client: enis(web), server: enis(app), exchange: 'tcp', ports: [8080], reqMedian: 700, repMedian: 5000, alpha: 1.3, maxPayload: 50e6, longLived: 0.3, share: 0.18 }), web, app);
  add(spec({ name: 'app-db', client: enis(app), server: enis(db), exchange: 'tcp', ports: [5432], portOf: dbPorts, reqMedian: 350, repMedian: 3000, alpha: 1.2, maxPayload: 100e6, longLived: 0.5, share: 0.1 }), app, db);
  add(spec({ name: 'app-cache', client: enis(app), server: enis(cache), exchange: 'tcp', ports: [6379], reqMedian: 120, repMedian: 600, alpha: 1.5, maxPayload: 5e6, longLived: 0.6, share: 0.06 }), app, cache);
  add(spec({ name: 'app-proxy', client: enis(app), server: enis(nat), exchange: 'tcp', ports: [3128], reqMedian: 1200, repMedian: 8000, longLived: 0.1, share: 0.04 }), app, nat);
  add(spec({ name: 'proxy-internet', client: enis(nat), server: { kind: 'addresses', v4: OUTSIDE_APIS }, exchange: 'tcp', ports: [443], reqMedian: 1200, repMedian: 8000, longLived: 0.1, share: 0.02 }), nat);
  add(spec({ name: 'batch-db', client: enis(batch), server: enis(postgres), exchange: 'tcp', ports: [5432], reqMedian: 2000, repMedian: 200000, alpha: 1.1, maxPayload: 2e9, longLived: 0.3, share: 0.015 }), batch, postgres);
  add(spec({ name: 'batch-proxy', client: enis(batch), server: enis(nat), exchange: 'tcp', ports: [3128], reqMedian: 1500, repMedian: 50000, share: 0.005 }), batch, nat);
  const dnsClients = all.filter((e) => !dns.includes(e));
  add(spec({ name: 'dns', client: enis(dnsClients), server: enis(dns), exchange: 'udp', ports: [53], reqMedian: 40, repMedian: 110, alpha: 3, maxPayload: 1200, share: 0.1 }), dnsClients, dns);
  add(spec({ name: 'dns-upstream', client: enis(dns), server: { kind: 'addresses', v4: UPSTREAM_RESOLVERS }, exchange: 'udp', ports: [53], reqMedian: 40, repMedian: 140, alpha: 3, maxPayload: 1200, share: 0.015 }), dns);
  const office = adminSources(bastion);
  add(spec({ name: 'admin-ssh', client: office ? { kind: 'addresses', v4: office } : { kind: 'clients' }, server: enis(bastion), exchange: 'tcp', ports: [22], reqMedian: 4000, repMedian: 30000, alpha: 1.0, maxPayload: 1e9, longLived: 0.4, share: 0.003 }), bastion);
  const ssh = all.filter((e) => !bastion.includes(e));
  add(spec({ name: 'bastion-ssh', client: enis(bastion), server: enis(ssh), exchange: 'tcp', ports: [22], reqMedian: 3000, repMedian: 20000, alpha: 1.0, maxPayload: 1e9, longLived: 0.4, share: 0.004 }), bastion, ssh);
  const exposed = all.filter((e) => e.publicIp !== undefined);
  add(spec({ name: 'scanners-tcp', client: { kind: 'clients' }, server: enis(exposed), exchange: 'probe', ports: SCAN_TCP_PORTS, share: 0.03 }), exposed);
  add(spec({ name: 'scanners-udp', client: { kind: 'clients' }, server: enis(exposed), exchange: 'udp', ports: SCAN_UDP_PORTS, reqMedian: 60, repMedian: 60, alpha: 2, maxPayload: 1400, share: 0.01 }), exposed);

  // Fixed-rate traffic: the same every window whatever the time of day.
  const scraped = all.filter((e) => !monitoring.includes(e));
  const scrapes = Math.max(1, seconds / 15);
  add(spec({ name: 'monitoring', client: enis(monitoring), server: enis(scraped), exchange: 'tcp', ports: [9100], reqMedian: 180 * scrapes, repMedian: 24000 * scrapes, alpha: 3, maxPayload: 1e8, longLived: 1, perWindow: scraped.length * chance(15) }), monitoring, scraped);
  add(spec({ name: 'ntp', client: enis(dnsClients), server: enis(dns), exchange: 'udp', ports: [123], reqMedian: 48, repMedian: 48, alpha: 50, maxPayload: 48, perWindow: dnsClients.length * chance(64) }), dnsClients, dns);
  add(spec({ name: 'ntp-upstream', client: enis(dns), server: { kind: 'addresses', v4: UPSTREAM_NTP }, exchange: 'udp', ports: [123], reqMedian: 48, repMedian: 48, alpha: 50, maxPayload: 48, perWindow: dns.length * 2 * chance(64) }), dns);
  add(spec({ name: 'uptime-checks', client: { kind: 'addresses', v4: UPTIME_CHECKERS }, server: enis(web), exchange: 'icmp', ports: [2048], perWindow: web.length * UPTIME_CHECKERS.length * chance(30) }), web);
  for (const port of new Set(db.map(dbPort))) {
    const same = db.filter((d) => dbPort(d) === port);
    const primary = same.filter((d) => d.tags.role === 'primary');
    const replicas = same.filter((d) => d.tags.role === 'replica');
    add(spec({ name: `replication-${port}`, client: enis(replicas), server: enis(primary), exchange: 'tcp', ports: [port], reqMedian: 400, repMedian: 400000, alpha: 1.5, maxPayload: 5e9, longLived: 1, perWindow: replicas.length }), primary, replicas);
  }
  return out;
}
