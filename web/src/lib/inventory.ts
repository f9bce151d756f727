// The inventory document as a tree (VPC → subnet → ENI), shared by the pages that pick or show
// network resources.

import { api } from './api';
import { needs } from './schema';
import type { InventoryDoc } from './types';

export type Vpc = NonNullable<InventoryDoc['vpcs']>[number];
export type Subnet = NonNullable<InventoryDoc['subnets']>[number];
export type Eni = NonNullable<InventoryDoc['enis']>[number];

export interface Tree {
  vpcs: Array<{ vpc: Vpc; subnets: Array<{ subnet: Subnet; enis: Eni[] }> }>;
  doc: InventoryDoc;
}

export function buildTree(doc: InventoryDoc): Tree {
  const enisBySubnet = new Map<string, Eni[]>();
  for (const e of doc.enis ?? []) {
    const l = enisBySubnet.get(e.subnet) ?? [];
    l.push(e);
    enisBySubnet.set(e.subnet, l);
  }
  return {
    doc,
    vpcs: (doc.vpcs ?? []).map((vpc) => ({
      vpc,
      subnets: (doc.subnets ?? []).filter((s) => s.vpc === vpc.id).map((subnet) => ({ subnet, enis: enisBySubnet.get(subnet.id) ?? [] })),
    })),
  };
}

export async function loadInventoryDoc(signal?: AbortSignal): Promise<InventoryDoc> {
  await needs('GET /api/inventory');
  return api.get<InventoryDoc>('/api/inventory', undefined, signal);
}

export const loadInventory = (signal?: AbortSignal) => loadInventoryDoc(signal).then(buildTree);

export function cidrsOf(x: { cidrs?: string[]; cidr?: string }): string {
  return (x.cidrs ?? (x.cidr ? [x.cidr] : [])).join(', ');
}

export function eniLabel(e: Eni): string {
  return [e.id, e.instance_name, (e.ips ?? [])[0]].filter(Boolean).join(' · ');
}
