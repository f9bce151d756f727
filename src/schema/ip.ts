// One address representation for both families: 128 bits as four u32 words, most significant
// first. IPv4 is stored IPv4-mapped (::ffff:a.b.c.d) so that v4 and v6 share every column,
// comparison and CIDR test.

export const V4_MAPPED_PREFIX = 0xffff;

export function isV4Mapped(w: Uint32Array, o: number): boolean {
  return w[o] === 0 && w[o + 1] === 0 && w[o + 2] === V4_MAPPED_PREFIX;
}

export function setV4(w: Uint32Array, o: number, v4: number): void {
  w[o] = 0;
  w[o + 1] = 0;
  w[o + 2] = V4_MAPPED_PREFIX;
  w[o + 3] = v4 >>> 0;
}

/** Copies 16 network-order bytes (an IPv6 address) into four words. */
export function setV6Bytes(w: Uint32Array, o: number, b: Uint8Array, at: number): void {
  for (let k = 0; k < 4; k++) {
    const p = at + 4 * k;
    w[o + k] = ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
  }
}

export function isZeroIp(w: Uint32Array, o: number): boolean {
  return w[o] === 0 && w[o + 1] === 0 && w[o + 2] === 0 && w[o + 3] === 0;
}

export function v4ToText(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** Text form: dotted quad for IPv4-mapped addresses, RFC 5952 for the rest. */
export function formatIp(w: Uint32Array, o: number): string {
  if (isV4Mapped(w, o)) return v4ToText(w[o + 3]);
  const g = new Array<number>(8);
  for (let k = 0; k < 4; k++) {
    g[2 * k] = w[o + k] >>> 16;
    g[2 * k + 1] = w[o + k] & 0xffff;
  }
  // Longest run of two or more zero groups becomes "::" (first one on ties).
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number, b: number) => g.slice(a, b).map((x) => x.toString(16)).join(':');
  if (bestAt < 0) return hex(0, 8);
  return `${hex(0, bestAt)}::${hex(bestAt + bestLen, 8)}`;
}

function parseV4(s: string): number | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    v = v * 256 + n;
  }
  return v;
}

/**
 * Parses an IPv4 or IPv6 address into four words at `o`. Returns false (and leaves `w`
 * untouched) when the text is not an address.
 */
export function parseIpInto(text: string, w: Uint32Array, o: number): boolean {
  const s = text.trim();
  if (s.indexOf(':') < 0) {
    const v4 = parseV4(s);
    if (v4 === undefined) return false;
    setV4(w, o, v4);
    return true;
  }
  const zone = s.indexOf('%');
  const body = zone >= 0 ? s.slice(0, zone) : s;
  const halves = body.split('::');
  if (halves.length > 2) return false;
  const groups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const items = part.split(':');
    for (let i = 0; i < items.length; i++) {
      const it = items[i];
      if (it.includes('.')) {
        if (i !== items.length - 1) return undefined;
        const v4 = parseV4(it);
        if (v4 === undefined) return undefined;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(it)) return undefined;
        out.push(parseInt(it, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return false;
  let all: number[];
  if (halves.length === 2) {
    const fill = 8 - head.length - tail.length;
    if (fill < 1) return false;
    all = [...head, ...new Array<number>(fill).fill(0), ...tail];
  } else {
    if (head.length !== 8) return false;
    all = head;
  }
  for (let k = 0; k < 4; k++) w[o + k] = ((all[2 * k] << 16) | all[2 * k + 1]) >>> 0;
  return true;
}

/** Parses an address into a fresh 4-word array, or undefined. */
export function parseIp(text: string): Uint32Array | undefined {
  const w = new Uint32Array(4);
  return parseIpInto(text, w, 0) ? w : undefined;
}

export interface Cidr {
  /** First address of the block. */
  lo: Uint32Array;
  /** Last address of the block. */
  hi: Uint32Array;
  /** Prefix length counted on the 128-bit (IPv4-mapped) form. */
  bits: number;
}

/** Parses `a.b.c.d/n`, `x::/n` or a bare address (a /32 or /128). */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  const addrText = slash >= 0 ? text.slice(0, slash) : text;
  const w = parseIp(addrText);
  if (!w) return undefined;
  const v4 = addrText.indexOf(':') < 0;
  let bits = v4 ? 32 : 128;
  if (slash >= 0) {
    const lenText = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(lenText)) return undefined;
    bits = Number(lenText);
    if (bits > (v4 ? 32 : 128)) return undefined;
  }
  const bits128 = v4 ? bits + 96 : bits;
  const lo = new Uint32Array(4);
  const hi = new Uint32Array(4);
  for (let k = 0; k < 4; k++) {
    const keep = Math.max(0, Math.min(32, bits128 - 32 * k));
    const mask = keep === 0 ? 0 : keep === 32 ? 0xffffffff : (0xffffffff << (32 - keep)) >>> 0;
    lo[k] = (w[k] & mask) >>> 0;
    hi[k] = (lo[k] | (~mask >>> 0)) >>> 0;
  }
  return { lo, hi, bits: bits128 };
}

/** Compares two addresses word by word; negative, zero or positive. */
export function compareIp(a: Uint32Array, ao: number, b: Uint32Array, bo: number): number {
  for (let k = 0; k < 4; k++) {
    const d = a[ao + k] - b[bo + k];
    if (d !== 0) return d;
  }
  return 0;
}

export function inCidr(w: Uint32Array, o: number, c: Cidr): boolean {
  return compareIp(w, o, c.lo, 0) >= 0 && compareIp(w, o, c.hi, 0) <= 0;
}

/** 32 hex digits, the big-endian bytes of the address (storage and hashing). */
export function ipToHex(w: Uint32Array, o: number): string {
  let s = '';
  for (let k = 0; k < 4; k++) s += w[o + k].toString(16).padStart(8, '0');
  return s;
}

export function formatMac(v: number): string {
  let s = '';
  for (let k = 5; k >= 0; k--) {
    const byte = Math.floor(v / 2 ** (8 * k)) % 256;
    s += (k === 5 ? '' : ':') + byte.toString(16).padStart(2, '0');
  }
  return s;
}

export function parseMac(text: string): number | undefined {
  const m = /^([0-9a-fA-F]{2})[:-]([0-9a-fA-F]{2})[:-]([0-9a-fA-F]{2})[:-]([0-9a-fA-F]{2})[:-]([0-9a-fA-F]{2})[:-]([0-9a-fA-F]{2})$/.exec(text.trim());
  if (!m) return undefined;
  let v = 0;
  for (let k = 1; k <= 6; k++) v = v * 256 + parseInt(m[k], 16);
  return v;
}
