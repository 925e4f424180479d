/**
 * Options of triplane refinement (refine.ts), checked up front: every bad value fails before any work, naming the
 * option and its allowed range.
 */
import {
  DEFAULT_ETA,
  DEFAULT_GUIDANCE_SCALE,
  GUIDANCE_METHODS,
  MAX_GUIDANCE_SCALE,
  type GuidanceMethod,
} from '../kernels/guidance-options.js';
import { MAX_SAMPLES } from '../kernels/volsdf-options.js';

export const DEFAULT_REFINE_STEPS = 100;
export const MAX_REFINE_STEPS = 10_000;
export const DEFAULT_REFINE_LEARNING_RATE = 1e-2;
export const DEFAULT_REFINE_ADAM_EPSILON = 1e-8;
export const MAX_VIEWS_PER_STEP = 8;
export const DEFAULT_REPORT_EVERY = 10;
/** At most this many threads share a CPU refinement step's rendering (a worker and its band workers). */
export const MAX_REFINE_THREADS = 4;

/** Refinement options; every field is optional. */
export interface RefinementOptions {
  /** Score distillation method: `'asd'` (default, ScaleDreamer), `'sds'` or `'csd'`. */
  method?: GuidanceMethod;
  /** Optimisation steps, an integer in [1, 10000]. Default 100. */
  steps?: number;
  /** ASD's time-shift ratio eta, in [0, 1]. Default 0.1. */
  eta?: number;
  /** Classifier-free guidance scale, in [0, 200]. Default: the method's (ASD 7.5, SDS 100, CSD 1). */
  guidanceScale?: number;
  /** Seed of the cameras, backgrounds, ray jitter, timesteps and noise, an integer in [0, 2^32). Default 0. */
  seed?: number;
  /**
   * Side of the rendered views in pixels: an integer that divides the prior's resolution R (the views are
   * nearest-upsampled to R for the prior). Default R (64 in the default pack); R / 2 costs about a quarter.
   */
  resolution?: number;
  /** Samples per ray, an integer in [1, 1024]. Default: the pack decoder's (48). */
  samples?: number;
  /** Adam's step size on the planes, in (0, 1]. Default 1e-2. */
  learningRate?: number;
  /**
   * Adam's epsilon, in (0, 1]. Default 1e-8 (PyTorch's). Larger values damp the steps of texels whose gradients are
   * tiny (rarely reached by a ray), which Adam otherwise scales up to full-size steps (docs/refinement.md).
   */
  adamEpsilon?: number;
  /** Views rendered per step, an integer in [1, 8]. Default 1. */
  viewsPerStep?: number;
  /** Call `onProgress` every this many steps (and after the last), an integer >= 1. Default 10. */
  reportEvery?: number;
  /**
   * Timestep range: `'annealed'` (default; the reference code's [T_min, T_max] from [0.50, 0.98] T to [0.02, 0.50] T
   * over the run), or fixed `[min, max]` fractions of T with 0 <= min <= max < 1.
   */
  timesteps?: 'annealed' | readonly [number, number];
}

export type ResolvedRefinementOptions = Readonly<Required<RefinementOptions>>;

/** What the defaults and ranges depend on. */
export interface RefinementContext {
  /** R of the prior. */
  readonly priorResolution: number;
  /** The decoder's samples per ray. */
  readonly samples: number;
}

/**
 * Fills in defaults and checks every option.
 * @throws {TypeError} if `options` is not an object.
 * @throws {RangeError} naming the option that is out of range, with the range.
 */
export function resolveRefinementOptions(
  options: RefinementOptions,
  context: RefinementContext,
): ResolvedRefinementOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  const { priorResolution: R } = context;
  const method = options.method ?? 'asd';
  if (!(GUIDANCE_METHODS as readonly string[]).includes(method)) {
    throw new RangeError(`options.method must be one of ${GUIDANCE_METHODS.join(', ')}, got ${JSON.stringify(method)}`);
  }
  const integer = (name: string, value: number, min: number, max: number): number => {
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new RangeError(`options.${name} must be an integer in [${min}, ${max}], got ${value}`);
    }
    return value;
  };
  const steps = integer('steps', options.steps ?? DEFAULT_REFINE_STEPS, 1, MAX_REFINE_STEPS);
  const eta = options.eta ?? DEFAULT_ETA;
  if (!(eta >= 0 && eta <= 1)) throw new RangeError(`options.eta must be in [0, 1], got ${eta}`);
  const guidanceScale = options.guidanceScale ?? DEFAULT_GUIDANCE_SCALE[method];
  if (!(guidanceScale >= 0 && guidanceScale <= MAX_GUIDANCE_SCALE)) {
    throw new RangeError(`options.guidanceScale must be in [0, ${MAX_GUIDANCE_SCALE}], got ${guidanceScale}`);
  }
  const seed = integer('seed', options.seed ?? 0, 0, 2 ** 32 - 1);
  const resolution = options.resolution ?? R;
  if (!Number.isInteger(resolution) || resolution < 1 || R % resolution !== 0) {
    const divisors = Array.from({ length: R }, (_, i) => i + 1).filter((d) => R % d === 0);
    throw new RangeError(`options.resolution must divide the prior's resolution ${R} (one of ${divisors.join(', ')}), ` +
      `got ${resolution}`);
  }
  const samples = integer('samples', options.samples ?? context.samples, 1, MAX_SAMPLES);
  const learningRate = options.learningRate ?? DEFAULT_REFINE_LEARNING_RATE;
  if (!(learningRate > 0 && learningRate <= 1)) {
    throw new RangeError(`options.learningRate must be in (0, 1], got ${learningRate}`);
  }
  const adamEpsilon = options.adamEpsilon ?? DEFAULT_REFINE_ADAM_EPSILON;
  if (!(adamEpsilon > 0 && adamEpsilon <= 1)) {
    throw new RangeError(`options.adamEpsilon must be in (0, 1], got ${adamEpsilon}`);
  }
  const viewsPerStep = integer('viewsPerStep', options.viewsPerStep ?? 1, 1, MAX_VIEWS_PER_STEP);
  const reportEvery = integer('reportEvery', options.reportEvery ?? DEFAULT_REPORT_EVERY, 1, MAX_REFINE_STEPS);
  const timesteps = options.timesteps ?? 'annealed';
  if (timesteps !== 'annealed') {
    const valid = Array.isArray(timesteps) && timesteps.length === 2 && timesteps[0] >= 0 &&
      timesteps[0] <= timesteps[1] && timesteps[1] < 1;
    if (!valid) {
      throw new RangeError(`options.timesteps must be 'annealed' or [min, max] with 0 <= min <= max < 1, got ` +
        `${JSON.stringify(timesteps)}`);
    }
  }
  return {
    method,
    steps,
    eta,
    guidanceScale,
    seed,
    resolution,
    samples,
    learningRate,
    adamEpsilon,
    viewsPerStep,
    reportEvery,
    timesteps: timesteps === 'annealed' ? 'annealed' : [timesteps[0], timesteps[1]],
  };
}
