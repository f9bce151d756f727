// The hand-built inventory the policy tests share.

import { parseInventory } from '../inventory/load.js';
import type { InventoryIndex } from '../inventory/inventory-index.js';

// Two subnets of one VPC. sg-web has no rule for traffic back to the internet, so anything a
// client gets back from it passes only through connection tracking. acl-a lets ICMP in but
// not out to the internet (the clouds' documented ping example), denies 203.0.113.0/24 before
// allowing HTTPS, and denies HTTPS inside its own subnet (which traffic there never crosses).
const INVENTORY = `
vpcs:
  - { id: vpc-1, account_id: "1", cidrs: [10.0.0.0/16, "2001:db8::/56"] }
subnets:
  - { id: subnet-a, vpc: vpc-1, cidrs: [10.0.1.0/24, "2001:db8:0:1::/64"], network_acl: acl-a }
  - { id: subnet-b, vpc: vpc-1, cidr: 10.0.2.0/24, network_acl: acl-b }
enis:
  - { id: eni-web, mac: "02:00:00:00:00:10", ips: [10.0.1.10, "2001:db8:0:1::10"], subnet: subnet-a, security_groups: [sg-web] }
  - { id: eni-web2, mac: "02:00:00:00:00:11", ips: [10.0.1.11], subnet: subnet-a, security_groups: [sg-web] }
  - { id: eni-app, mac: "02:00:00:00:00:20", ips: [10.0.2.20], subnet: subnet-b, security_groups: [sg-app] }
  - { id: eni-admin, mac: "02:00:00:00:00:30", ips: [10.0.2.30], subnet: subnet-b, security_groups: [sg-admin] }
  - { id: eni-t, mac: "02:00:00:00:00:40", ips: [10.0.2.40], subnet: subnet-b, security_groups: [sg-t1, sg-t2] }
  - { id: eni-multi, mac: "02:00:00:00:00:50", ips: [10.0.2.50], subnet: subnet-b, security_groups: [sg-app, sg-admin] }
security_groups:
  - id: sg-web
    vpc: vpc-1
    ingress:
      - { id: https-v6, protocol: tcp, ports: 443, peer: "::/0" }
      - { id: https, protocol: tcp, ports: 443, peer: 0.0.0.0/0 }
      - { id: ping, protocol: icmp, ports: 8, peer: 0.0.0.0/0 }
      - { id: ssh-admin, protocol: tcp, ports: 22, peer: sg-admin }
    egress:
      - { id: to-app, protocol: tcp, ports: "8080-8081", peer: sg-app }
      - { id: web-peers, protocol: tcp, ports: 443, peer: 10.0.1.0/24 }
  - id: sg-app
    vpc: vpc-1
    ingress:
      - { id: api, protocol: tcp, ports: "8080,8081", peer: sg-web }
  - id: sg-admin
    vpc: vpc-1
    ingress:
      - { id: metrics, protocol: udp, ports: 9100-9102, peer: 10.0.0.0/16 }
    egress:
      - { id: all, protocol: all, peer: 0.0.0.0/0 }
  - id: sg-t1
    vpc: vpc-1
    semantics: tencent
    ingress:
      - { id: ssh-admin, action: accept, protocol: tcp, ports: 22, peer: 10.0.2.30 }
      - { id: ssh-drop, action: drop, protocol: tcp, ports: 22, peer: 0.0.0.0/0 }
      - { id: drop-web2, action: drop, protocol: all, peer: 10.0.1.11 }
    egress:
      - { id: all, action: accept, protocol: all, peer: 0.0.0.0/0 }
  - id: sg-t2
    vpc: vpc-1
    semantics: tencent
    ingress:
      - { id: ssh-http, action: accept, protocol: tcp, ports: "22,80", peer: 0.0.0.0/0 }
      - { id: subnet-a, action: accept, protocol: all, peer: 10.0.1.0/24 }
network_acls:
  - id: acl-a
    vpc: vpc-1
    ingress:
      - { number: 100, action: allow, protocol: tcp, ports: 443, cidr: 0.0.0.0/0 }
      - { number: 90, action: deny, protocol: all, cidr: 203.0.113.0/24 }
      - { number: 110, action: allow, protocol: icmp, cidr: 0.0.0.0/0 }
      - { number: 120, action: allow, protocol: all, cidr: 10.0.0.0/16 }
      - { number: 130, action: allow, protocol: tcp, ports: 443, cidr: "::/0" }
    egress:
      - { number: 100, action: allow, protocol: tcp, ports: 32768-65535, cidr: 0.0.0.0/0 }
      - { number: 105, action: deny, protocol: tcp, ports: 443, cidr: 10.0.1.0/24 }
      - { number: 110, action: allow, protocol: all, cidr: 10.0.0.0/16 }
      - { number: 120, action: allow, protocol: tcp, ports: 32768-65535, cidr: "::/0" }
  - id: acl-b
    vpc: vpc-1
    ingress:
      - { number: 100, action: allow, protocol: all, cidr: 10.0.0.0/16 }
    egress:
      - { number: 100, action: allow, protocol: all, cidr: 10.0.0.0/16 }
`;


export function policyInventory(): InventoryIndex {
  return parseInventory(INVENTORY, 'policy.yaml');
}
