// Enrichment stage: fills src/dst country, city and ASN of every public address. Flows repeat
// their peers, so answers are memoised in a direct-mapped cache keyed by the address; a miss
// costs two binary searches and a city lookup, a hit a few array reads. Values a source
// already filled (e.g. AS numbers from an exporter's BGP data) are kept.

import type { FlowBatch, StringColumn } from '../../schema/batch.js';
import { formatIp, isV4Mapped } from '../../schema/ip.js';
import type { Stage } from '../pipeline.js';
import type { GeoDb } from './geo-db.js';

const CACHE_BITS = 16;
const CACHE = 1 << CACHE_BITS;

/** Addresses no geo database knows: private, shared, loopback, link-local, multicast, reserved. */
export function isPrivate(w: Uint32Array, o: number): boolean {
  if (isV4Mapped(w, o)) {
    const v = w[o + 3];
    const a = v >>> 24;
    const b = (v >>> 16) & 255;
    return a === 10 || a === 127 || a === 0 || a >= 224 || (a === 172 && b >= 16 && b < 32) || (a === 192 && b === 168) || (a === 169 && b === 254) || (a === 100 && b >= 64 && b < 128);
  }
  const top = w[o] >>> 16;
  return (top & 0xfe00) === 0xfc00 || (top & 0xffc0) === 0xfe80 || (top & 0xff00) === 0xff00 || (w[o] === 0 && w[o + 1] === 0 && w[o + 2] === 0);
}

export class GeoStage implements Stage {
  readonly name = 'geo';
  private readonly keys = new Uint32Array(CACHE * 4);
  /** Per cache slot: country index, city index, asn; slot valid when stamp === 1. */
  private readonly vals = new Int32Array(CACHE * 3);
  private readonly stamp = new Uint8Array(CACHE);
  private readonly cities: string[] = [''];
  private readonly cityIndex = new Map<string, number>([['', 0]]);
  /** Lookups answered from the cache / from the databases (for metrics and tests). */
  hits = 0;
  misses = 0;

  constructor(private readonly db: GeoDb) {}

  private slot(w: Uint32Array, o: number): number {
    const h = Math.imul(w[o + 3] ^ Math.imul(w[o + 2], 0x85ebca6b) ^ Math.imul(w[o + 1], 0xc2b2ae35) ^ w[o], 0x9e3779b1);
    return h >>> (32 - CACHE_BITS);
  }

  /** Fills vals for the slot of the address (from cache or databases); returns the slot. */
  private lookup(w: Uint32Array, o: number): number {
    const s = this.slot(w, o);
    const k = s * 4;
    const keys = this.keys;
    if (this.stamp[s] === 1 && keys[k] === w[o] && keys[k + 1] === w[o + 1] && keys[k + 2] === w[o + 2] && keys[k + 3] === w[o + 3]) {
      this.hits++;
      return s;
    }
    this.misses++;
    keys[k] = w[o];
    keys[k + 1] = w[o + 1];
    keys[k + 2] = w[o + 2];
    keys[k + 3] = w[o + 3];
    this.stamp[s] = 1;
    const city = this.db.cityOf(formatIp(w, o), isV4Mapped(w, o));
    let ci = this.cityIndex.get(city);
    if (ci === undefined) {
      ci = this.cities.length;
      this.cities.push(city);
      this.cityIndex.set(city, ci);
    }
    this.vals[s * 3] = this.db.countryIndexOf(w, o);
    this.vals[s * 3 + 1] = ci;
    this.vals[s * 3 + 2] = this.db.asnOf(w, o);
    return s;
  }

  process(batch: FlowBatch): void {
    const c = batch.cols;
    this.side(batch.length, c.src_addr, c.src_country, c.src_city, c.src_asn);
    this.side(batch.length, c.dst_addr, c.dst_country, c.dst_city, c.dst_asn);
  }

  private side(n: number, addr: Uint32Array, country: StringColumn, city: StringColumn, asn: Uint32Array): void {
    // Global country/city index → this batch's dictionary code, built as rows need them.
    const countryCode = new Int32Array(this.db.countries.length).fill(-1);
    const cityCode = new Map<number, number>();
    for (let r = 0; r < n; r++) {
      const o = r * 4;
      if (country.codes[r] !== 0 || isPrivate(addr, o)) continue;
      const s = this.lookup(addr, o);
      const ci = this.vals[s * 3];
      if (ci > 0) {
        let code = countryCode[ci];
        if (code < 0) code = countryCode[ci] = country.dict.intern(this.db.countries[ci]);
        country.codes[r] = code;
      }
      const ti = this.vals[s * 3 + 1];
      if (ti > 0 && city.codes[r] === 0) {
        let code = cityCode.get(ti);
        if (code === undefined) {
          code = city.dict.intern(this.cities[ti]);
          cityCode.set(ti, code);
        }
        city.codes[r] = code;
      }
      if (asn[r] === 0) asn[r] = this.vals[s * 3 + 2];
    }
  }
}
