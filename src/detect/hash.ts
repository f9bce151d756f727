// 32-bit hashing for the detectors' tables and sketches: MurmurHash3's mixing steps on plain
// numbers (Math.imul), so keys built from typed-array words hash without allocating. Two
// different seeds over the same words give the two halves of a 64-bit key; collisions at 64
// bits are rare enough that tables keep no other copy of the key.

export const SEED_A = 0x9747b28c;
export const SEED_B = 0x5bd1e995;

/** One MurmurHash3 body round: folds the 32-bit word `k` into the running hash `h`. */
export function mix(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** MurmurHash3's finaliser: spreads every input bit over the whole result. */
export function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Folds the four words of an address at w[o..o+3] into `h`. */
export function mixIp(h: number, w: Uint32Array, o: number): number {
  return mix(mix(mix(mix(h, w[o]), w[o + 1]), w[o + 2]), w[o + 3]);
}

/** A well-spread 32-bit hash of one number (ports, protocol, element ids). */
export function hash32(k: number, seed = SEED_A): number {
  return fmix(mix(seed, k));
}

/** 32-bit hash of a string (FNV-1a then the finaliser), for entity names; not for hot loops. */
export function hashString(s: string, seed = SEED_A): number {
  let h = 0x811c9dc5 ^ seed;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix(h);
}

/** Changes the seed for IPv4 so that it never hashes like an IPv6 address made of the same words. */
export const V4_TWEAK = 0x3c6ef372;

/**
 * Hash of the address at w[o..o+3] with `seed`. IPv4 (IPv4-mapped) addresses, nearly all
 * traffic, take one round on their own word.
 */
export function hashAddress(seed: number, w: Uint32Array, o: number): number {
  if (w[o + 2] === 0xffff && w[o] === 0 && w[o + 1] === 0) return fmix(mix(seed ^ V4_TWEAK, w[o + 3]));
  return fmix(mixIp(seed, w, o));
}

/**
 * hashAddress with SEED_A and SEED_B of every address in `w` (n rows) into `a` and `b`: the
 * same values, with the shared half of the IPv4 round done once and nothing left to a call,
 * as it runs for both ends of every flow.
 */
export function hashAddresses(w: Uint32Array, n: number, a: Uint32Array, b: Uint32Array): void {
  const sa = SEED_A ^ V4_TWEAK;
  const sb = SEED_B ^ V4_TWEAK;
  for (let r = 0; r < n; r++) {
    const o = r * 4;
    if (w[o + 2] !== 0xffff || w[o] !== 0 || w[o + 1] !== 0) {
      a[r] = hashAddress(SEED_A, w, o);
      b[r] = hashAddress(SEED_B, w, o);
      continue;
    }
    let k = Math.imul(w[o + 3], 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    let h = sa ^ k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    a[r] = h >>> 0;
    let g = sb ^ k;
    g = (g << 13) | (g >>> 19);
    g = (Math.imul(g, 5) + 0xe6546b64) | 0;
    g ^= g >>> 16;
    g = Math.imul(g, 0x85ebca6b);
    g ^= g >>> 13;
    g = Math.imul(g, 0xc2b2ae35);
    g ^= g >>> 16;
    b[r] = g >>> 0;
  }
}
