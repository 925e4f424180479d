/**
 * Options and constants of the VolSDF renderer (docs/triplane.md: Renderer), shared by the CPU twin (volsdf-cpu.ts)
 * and the WGSL kernel's host (volsdf.ts).
 */

/** Shading: colour = albedo * (AMBIENT + DIFFUSE * max(0, n . l)) (docs/conventions.md: Shading). */
export const AMBIENT = 0.35;
export const DIFFUSE = 0.65;
/** Offset of the tetrahedron probes that estimate the surface normal. */
export const NORMAL_EPSILON = 0.02;
/** The tetrahedron k_0..k_3, flat: g = sum_k k_k sdf(s + NORMAL_EPSILON k_k). */
export const TETRAHEDRON: readonly number[] = [1, -1, -1, -1, -1, 1, -1, 1, -1, 1, 1, 1];
/** Floors of the depth's opacity and of the normal's length. */
export const OPACITY_FLOOR = 1e-6;
export const NORMAL_FLOOR = 1e-6;
/** A ray's span is at least this long (renderer.py: t1 = max(t1, t0 + 1e-4)). */
export const MIN_SPAN = 1e-4;
export const DEFAULT_SAMPLES = 48;
export const DEFAULT_BETA = 0.03;
/** Largest image side and sample count that the renderers accept. */
export const MAX_IMAGE_SIDE = 4096;
export const MAX_SAMPLES = 1024;

/** What to render; sizes are fixed per renderer, the camera and jitter per call. */
export interface VolsdfOptions {
  /** Image width in pixels, integer in [1, 4096]. */
  width: number;
  /** Image height in pixels, integer in [1, 4096]. */
  height: number;
  /** Samples per ray S, integer in [1, 1024]. Default 48 (the pack's decoder.json value wins). */
  samples?: number;
  /** Scale of the Laplace density, > 0. Default 0.03 (the pack's decoder.json value wins). */
  beta?: number;
  /** Background RGB, each finite. Default (1, 1, 1). */
  background?: readonly [number, number, number];
}

export type ResolvedVolsdfOptions = Readonly<Required<VolsdfOptions>>;

/**
 * Fills in defaults and checks ranges.
 * @throws {RangeError} naming the option that is out of range.
 */
export function resolveVolsdfOptions(options: VolsdfOptions): ResolvedVolsdfOptions {
  const { width, height, samples = DEFAULT_SAMPLES, beta = DEFAULT_BETA, background = [1, 1, 1] } = options;
  const integer = (name: string, value: number, max: number): void => {
    if (!Number.isInteger(value) || value < 1 || value > max) {
      throw new RangeError(`${name} must be an integer in [1, ${max}], got ${value}`);
    }
  };
  integer('width', width, MAX_IMAGE_SIDE);
  integer('height', height, MAX_IMAGE_SIDE);
  integer('samples', samples, MAX_SAMPLES);
  if (!(beta > 0 && Number.isFinite(beta))) throw new RangeError(`beta must be finite and > 0, got ${beta}`);
  if (background.length !== 3 || !background.every(Number.isFinite)) {
    throw new RangeError(`background must be 3 finite numbers, got [${background.join(', ')}]`);
  }
  return { width, height, samples, beta, background: [background[0], background[1], background[2]] };
}

/**
 * Checks per-sample jitter: `[H * W, S]` offsets u in [0, 1) that replace the 0.5 of t_i = t0 + (i + u) delta.
 * @throws {RangeError} if the length is wrong.
 */
export function checkJitter(jitter: ArrayLike<number> | null, options: ResolvedVolsdfOptions): void {
  const expected = options.width * options.height * options.samples;
  if (jitter && jitter.length !== expected) {
    throw new RangeError(`jitter must hold width * height * samples = ${expected} floats, got ${jitter.length}`);
  }
}

/** sigma = Psi_beta(-sdf) / beta, Psi_beta the Laplace CDF with scale beta (VolSDF, Yariv et al. 2021, eq. 2-3). */
export function laplaceDensity(sdf: number, beta: number): number {
  const s = -sdf;
  const psi = s <= 0 ? 0.5 * Math.exp(s / beta) : 1 - 0.5 * Math.exp(-s / beta);
  return psi / beta;
}

/** d sigma / d sdf = -exp(-|sdf| / beta) / (2 beta^2): the Laplace density's own density, over beta. */
export function laplaceDensityDerivative(sdf: number, beta: number): number {
  return (-0.5 * Math.exp(-Math.abs(sdf) / beta)) / (beta * beta);
}
