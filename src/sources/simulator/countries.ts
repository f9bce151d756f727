// Where simulated internet clients come from: a sample of public address blocks per country
// (blocks held by large access and mobile operators of that country, as registered with the
// regional registries), weighted roughly by each country's share of web traffic. It is a
// sample for realistic-looking traffic, not a geolocation database.

import { parseCidr } from '../../schema/ip.js';
import { CidrIndex } from '../../inventory/cidr-index.js';
import type { Rng } from './rng.js';

export interface CountryPrefixes {
  /** ISO 3166-1 alpha-2. */
  readonly code: string;
  readonly weight: number;
  readonly v4: readonly string[];
  readonly v6: readonly string[];
}

export const COUNTRY_PREFIXES: readonly CountryPrefixes[] = [
  { code: 'US', weight: 22, v4: ['73.0.0.0/8', '76.0.0.0/8'], v6: ['2601::/20'] },
  { code: 'CN', weight: 8, v4: ['36.96.0.0/11', '117.128.0.0/10', '183.0.0.0/10'], v6: ['240e::/20'] },
  { code: 'IN', weight: 7, v4: ['117.192.0.0/10', '59.88.0.0/13'], v6: ['2409:4000::/22'] },
  { code: 'DE', weight: 6, v4: ['79.192.0.0/10', '91.0.0.0/10', '84.128.0.0/10'], v6: ['2003::/19'] },
  { code: 'GB', weight: 6, v4: ['86.128.0.0/10', '81.96.0.0/12'], v6: ['2a00:23c0::/27'] },
  { code: 'JP', weight: 5, v4: ['126.0.0.0/8', '60.32.0.0/12'], v6: ['240b::/24'] },
  { code: 'BR', weight: 5, v4: ['177.0.0.0/8', '187.0.0.0/10'], v6: ['2804::/16'] },
  { code: 'FR', weight: 4, v4: ['90.0.0.0/9', '82.64.0.0/14'], v6: ['2a01:cb00::/24'] },
  { code: 'KR', weight: 3, v4: ['121.128.0.0/10', '175.192.0.0/10'], v6: [] },
  { code: 'CA', weight: 3, v4: ['99.224.0.0/11', '70.24.0.0/13'], v6: [] },
  { code: 'IT', weight: 3, v4: ['79.0.0.0/11', '87.0.0.0/13'], v6: [] },
  { code: 'ES', weight: 3, v4: ['88.0.0.0/11', '83.32.0.0/11'], v6: [] },
  { code: 'RU', weight: 3, v4: ['95.24.0.0/13', '178.64.0.0/14'], v6: [] },
  { code: 'AU', weight: 2, v4: ['1.128.0.0/11', '101.160.0.0/11'], v6: [] },
  { code: 'NL', weight: 2, v4: ['145.0.0.0/10', '77.160.0.0/12'], v6: [] },
  { code: 'MX', weight: 2, v4: ['189.128.0.0/10'], v6: [] },
  { code: 'ID', weight: 2, v4: ['36.64.0.0/11', '110.136.0.0/13'], v6: [] },
  { code: 'TR', weight: 2, v4: ['78.160.0.0/11', '88.224.0.0/11'], v6: [] },
  { code: 'PL', weight: 2, v4: ['83.0.0.0/11'], v6: [] },
  { code: 'SE', weight: 1, v4: ['78.64.0.0/12', '81.224.0.0/12'], v6: [] },
  { code: 'VN', weight: 1, v4: ['14.160.0.0/11', '113.160.0.0/11'], v6: [] },
  { code: 'TW', weight: 1, v4: ['36.224.0.0/12', '1.160.0.0/12'], v6: [] },
  { code: 'TH', weight: 1, v4: ['171.96.0.0/13'], v6: [] },
  { code: 'SG', weight: 1, v4: ['220.255.0.0/16', '116.86.0.0/15'], v6: [] },
  { code: 'HK', weight: 1, v4: ['112.118.0.0/15'], v6: [] },
  { code: 'UA', weight: 1, v4: ['93.72.0.0/13'], v6: [] },
  { code: 'ZA', weight: 1, v4: ['41.160.0.0/12'], v6: [] },
  { code: 'EG', weight: 1, v4: ['41.32.0.0/12'], v6: [] },
  { code: 'NG', weight: 1, v4: ['105.112.0.0/12'], v6: [] },
  { code: 'AR', weight: 1, v4: ['181.0.0.0/12'], v6: [] },
  { code: 'CH', weight: 1, v4: ['85.0.0.0/13'], v6: [] },
  { code: 'IE', weight: 1, v4: ['86.40.0.0/13'], v6: [] },
];

let countryIndex: CidrIndex<string> | undefined;

/** The country whose sample block holds an address (4 words at `o`), or undefined. */
export function countryOf(w: Uint32Array, o = 0): string | undefined {
  if (!countryIndex) {
    countryIndex = new CidrIndex<string>();
    for (const c of COUNTRY_PREFIXES) for (const p of [...c.v4, ...c.v6]) countryIndex.add(parseCidr(p)!, c.code);
  }
  return countryIndex.lookup(w, o);
}

/**
 * A fixed set of client addresses drawn from the country blocks. Clients are ordered so that
 * low indices are the busiest: picking index ⌊n·u³⌋ gives the skew real audiences have (a
 * few heavy clients, a long tail of occasional ones).
 */
export class ClientPopulation {
  /** IPv4 clients as 32-bit values. */
  readonly v4: Uint32Array;
  /** IPv6 clients, four words each. */
  readonly v6: Uint32Array;
  readonly v6Count: number;

  constructor(rng: Rng, v4Count: number, v6Count: number) {
    const blocks = (family: 'v4' | 'v6') => COUNTRY_PREFIXES.filter((c) => c[family].length > 0).map((c) => ({ weight: c.weight, cidrs: c[family].map((p) => parseCidr(p)!) }));
    const v4Blocks = blocks('v4');
    const v6Blocks = blocks('v6');
    const pick = (bs: typeof v4Blocks) => {
      const total = bs.reduce((s, b) => s + b.weight, 0);
      let r = rng.next() * total;
      for (const b of bs) {
        r -= b.weight;
        if (r < 0) return b.cidrs[rng.int(b.cidrs.length)];
      }
      return bs[bs.length - 1].cidrs[0];
    };
    this.v4 = new Uint32Array(v4Count);
    for (let i = 0; i < v4Count; i++) {
      const c = pick(v4Blocks);
      const lo = c.lo[3];
      const size = c.hi[3] - lo + 1;
      let a: number;
      // Avoid .0 and .255 host parts, which look like network or broadcast addresses.
      do a = (lo + Math.floor(rng.next() * size)) >>> 0;
      while ((a & 255) === 0 || (a & 255) === 255);
      this.v4[i] = a;
    }
    this.v6Count = v6Count;
    this.v6 = new Uint32Array(v6Count * 4);
    for (let i = 0; i < v6Count; i++) {
      const c = pick(v6Blocks);
      for (let k = 0; k < 4; k++) {
        const keep = ~(c.lo[k] ^ c.hi[k]) >>> 0;
        this.v6[i * 4 + k] = ((c.lo[k] & keep) | (rng.u32() & ~keep)) >>> 0;
      }
    }
  }
}
