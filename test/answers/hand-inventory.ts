// A hand-built inventory whose every verdict is worked out by hand in the tests that use it:
// AWS groups with group references, two Tencent (ordered) groups, and ACLs with a deny that
// cuts the replies to one host, a deny of a documentation range, and no ICMP way out.

import type { InventoryFileInput } from '../../src/inventory/file-schema.js';

export function handInventory(): InventoryFileInput {
  return structuredClone({
    vpcs: [{ id: 'vpc-1', name: 'main', account_id: '111111111111', region: 'eu-west-1', cidrs: ['10.0.0.0/16'] }],
    subnets: [
      { id: 'subnet-a', vpc: 'vpc-1', cidr: '10.0.1.0/24', network_acl: 'acl-a' },
      { id: 'subnet-b', vpc: 'vpc-1', cidr: '10.0.2.0/24', network_acl: 'acl-b' },
      { id: 'subnet-t', vpc: 'vpc-1', cidr: '10.0.3.0/24', network_acl: 'acl-b' },
    ],
    enis: [
      { id: 'eni-web', mac: '02:00:00:00:00:10', ips: ['10.0.1.10'], public_ip: '198.51.100.10', subnet: 'subnet-a', instance_id: 'i-web', instance_name: 'web', security_groups: ['sg-web'], bandwidth_mbps: 100 },
      { id: 'eni-web2', mac: '02:00:00:00:00:11', ips: ['10.0.1.11'], subnet: 'subnet-a', instance_id: 'i-web2', security_groups: ['sg-web'] },
      { id: 'eni-app', mac: '02:00:00:00:00:20', ips: ['10.0.2.20'], subnet: 'subnet-b', instance_id: 'i-app', security_groups: ['sg-app', 'sg-base'] },
      { id: 'eni-db', mac: '02:00:00:00:00:30', ips: ['10.0.2.30'], subnet: 'subnet-b', instance_id: 'i-db', security_groups: ['sg-db', 'sg-base'] },
      { id: 'eni-batch', mac: '02:00:00:00:00:50', ips: ['10.0.2.50'], subnet: 'subnet-b', instance_id: 'i-batch', security_groups: ['sg-batch', 'sg-base'] },
      { id: 'eni-t', mac: '02:00:00:00:00:40', ips: ['10.0.3.40'], subnet: 'subnet-t', instance_id: 'i-t', security_groups: ['sg-t1', 'sg-t2'] },
      { id: 'eni-t2', mac: '02:00:00:00:00:41', ips: ['10.0.3.41'], subnet: 'subnet-t', instance_id: 'i-t2', security_groups: ['sg-t1', 'sg-t2'] },
    ],
    security_groups: [
      {
        id: 'sg-web',
        vpc: 'vpc-1',
        ingress: [
          { id: 'https', protocol: 'tcp', ports: 443, peer: '0.0.0.0/0' },
          { id: 'ping', protocol: 'icmp', ports: 8, peer: '0.0.0.0/0' },
        ],
        egress: [
          { id: 'to-app', protocol: 'tcp', ports: 8080, peer: 'sg-app' },
          { id: 'web-peers', protocol: 'tcp', ports: 443, peer: '10.0.1.0/24' },
          { id: 'dns', protocol: 'udp', ports: 53, peer: '10.0.0.0/16' },
        ],
      },
      { id: 'sg-app', vpc: 'vpc-1', ingress: [{ id: 'api', protocol: 'tcp', ports: 8080, peer: 'sg-web' }], egress: [{ id: 'all', protocol: 'all', peer: '0.0.0.0/0' }] },
      { id: 'sg-db', vpc: 'vpc-1', ingress: [{ id: 'pg', protocol: 'tcp', ports: 5432, peer: 'sg-app' }], egress: [{ id: 'all', protocol: 'all', peer: '0.0.0.0/0' }] },
      {
        id: 'sg-base',
        vpc: 'vpc-1',
        ingress: [
          { id: 'ssh', protocol: 'tcp', ports: 22, peer: '10.0.0.0/16' },
          { id: 'metrics', protocol: 'udp', ports: '9100-9102', peer: '10.0.0.0/16' },
        ],
      },
      { id: 'sg-batch', vpc: 'vpc-1', egress: [{ id: 'all', protocol: 'all', peer: '0.0.0.0/0' }] },
      {
        id: 'sg-t1',
        vpc: 'vpc-1',
        semantics: 'tencent',
        ingress: [
          { id: 'ssh-admin', action: 'accept', protocol: 'tcp', ports: 22, peer: '10.0.2.30' },
          { id: 'ssh-drop', action: 'drop', protocol: 'tcp', ports: 22, peer: '0.0.0.0/0' },
          { id: 'drop-web2', action: 'drop', protocol: 'all', peer: '10.0.1.11' },
        ],
        egress: [{ id: 'all', action: 'accept', protocol: 'all', peer: '0.0.0.0/0' }],
      },
      {
        id: 'sg-t2',
        vpc: 'vpc-1',
        semantics: 'tencent',
        ingress: [
          { id: 'http', action: 'accept', protocol: 'tcp', ports: 80, peer: '0.0.0.0/0' },
          { id: 'subnet-a', action: 'accept', protocol: 'all', peer: '10.0.1.0/24' },
        ],
      },
    ],
    network_acls: [
      {
        id: 'acl-a',
        vpc: 'vpc-1',
        ingress: [
          { number: 90, action: 'deny', protocol: 'all', cidr: '203.0.113.0/24' },
          { number: 100, action: 'allow', protocol: 'tcp', ports: 443, cidr: '0.0.0.0/0' },
          { number: 110, action: 'allow', protocol: 'icmp', cidr: '0.0.0.0/0' },
          { number: 120, action: 'allow', protocol: 'all', cidr: '10.0.0.0/16' },
        ],
        egress: [
          { number: 100, action: 'allow', protocol: 'tcp', ports: '32768-65535', cidr: '0.0.0.0/0' },
          { number: 110, action: 'allow', protocol: 'all', cidr: '10.0.0.0/16' },
        ],
      },
      {
        id: 'acl-b',
        vpc: 'vpc-1',
        ingress: [{ number: 100, action: 'allow', protocol: 'all', cidr: '10.0.0.0/16' }],
        egress: [
          { number: 90, action: 'deny', protocol: 'tcp', ports: '32768-65535', cidr: '10.0.1.11/32' },
          { number: 100, action: 'allow', protocol: 'all', cidr: '10.0.0.0/16' },
        ],
      },
    ],
  } as InventoryFileInput);
}
