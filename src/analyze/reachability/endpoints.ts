// The two ends of a connection as users name them: an ENI id, an instance id or an address.
// An end inside the inventory is an interface with one of its addresses; an address the
// inventory does not hold is the outside world, which has no security groups or ACLs.

import { formatIp, isV4Mapped, parseIp } from '../../schema/ip.js';
import type { Eni } from '../../inventory/model.js';
import type { InventoryIndex } from '../../inventory/inventory-index.js';
import { InputError } from '../../util/errors.js';

export interface Endpoint {
  /** As the user wrote it. */
  input: string;
  /** The interface, or null for an address outside the inventory. */
  eni: Eni | null;
  /** The address used (four words, IPv4 IPv4-mapped). */
  addr: Uint32Array;
  address: string;
}

interface Candidates {
  input: string;
  enis: Eni[];
  /** Set when the user gave an address. */
  addr?: Uint32Array;
}

/** `accounts`: the caller's accounts (undefined: all); interfaces of other accounts are not found. */
function candidates(inv: InventoryIndex, text: string, what: string, accounts?: readonly string[]): Candidates {
  const t = text.trim();
  if (t === '') throw new InputError(`${what}: give an ENI id, an instance id or an IP address`);
  const visible = (e: Eni) => !accounts || accounts.includes(e.accountId);
  const addr = parseIp(t);
  if (addr) {
    const e = inv.eniByIp(addr);
    return { input: t, enis: e && visible(e) ? [e] : [], addr };
  }
  const eni = inv.eni(t);
  if (eni && visible(eni)) return { input: t, enis: [eni] };
  const byInstance = inv.enis.filter((e) => e.instanceId === t && visible(e));
  if (byInstance.length > 0) return { input: t, enis: byInstance };
  throw new InputError(`${what}: '${t}' is not an IP address, nor an ENI or instance id in the inventory`);
}

function addressOf(e: Eni, v4: boolean): Uint32Array | undefined {
  for (let k = 0; k < e.ips.length; k++) {
    const w = e.addrs.subarray(k * 4, k * 4 + 4);
    if (isV4Mapped(w, 0) === v4) return Uint32Array.from(w);
  }
  return undefined;
}

function hasFamily(c: Candidates, e: Eni | undefined, v4: boolean): boolean {
  if (c.addr) return isV4Mapped(c.addr, 0) === v4;
  return !!e && addressOf(e, v4) !== undefined;
}

function endpoint(c: Candidates, e: Eni | undefined, v4: boolean): Endpoint {
  const addr = c.addr ?? addressOf(e!, v4)!;
  return { input: c.input, eni: e ?? null, addr, address: formatIp(addr, 0) };
}

/**
 * Both ends of a connection. Where an instance has several interfaces, the one in the other
 * end's VPC is used; the address family is the one both ends have (IPv4 first).
 */
export function resolveEndpoints(inv: InventoryIndex, src: string, dst: string, accounts?: readonly string[]): { src: Endpoint; dst: Endpoint } {
  const a = candidates(inv, src, 'src', accounts);
  const b = candidates(inv, dst, 'dst', accounts);
  if (a.enis.length === 0 && b.enis.length === 0) throw new InputError(`neither ${a.input} nor ${b.input} is in the inventory: there is no security group or network ACL to evaluate`);
  const pairs: Array<[Eni | undefined, Eni | undefined]> = [];
  const as = a.enis.length ? a.enis : [undefined];
  const bs = b.enis.length ? b.enis : [undefined];
  for (const x of as) for (const y of bs) if (x !== y || x === undefined) pairs.push([x, y]);
  if (pairs.length === 0) throw new InputError(`src and dst are the same interface (${a.enis[0].id})`);
  // Prefer two interfaces of one VPC, then anything; IPv4 before IPv6.
  pairs.sort((p, q) => Number(!!q[0] && !!q[1] && q[0].vpc === q[1].vpc) - Number(!!p[0] && !!p[1] && p[0].vpc === p[1].vpc));
  for (const v4 of [true, false]) {
    for (const [x, y] of pairs) {
      if (hasFamily(a, x, v4) && hasFamily(b, y, v4)) return { src: endpoint(a, x, v4), dst: endpoint(b, y, v4) };
    }
  }
  throw new InputError(`${a.input} and ${b.input} have no address family in common (one is IPv4 only, the other IPv6 only)`);
}
