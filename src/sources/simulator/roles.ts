// What each interface does, read from the inventory's tags (`tier`, then `role`), so that the
// simulator knows who talks to whom. Interfaces without a tag get a role from their shape:
// one with a public address serves the internet, the others are application servers.

import type { Eni, Vpc } from '../../inventory/model.js';

export const KNOWN_TIERS = ['web', 'app', 'db', 'cache', 'batch', 'bastion', 'nat', 'dns', 'monitoring', 'analytics'] as const;
export type Tier = (typeof KNOWN_TIERS)[number];

export function tierOf(eni: Eni): Tier | string {
  const t = eni.tags.tier ?? eni.tags.role;
  if (t) return t;
  return eni.publicIp !== undefined ? 'web' : 'app';
}

/** Word offset in `eni.addrs` of its first IPv4 (or, failing that, first) address. */
export function v4Offset(eni: Eni): number {
  for (let k = 0; k < eni.ips.length; k++) {
    const o = k * 4;
    if (eni.addrs[o] === 0 && eni.addrs[o + 1] === 0 && eni.addrs[o + 2] === 0xffff) return o;
  }
  return 0;
}

/** Word offset of its first IPv6 address, or -1. */
export function v6Offset(eni: Eni): number {
  for (let k = 0; k < eni.ips.length; k++) {
    const o = k * 4;
    if (!(eni.addrs[o] === 0 && eni.addrs[o + 1] === 0 && eni.addrs[o + 2] === 0xffff)) return o;
  }
  return -1;
}

export class VpcRoles {
  readonly byTier = new Map<string, Eni[]>();

  constructor(readonly vpc: Vpc) {
    for (const e of vpc.enis) {
      const t = tierOf(e);
      let list = this.byTier.get(t);
      if (!list) this.byTier.set(t, (list = []));
      list.push(e);
    }
  }

  tier(t: Tier): Eni[] {
    return this.byTier.get(t) ?? [];
  }

  get all(): readonly Eni[] {
    return this.vpc.enis;
  }
}

/** The service port of a database interface: its `engine` tag (postgres 5432, mysql 3306). */
export function dbPort(eni: Eni): number {
  const engine = (eni.tags.engine ?? '').toLowerCase();
  if (engine === 'mysql' || engine === 'mariadb' || engine === 'aurora-mysql') return 3306;
  if (engine === 'sqlserver' || engine === 'mssql') return 1433;
  if (engine === 'mongodb') return 27017;
  return 5432;
}
