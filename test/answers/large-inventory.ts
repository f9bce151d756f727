// A large, realistic inventory for reachability tests and benchmarks: 20 VPCs of 25 subnets,
// 10,000 ENIs, 2,000 security groups and 500 network ACLs, 50,000 rules in all. Every VPC is
// built from the same plan (tiers with group references, CIDR rules, ACLs with denies and
// return-traffic ranges), so the known facts below hold in each of them.

import type { InventoryFileInput } from '../../src/inventory/file-schema.js';

export const LARGE = { vpcs: 20, subnetsPerVpc: 25, enisPerSubnet: 20, groupsPerVpc: 100, rulesPerGroup: 20, aclRulesPerDirection: 10 } as const;

const TIERS = ['web', 'app', 'db', 'cache', 'batch'] as const;

/** ENI id of ENI `k` of subnet `s` in VPC `v`. */
export const largeEniId = (v: number, s: number, k: number) => `eni-${v.toString(16).padStart(2, '0')}${s.toString(16).padStart(2, '0')}${k.toString(16).padStart(4, '0')}`;
export const largeEniIp = (v: number, s: number, k: number) => `10.${v}.${s}.${10 + k}`;
/** The tier a subnet holds: subnets 0-4 web, 5-9 app, 10-14 db, 15-19 cache, 20-24 batch. */
export const largeTier = (s: number) => TIERS[Math.floor(s / 5)];

export function largeInventoryDoc(): InventoryFileInput {
  const doc = { vpcs: [] as any[], subnets: [] as any[], enis: [] as any[], security_groups: [] as any[], network_acls: [] as any[] };
  for (let v = 0; v < LARGE.vpcs; v++) {
    const vpc = `vpc-large-${v}`;
    doc.vpcs.push({ id: vpc, name: `large-${v}`, account_id: String(100000000000 + v), region: 'eu-west-1', cidrs: [`10.${v}.0.0/16`] });
    // Five tier groups that reference each other, then filler groups with CIDR rules.
    const tierGroup = (t: string) => `sg-${v}-${t}`;
    const groups: any[] = [];
    const tierIngress: Record<string, any[]> = {
      web: [
        { id: 'https', protocol: 'tcp', ports: 443, peer: '0.0.0.0/0' },
        { id: 'http', protocol: 'tcp', ports: 80, peer: '0.0.0.0/0' },
      ],
      app: [{ id: 'api-from-web', protocol: 'tcp', ports: 8080, peer: tierGroup('web') }],
      db: [
        { id: 'pg-from-app', protocol: 'tcp', ports: 5432, peer: tierGroup('app') },
        { id: 'pg-from-batch', protocol: 'tcp', ports: 5432, peer: tierGroup('batch') },
      ],
      cache: [{ id: 'redis-from-app', protocol: 'tcp', ports: 6379, peer: tierGroup('app') }],
      batch: [],
    };
    for (const t of TIERS) {
      const ingress = [...tierIngress[t]];
      // Pad each tier group with narrow administrative rules up to the rule budget.
      for (let r = ingress.length; r < LARGE.rulesPerGroup - 1; r++) ingress.push({ id: `admin-${r}`, protocol: 'tcp', ports: 20000 + r, peer: `172.16.${r}.0/24` });
      groups.push({ id: tierGroup(t), name: `${t}-${v}`, vpc, ingress, egress: [{ id: 'all', protocol: 'all', peer: '0.0.0.0/0' }] });
    }
    for (let g = TIERS.length; g < LARGE.groupsPerVpc; g++) {
      const ingress = [];
      for (let r = 0; r < LARGE.rulesPerGroup - 2; r++) ingress.push({ id: `r${r}`, protocol: r % 3 === 0 ? 'udp' : 'tcp', ports: `${1000 + g * 20 + r}`, peer: `192.168.${g}.${r * 8}/29` });
      groups.push({
        id: `sg-${v}-x${g}`,
        vpc,
        ingress,
        egress: [
          { id: 'https-out', protocol: 'tcp', ports: 443, peer: '0.0.0.0/0' },
          { id: 'vpc', protocol: 'all', peer: `10.${v}.0.0/16` },
        ],
      });
    }
    doc.security_groups.push(...groups);
    for (let s = 0; s < LARGE.subnetsPerVpc; s++) {
      const acl = `acl-${v}-${s}`;
      const ingress = [
        { number: 50, action: 'deny', protocol: 'tcp', ports: 23, cidr: '0.0.0.0/0' },
        { number: 60, action: 'deny', protocol: 'all', cidr: '45.155.205.0/24' },
        { number: 100, action: 'allow', protocol: 'all', cidr: `10.${v}.0.0/16` },
        { number: 110, action: 'allow', protocol: 'tcp', ports: 443, cidr: '0.0.0.0/0' },
        { number: 120, action: 'allow', protocol: 'tcp', ports: 80, cidr: '0.0.0.0/0' },
        { number: 130, action: 'allow', protocol: 'tcp', ports: '32768-65535', cidr: '0.0.0.0/0' },
      ];
      for (let r = ingress.length; r < LARGE.aclRulesPerDirection; r++) ingress.push({ number: 200 + r, action: 'allow', protocol: 'udp', ports: 30000 + r, cidr: `198.18.${r}.0/24` });
      const egress = [
        { number: 100, action: 'allow', protocol: 'all', cidr: `10.${v}.0.0/16` },
        { number: 110, action: 'allow', protocol: 'tcp', ports: 443, cidr: '0.0.0.0/0' },
        { number: 120, action: 'allow', protocol: 'tcp', ports: '32768-65535', cidr: '0.0.0.0/0' },
      ];
      for (let r = egress.length; r < LARGE.aclRulesPerDirection; r++) egress.push({ number: 200 + r, action: 'allow', protocol: 'udp', ports: 30000 + r, cidr: `198.18.${r}.0/24` });
      doc.network_acls.push({ id: acl, vpc, ingress, egress });
      doc.subnets.push({ id: `subnet-${v}-${s}`, vpc, cidr: `10.${v}.${s}.0/24`, zone: `eu-west-1${'abc'[s % 3]}`, network_acl: acl });
      const tier = largeTier(s);
      for (let k = 0; k < LARGE.enisPerSubnet; k++) {
        const n = (v * LARGE.subnetsPerVpc + s) * LARGE.enisPerSubnet + k;
        doc.enis.push({
          id: largeEniId(v, s, k),
          mac: `02:00:${[(n >> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255].map((b) => b.toString(16).padStart(2, '0')).join(':')}`,
          ips: [largeEniIp(v, s, k)],
          subnet: `subnet-${v}-${s}`,
          instance_id: `i-large-${n}`,
          security_groups: [tierGroup(tier), `sg-${v}-x${TIERS.length + ((s * LARGE.enisPerSubnet + k) % (LARGE.groupsPerVpc - TIERS.length))}`],
          bandwidth_mbps: 1000,
          tags: { tier },
        });
      }
    }
  }
  return doc as InventoryFileInput;
}

/** Counts the rules of a document (security-group rules of both directions and ACL entries). */
export function countRules(doc: InventoryFileInput): number {
  let n = 0;
  for (const g of doc.security_groups ?? []) n += (g.ingress?.length ?? 0) + (g.egress?.length ?? 0);
  for (const a of doc.network_acls ?? []) n += (a.ingress?.length ?? 0) + (a.egress?.length ?? 0);
  return n;
}
