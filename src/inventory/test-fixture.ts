// A small hand-built inventory for tests: one VPC with a public and a private subnet, a web
// and an app instance, AWS-style groups, and ACLs whose rules exercise every notation.

import YAML from 'yaml';
import { parseInventory } from './load.js';
import type { InventoryIndex } from './inventory-index.js';

export function smallInventory(): Record<string, any> {
  return {
    vpcs: [{ id: 'vpc-1', name: 'main', account_id: 123456789012, region: 'eu-west-1', cidrs: ['10.0.0.0/16', '2001:db8:1::/56'] }],
    subnets: [
      { id: 'subnet-pub', vpc: 'vpc-1', cidrs: ['10.0.0.0/24', '2001:db8:1:1::/64'], zone: 'eu-west-1a', network_acl: 'acl-pub' },
      { id: 'subnet-app', vpc: 'vpc-1', cidr: '10.0.1.0/24', zone: 'eu-west-1b', network_acl: 'acl-app' },
    ],
    enis: [
      {
        id: 'eni-web',
        mac: '02:00:00:00:00:01',
        ips: ['10.0.0.10', '2001:db8:1:1::10'],
        public_ip: '198.51.100.10',
        subnet: 'subnet-pub',
        instance_id: 'i-web',
        instance_name: 'web',
        security_groups: ['sg-web'],
        bandwidth_mbps: 1000,
        tags: { tier: 'web', replicas: 3 },
      },
      { id: 'eni-app', mac: '02:00:00:00:00:02', ips: ['10.0.1.20', '10.0.1.21'], subnet: 'subnet-app', security_groups: ['sg-app'] },
    ],
    security_groups: [
      {
        id: 'sg-web',
        vpc: 'vpc-1',
        ingress: [
          { id: 'https', protocol: 'tcp', ports: 443, peer: '0.0.0.0/0' },
          { id: 'https6', protocol: 'tcp', ports: '443', peer: '::/0' },
        ],
        egress: [{ id: 'all', protocol: 'all', peer: '0.0.0.0/0' }],
      },
      {
        id: 'sg-app',
        vpc: 'vpc-1',
        ingress: [{ id: 'api', protocol: 'tcp', ports: '8080-8081', peer: 'sg-web' }],
        egress: [{ id: 'all', protocol: -1, peer: '0.0.0.0/0' }],
      },
    ],
    network_acls: [
      {
        id: 'acl-pub',
        vpc: 'vpc-1',
        ingress: [
          { number: 200, action: 'allow', protocol: 'all', cidr: '0.0.0.0/0' },
          { number: 100, action: 'deny', protocol: 'tcp', ports: 'all', cidr: '203.0.113.0/24' },
        ],
        egress: [{ number: 100, action: 'allow', protocol: 'all', cidr: '0.0.0.0/0' }],
      },
      {
        id: 'acl-app',
        vpc: 'vpc-1',
        ingress: [{ number: 100, action: 'ALLOW', protocol: 6, ports: [8080, '8081'], cidr: '10.0.0.0/16' }],
        egress: [{ number: 100, action: 'allow', protocol: 'tcp', ports: '1024-65535', cidr: '10.0.0.0/16' }],
      },
    ],
  };
}

export function parseSmall(mutate?: (doc: Record<string, any>) => void): InventoryIndex {
  const doc = smallInventory();
  mutate?.(doc);
  return parseInventory(YAML.stringify(doc), 'small.yaml');
}
