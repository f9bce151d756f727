// flowlogs inventory: import the network's description (cloud describe outputs or our YAML)
// into the data directory, where the service, flow logs and the probe use it; show what is there.

import fs from 'node:fs';
import { dataDirInventory, saveInventory } from '../inventory/current-inventory.js';
import { INVENTORY_FORMATS, importInventory } from '../inventory/importers/import.js';
import type { InventoryIndex } from '../inventory/inventory-index.js';
import { loadInventory } from '../inventory/load.js';
import { openDataDir } from '../store/datadir.js';
import { InputError } from '../util/errors.js';
import { oneOf, parseFlags, str, type Io, type Verb } from './args.js';
import { renderTable } from './table.js';

export function inventorySummary(inv: InventoryIndex): string {
  const lines: string[] = [];
  lines.push(renderTable(['vpc', 'name', 'account', 'region', 'cidrs', 'subnets', 'enis'], inv.vpcs.map((v) => [v.id, v.name, v.accountId, v.region, v.cidrs.join(' '), v.subnets.length, v.enis.length])));
  lines.push(renderTable(['subnet', 'name', 'vpc', 'zone', 'cidrs', 'network_acl', 'enis'], inv.subnets.map((s) => [s.id, s.name, s.vpc.id, s.zone, s.cidrs.join(' '), s.networkAcl.id, s.enis.length])));
  lines.push(renderTable(['eni', 'mac', 'addresses', 'subnet', 'instance', 'security_groups'], inv.enis.map((e) => [e.id, e.macText, [...e.ips, ...(e.publicIp ? [e.publicIp] : [])].join(' '), e.subnet.id, e.instanceId, e.securityGroups.map((g) => g.id).join(' ')])));
  lines.push(renderTable(['security_group', 'name', 'vpc', 'semantics', 'ingress', 'egress'], inv.securityGroups.map((g) => [g.id, g.name, g.vpc.id, g.semantics, g.ingress.length, g.egress.length])));
  lines.push(renderTable(['network_acl', 'name', 'vpc', 'ingress', 'egress', 'subnets'], inv.networkAcls.map((a) => [a.id, a.name, a.vpc.id, a.ingress.length, a.egress.length, a.subnets.map((s) => s.id).join(' ')])));
  return lines.join('\n');
}

export const inventoryVerb: Verb = {
  name: 'inventory',
  summary: 'import the network description (AWS/Tencent describe outputs, YAML) and show it',
  usage: `flowlogs inventory import FILE... [--format auto|aws|tencent|yaml] [--account ID] [--data DIR]
flowlogs inventory show [--format table|json] [--data DIR]

  import  reads every FILE together and makes them the data directory's inventory (replacing the
          previous one): AWS describe-vpcs, describe-subnets, describe-network-interfaces,
          describe-security-groups and describe-network-acls JSON; Tencent DescribeVpcs,
          DescribeSubnets, DescribeNetworkInterfaces, DescribeSecurityGroups,
          DescribeSecurityGroupPolicies (one file per group, its id in the file name) and
          DescribeNetworkAcls JSON; our own YAML/JSON. A running server picks it up within seconds.
  --account ID   account id to record for Tencent VPCs (their describe outputs do not carry it)`,
  async run(argv: string[], io: Io): Promise<number> {
    const [sub, ...rest] = argv;
    const verb = `inventory ${sub ?? ''}`.trim();
    if (sub !== 'import' && sub !== 'show') throw new InputError(`flowlogs inventory: expected import or show${sub ? `, got '${sub}'` : ''}`);
    const p = parseFlags(verb, rest, { data: { type: 'string' }, format: { type: 'string' }, account: { type: 'string' } });
    const dataArg = str(p, 'data') ?? './data';
    if (sub === 'import') {
      const format = oneOf(p, 'format', verb, INVENTORY_FORMATS, 'auto');
      if (p.positionals.length === 0) throw new InputError('flowlogs inventory import: name the files to import (describe outputs or an inventory YAML)');
      const docs = p.positionals.map((file) => {
        try {
          return { file, text: fs.readFileSync(file, 'utf8') };
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          throw new InputError(`${file}: ${code === 'ENOENT' ? 'no such file' : `cannot be read (${code})`}`);
        }
      });
      const r = importInventory(docs, { format, account: str(p, 'account') });
      const dir = openDataDir(dataArg, { create: true });
      await saveInventory(dir.root, r.inventory, 'imported inventory');
      for (const x of r.read) io.err.write(`${x.file}: ${x.as.join(', ')}\n`);
      for (const n of r.notes) io.err.write(`note: ${n}\n`);
      const i = r.index;
      io.out.write(`${i.vpcs.length} VPCs, ${i.subnets.length} subnets, ${i.enis.length} ENIs, ${i.securityGroups.length} security groups, ${i.networkAcls.length} network ACLs imported into ${dataDirInventory(dir.root)}\n`);
      return 0;
    }
    if (p.positionals.length) throw new InputError(`flowlogs inventory show: unexpected argument '${p.positionals[0]}'`);
    const format = oneOf(p, 'format', verb, ['table', 'json'] as const, 'table');
    const dir = openDataDir(dataArg, { create: false });
    const file = dataDirInventory(dir.root);
    if (!fs.existsSync(file)) throw new InputError(`${dir.root} has no inventory yet: import one with 'flowlogs inventory import FILE... --data ${dataArg}'`);
    if (format === 'json') io.out.write(fs.readFileSync(file, 'utf8'));
    else io.out.write(inventorySummary(loadInventory(file)));
    return 0;
  },
};
