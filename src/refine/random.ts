/**
 * The refinement loop's seeded random numbers: sfc32 (Chris Doty-Humphrey's small fast counter generator, 128-bit
 * state, passes PractRand) seeded through splitmix32, so that a seed gives the same cameras, noise and timesteps in
 * Node and in every browser. Not torch's generator: runs are reproducible within the TypeScript runtime only.
 */
export class RefineRandom {
  private _a: number;
  private _b: number;
  private _c: number;
  private _d: number;
  /** Box-Muller yields normals in pairs; the second waits here. */
  private _spare: number | null = null;

  /**
   * @param seed an integer in [0, 2^32).
   * @throws {RangeError} if `seed` is not such an integer.
   */
  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) {
      throw new RangeError(`seed must be an integer in [0, 2^32), got ${seed}`);
    }
    let s = seed >>> 0;
    const splitmix32 = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this._a = splitmix32();
    this._b = splitmix32();
    this._c = splitmix32();
    this._d = splitmix32();
    for (let i = 0; i < 12; i++) this._next();
  }

  private _next(): number {
    const t = (((this._a + this._b) >>> 0) + this._d) >>> 0;
    this._d = (this._d + 1) >>> 0;
    this._a = this._b ^ (this._b >>> 9);
    this._b = (this._c + (this._c << 3)) >>> 0;
    this._c = ((this._c << 21) | (this._c >>> 11)) >>> 0;
    this._c = (this._c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1), 32 random bits. */
  uniform(): number {
    return this._next() / 2 ** 32;
  }

  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    if (this._spare !== null) {
      const spare = this._spare;
      this._spare = null;
      return spare;
    }
    const u = 1 - this.uniform(); // (0, 1]: log(u) is finite
    const radius = Math.sqrt(-2 * Math.log(u));
    const angle = 2 * Math.PI * this.uniform();
    this._spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }

  fillUniform<T extends Float32Array | Float64Array>(out: T): T {
    for (let i = 0; i < out.length; i++) out[i] = this.uniform();
    return out;
  }

  fillNormal<T extends Float32Array | Float64Array>(out: T): T {
    for (let i = 0; i < out.length; i++) out[i] = this.normal();
    return out;
  }
}
