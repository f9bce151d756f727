// The simulator's own random numbers: sfc32 (small, fast, passes PractRand) seeded through a
// 32-bit mixer, so that a seed, a window number and a stream name always give the same
// sequence whatever else was drawn before. Math.random is never used.

/** A well-mixed 32-bit hash of one integer (the splitmix/murmur finaliser). */
export function hash32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x21f0aaad);
  x ^= x >>> 15;
  x = Math.imul(x, 0x735a2d97);
  x ^= x >>> 15;
  return x >>> 0;
}

/** Combines numbers (a seed, a window index, a stream id) into one 32-bit seed. */
export function mixSeed(...parts: number[]): number {
  let h = 0x1b873593;
  for (const p of parts) {
    // Keep the high bits of seeds above 2^32 (e.g. a timestamp in ms).
    h = hash32(h ^ hash32(p >>> 0) ^ Math.imul(hash32(Math.floor(p / 4294967296)), 0x85ebca6b));
  }
  return h;
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    this.a = hash32(seed ^ 0xa341316c);
    this.b = hash32(seed ^ 0xc8013ea4);
    this.c = hash32(seed ^ 0xad90777d);
    this.d = 1;
    for (let i = 0; i < 12; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Uniform integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /**
   * Heavy-tailed (Pareto) value with the given median and tail index `alpha` (smaller is
   * heavier; flow sizes on real networks sit around 1-1.5), capped at `max`.
   */
  pareto(median: number, alpha: number, max: number): number {
    const u = this.next();
    const x = u * QUANTILE_STEPS;
    const k = x | 0;
    let q: number;
    if (k < QUANTILE_STEPS - 1) {
      const t = quantiles(alpha);
      q = t[k] + (t[k + 1] - t[k]) * (x - k);
    } else {
      q = Math.pow(2 * (1 - u), -1 / alpha); // the far tail, exactly
    }
    const v = median * q;
    return v > max ? max : v;
  }

  /** Roughly normal (Irwin-Hall of four uniforms), mean 0, standard deviation 1. */
  normal(): number {
    return (this.next() + this.next() + this.next() + this.next() - 2) * 1.7320508075688772;
  }

  /** Rounds x up or down at random so that the expected value is x. */
  round(x: number): number {
    const f = Math.floor(x);
    return f + (this.next() < x - f ? 1 : 0);
  }
}

// The Pareto quantile function with median 1, (2(1-u))^(-1/alpha), tabulated per tail index
// (a simulation uses a handful) and interpolated: Math.pow per draw would cost more than the
// rest of a flow.
const QUANTILE_STEPS = 4096;
const tables: Array<{ alpha: number; t: Float64Array }> = [];
let last: { alpha: number; t: Float64Array } | undefined;

function quantiles(alpha: number): Float64Array {
  if (last !== undefined && last.alpha === alpha) return last.t;
  let found = tables.find((x) => x.alpha === alpha);
  if (!found) {
    const t = new Float64Array(QUANTILE_STEPS + 1);
    for (let k = 0; k <= QUANTILE_STEPS; k++) t[k] = Math.pow(2 * (1 - k / QUANTILE_STEPS), -1 / alpha);
    found = { alpha, t };
    tables.push(found);
  }
  last = found;
  return found.t;
}
