// The benchmarks' only source of randomness: mulberry32, seeded per dataset from a fixed seed and the
// dataset's name, so a dataset is the same whichever --dataset filter or order selects it.

/** The seed every synthetic dataset derives from; change it and every figure's data changes. */
export const BENCH_SEED = 0x5eed1075;

/** A seeded generator of uniform [0, 1) doubles and normal deviates. */
export class Rng {
  #state: number;
  #spare = NaN;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A generator for `name`, independent of every other name's. */
  static for(name: string): Rng {
    let h = BENCH_SEED ^ 0x811c9dc5; // FNV-1a over the name, folded into the fixed seed
    for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
    return new Rng(h);
  }

  /** Uniform in [0, 1), 32 bits of resolution (mulberry32). */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Uniform integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor((hi - lo + 1) * this.next());
  }

  /** Standard normal deviate (Box–Muller; the second deviate of each pair is kept for the next call). */
  gaussian(): number {
    if (!Number.isNaN(this.#spare)) {
      const g = this.#spare;
      this.#spare = NaN;
      return g;
    }
    const u = 1 - this.next(); // (0, 1]: log stays finite
    const r = Math.sqrt(-2 * Math.log(u));
    const phi = 2 * Math.PI * this.next();
    this.#spare = r * Math.sin(phi);
    return r * Math.cos(phi);
  }

  /** Exponential deviate with the given mean. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }
}
