// Importing an inventory from files: cloud describe outputs (AWS, Tencent) and our own
// YAML/JSON, any mix, each file recognised by its content. The result is one inventory in our
// format, checked by the same rules as a hand-written one, plus notes on what was left out.

import path from 'node:path';
import YAML from 'yaml';
import { InputError } from '../../util/errors.js';
import type { InventoryFileInput } from '../file-schema.js';
import type { InventoryIndex } from '../inventory-index.js';
import { parseInventory } from '../load.js';
import { AWS_KEYS, importAws, type AwsKey, type AwsPart } from './aws.js';
import { InventoryDraft } from './draft.js';
import type { Json } from './json-fields.js';
import { TENCENT_KEYS, importTencent, policyGroupId, type TencentKey, type TencentPart } from './tencent.js';

export const INVENTORY_FORMATS = ['auto', 'aws', 'tencent', 'yaml'] as const;
export type InventoryFormat = (typeof INVENTORY_FORMATS)[number];

const OWN_KEYS = ['vpcs', 'subnets', 'enis', 'security_groups', 'network_acls'] as const;

export interface InventoryDocument {
  /** The file name, for messages (and, for Tencent policy files, the group id). */
  file: string;
  text: string;
}

export interface InventoryImport {
  inventory: InventoryFileInput;
  index: InventoryIndex;
  /** The kind each file was read as, e.g. "aws describe-network-interfaces". */
  read: Array<{ file: string; as: string[] }>;
  notes: string[];
}

function parseText(doc: InventoryDocument, format: InventoryFormat): unknown {
  try {
    return JSON.parse(doc.text);
  } catch (e) {
    if (format === 'aws' || format === 'tencent') throw new InputError(`${doc.file}: not valid JSON (${(e as Error).message}); describe outputs are JSON`);
  }
  try {
    return YAML.parse(doc.text);
  } catch (e) {
    throw new InputError(`${doc.file}: neither JSON nor YAML (${(e as Error).message.split('\n')[0]})`);
  }
}

const AWS_NAMES: Record<AwsKey, string> = {
  Vpcs: 'describe-vpcs',
  Subnets: 'describe-subnets',
  NetworkInterfaces: 'describe-network-interfaces',
  SecurityGroups: 'describe-security-groups',
  NetworkAcls: 'describe-network-acls',
};
const TENCENT_NAMES: Record<TencentKey, string> = {
  VpcSet: 'DescribeVpcs',
  SubnetSet: 'DescribeSubnets',
  NetworkInterfaceSet: 'DescribeNetworkInterfaces',
  SecurityGroupSet: 'DescribeSecurityGroups',
  SecurityGroupPolicySet: 'DescribeSecurityGroupPolicies',
  NetworkAclSet: 'DescribeNetworkAcls',
};

export function importInventory(docs: readonly InventoryDocument[], opts: { format?: InventoryFormat; account?: string } = {}): InventoryImport {
  const format = opts.format ?? 'auto';
  if (docs.length === 0) throw new InputError('name at least one file to import');
  const draft = new InventoryDraft();
  const aws: AwsPart[] = [];
  const tencent: TencentPart[] = [];
  const read: InventoryImport['read'] = [];
  for (const doc of docs) {
    const data = parseText(doc, format);
    if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new InputError(`${doc.file}: expected a JSON object (a describe output or an inventory), got ${Array.isArray(data) ? 'a list' : typeof data}`);
    const top = data as Json;
    const body = (top.Response && typeof top.Response === 'object' ? top.Response : top) as Json;
    const as: string[] = [];
    const awsKeys = AWS_KEYS.filter((k) => Array.isArray(body[k]));
    const tencentKeys = TENCENT_KEYS.filter((k) => (k === 'SecurityGroupPolicySet' ? body[k] && typeof body[k] === 'object' : Array.isArray(body[k])));
    const ownKeys = OWN_KEYS.filter((k) => k in body);
    const kind = awsKeys.length ? 'aws' : tencentKeys.length ? 'tencent' : ownKeys.length ? 'yaml' : undefined;
    if (!kind)
      throw new InputError(
        `${doc.file}: not an inventory file nor a describe output this importer knows (AWS: ${Object.values(AWS_NAMES).join(', ')}; Tencent: ${Object.values(TENCENT_NAMES).join(', ')}; or our YAML with ${OWN_KEYS.join(', ')})`,
      );
    if (format !== 'auto' && kind !== format) throw new InputError(`${doc.file}: this is ${kind === 'yaml' ? 'an inventory in our format' : `${kind === 'aws' ? 'an AWS' : 'a Tencent'} describe output`}, not --format ${format}`);
    if (kind === 'aws') {
      for (const key of awsKeys) {
        aws.push({ file: doc.file, key, items: body[key] as unknown[] });
        as.push(`aws ${AWS_NAMES[key]}`);
      }
    } else if (kind === 'tencent') {
      for (const key of tencentKeys) {
        if (key === 'SecurityGroupPolicySet') tencent.push({ file: doc.file, key, items: [body[key]], groupId: policyGroupId(doc.file, { ...top, ...body }) });
        else tencent.push({ file: doc.file, key, items: body[key] as unknown[] });
        as.push(`tencent ${TENCENT_NAMES[key]}`);
      }
    } else {
      // Our own format: taken as written (the final check validates every field).
      const own = body as Record<string, unknown[] | undefined>;
      for (const v of (own.vpcs ?? []) as never[]) draft.addVpc(v, doc.file);
      for (const s of (own.subnets ?? []) as never[]) draft.addSubnet(s, doc.file);
      for (const e of (own.enis ?? []) as never[]) draft.addEni(e, doc.file);
      for (const g of (own.security_groups ?? []) as never[]) draft.addGroup(g, doc.file);
      for (const a of (own.network_acls ?? []) as never[]) draft.addAcl(a, doc.file);
      as.push('inventory');
    }
    read.push({ file: doc.file, as });
  }
  if (aws.length) importAws(aws, draft);
  if (tencent.length) importTencent(tencent, draft, { account: opts.account });
  const hint = (a: string, t: string) => (aws.length && !tencent.length ? a : tencent.length && !aws.length ? t : `${a} or ${t}`);
  draft.checkReferences({ vpcs: hint('describe-vpcs', 'DescribeVpcs'), subnets: hint('describe-subnets', 'DescribeSubnets'), groups: hint('describe-security-groups', 'DescribeSecurityGroupPolicies') });
  const inventory = draft.toFile();
  const label = `inventory imported from ${docs.map((d) => path.basename(d.file)).join(', ')}`;
  const index = parseInventory(JSON.stringify(inventory), label);
  return { inventory, index, read, notes: draft.notes };
}
