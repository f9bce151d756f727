// The inventory file's shape (YAML or JSON), checked field by field. Values are validated here
// (addresses, CIDRs, protocols, ports) so that each problem is reported at its own path;
// references between objects are checked afterwards, once every object is known.

import { z } from 'zod';
import { parseCidr, parseIp, parseMac } from '../schema/ip.js';
import { parsePorts, parseProtocol } from './rule-values.js';

/** A CIDR written with its prefix length and no host bits set, as the clouds require for VPCs and subnets. */
export function cidrProblem(text: string, bareAddressOk: boolean): string | undefined {
  const c = parseCidr(text);
  if (!c) return `'${text}' is not a CIDR`;
  if (!text.includes('/')) return bareAddressOk ? undefined : `'${text}' needs a prefix length (e.g. ${text}/24)`;
  const addr = parseIp(text.slice(0, text.indexOf('/')))!;
  for (let k = 0; k < 4; k++) {
    if (addr[k] !== c.lo[k]) return `'${text}' has host bits set`;
  }
  return undefined;
}

const id = z.string({ error: 'must be text' }).trim().min(1, { error: 'must not be empty' });
const text = z.union([z.string(), z.number()], { error: 'must be text' }).transform(String);
const optText = text.optional();

const networkCidr = z.string({ error: 'must be a CIDR' }).superRefine((s, ctx) => {
  const p = cidrProblem(s, false);
  if (p) ctx.addIssue({ code: 'custom', message: p });
});
const ruleCidr = z.string({ error: 'must be a CIDR' }).superRefine((s, ctx) => {
  const p = cidrProblem(s, true);
  if (p) ctx.addIssue({ code: 'custom', message: p });
});
const address = z.string({ error: 'must be an IP address' }).superRefine((s, ctx) => {
  if (!parseIp(s)) ctx.addIssue({ code: 'custom', message: `'${s}' is not an IP address` });
});
const mac = z.string({ error: 'must be a MAC address' }).superRefine((s, ctx) => {
  if (parseMac(s) === undefined) ctx.addIssue({ code: 'custom', message: `'${s}' is not a MAC address (aa:bb:cc:dd:ee:ff)` });
});

const protocol = z
  .union([z.string(), z.number()], { error: 'must be a protocol name or number' })
  .transform((v, ctx) => {
    const p = parseProtocol(v);
    if (typeof p === 'string') {
      ctx.addIssue({ code: 'custom', message: p });
      return z.NEVER;
    }
    return p;
  });

const ports = z
  .union([z.number(), z.string(), z.array(z.union([z.number(), z.string()]))], { error: 'must be a port, a range, a list or all' })
  .optional()
  .transform((v, ctx) => {
    const r = parsePorts(v);
    if (typeof r === 'string') {
      ctx.addIssue({ code: 'custom', message: r });
      return z.NEVER;
    }
    return r;
  });

const lower = (values: readonly string[]) =>
  z
    .string({ error: `must be one of ${values.join(', ')}` })
    .transform((s) => s.trim().toLowerCase())
    .pipe(z.enum(values as [string, ...string[]], { error: `must be one of ${values.join(', ')}` }));

const vpc = z.strictObject({
  id,
  name: optText,
  account_id: text,
  region: optText,
  cidrs: z.array(networkCidr).min(1, { error: 'needs at least one CIDR' }),
});

const subnet = z
  .strictObject({
    id,
    name: optText,
    vpc: id,
    cidr: networkCidr.optional(),
    cidrs: z.array(networkCidr).optional(),
    zone: optText,
    network_acl: id,
  })
  .superRefine((s, ctx) => {
    if (s.cidr === undefined && (s.cidrs === undefined || s.cidrs.length === 0)) {
      ctx.addIssue({ code: 'custom', path: ['cidrs'], message: 'needs a cidr or at least one entry in cidrs' });
    }
  });

const eni = z.strictObject({
  id,
  mac,
  ips: z.array(address).min(1, { error: 'needs at least one address (the primary first)' }),
  public_ip: address.optional(),
  subnet: id,
  instance_id: optText,
  instance_name: optText,
  security_groups: z.array(id).min(1, { error: 'needs at least one security group' }),
  bandwidth_mbps: z.number({ error: 'must be a number of Mbit/s' }).positive({ error: 'must be more than 0' }).optional(),
  tags: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()], { error: 'tag values must be text' }).transform(String)).optional(),
});

const sgRule = z.strictObject({
  id: id.optional(),
  action: lower(['accept', 'drop', 'allow', 'deny']).optional(),
  protocol,
  ports,
  peer: z.string({ error: 'must be a CIDR or a security group id' }).trim().min(1, { error: 'must not be empty' }),
  description: optText,
});

const securityGroup = z.strictObject({
  id,
  name: optText,
  vpc: id,
  semantics: lower(['aws', 'tencent']).optional(),
  description: optText,
  ingress: z.array(sgRule).optional(),
  egress: z.array(sgRule).optional(),
});

const aclRule = z.strictObject({
  number: z.number({ error: 'must be a rule number' }).int({ error: 'must be a whole number' }).min(1, { error: 'must be from 1 to 32766' }).max(32766, { error: 'must be from 1 to 32766' }),
  action: lower(['allow', 'deny', 'accept', 'drop']),
  protocol,
  ports,
  cidr: ruleCidr,
  description: optText,
});

const networkAcl = z.strictObject({
  id,
  name: optText,
  vpc: id,
  ingress: z.array(aclRule).optional(),
  egress: z.array(aclRule).optional(),
});

export const inventoryFileSchema = z.strictObject({
  version: z.number().optional(),
  vpcs: z.array(vpc).optional(),
  subnets: z.array(subnet).optional(),
  enis: z.array(eni).optional(),
  security_groups: z.array(securityGroup).optional(),
  network_acls: z.array(networkAcl).optional(),
});

/** The file after field validation (references not yet checked). */
export type InventoryFile = z.output<typeof inventoryFileSchema>;
export type InventoryFileInput = z.input<typeof inventoryFileSchema>;
