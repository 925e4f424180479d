/**
 * The guidance step's options and host-side scalars, shared by the CPU twin (guidance-cpu.ts) and the WGSL kernels'
 * host (guidance.ts). PyTorch reference: training/distill/guidance.py (ASD, SDS, CSD) and gather / q_sample in
 * training/prior/schedule.py. The recipe is the ScaleDreamer reference code's (docs/kernels.md: Guidance).
 *
 * One step for B rendered images at the render resolution r, seen by the prior at its resolution R = f r:
 *   1. (host) timesteps t (and ASD's t + dt) and noise eps [B, 3, R, R]; per-image coefficients
 *      {@link guidanceCoefficients} from the schedule's alphabar.
 *   2. (kernel) the prior's input `sample` [K B, 3, R, R], K = {@link predictionsPerImage}: rows [0, B) are x_t for
 *      the conditional prompt, [B, 2B) the same x_t for the unconditional one, and for ASD [2B, 3B) x_{t+dt} for the
 *      conditional prompt (x = 2 up(rgb) - 1, up the bilinear upsampling by f of the trainer's --render-resolution,
 *      F.interpolate with align_corners=False; x_t = sqrt(ab_t) x + sqrt(1 - ab_t) eps).
 *   3. (caller) the prior: `noise` predictions [K B, 3, R, R] for those rows ({@link unetTimesteps} gives their
 *      timesteps; the caller pairs them with cond / uncond text states and the cameras).
 *   4. (kernel) g per the method (nan_to_num'ed), the per-image loss 0.5 sum(g^2), and the upstream gradient of the
 *      batch-mean surrogate loss w.r.t. the render, dL/drgb = up^T(2 g / B) (the adjoint of the upsampling): what
 *      the renderer's backward takes.
 */

export type GuidanceMethod = 'asd' | 'sds' | 'csd';
export const GUIDANCE_METHODS: readonly GuidanceMethod[] = ['asd', 'sds', 'csd'];

/** ASD's time-shift ratio eta ("plus_ratio" of the reference code). */
export const DEFAULT_ETA = 0.1;
/** The paper's classifier-free guidance scale per method (guidance.py DEFAULTS): ASD 7.5, SDS 100, CSD 1. */
export const DEFAULT_GUIDANCE_SCALE: Readonly<Record<GuidanceMethod, number>> = { asd: 7.5, sds: 100, csd: 1 };
/** Largest guidance scale accepted (SDS's 100 with room to spare). */
export const MAX_GUIDANCE_SCALE = 200;
/** T_min and T_max as fractions of T, annealed linearly from the first value to the second over the run. */
export const ANNEALED_T_MIN: readonly [number, number] = [0.5, 0.02];
export const ANNEALED_T_MAX: readonly [number, number] = [0.98, 0.5];

/** Per-image coefficients, {@link COEFFICIENTS_PER_IMAGE} f32 each (GuidanceImage in guidance-common.wgsl). */
export const COEFFICIENTS_PER_IMAGE = 8;
export const COEF_SQRT_AB = 0;
export const COEF_SQRT_ONE_MINUS_AB = 1;
export const COEF_SQRT_AB_SHIFTED = 2;
export const COEF_SQRT_ONE_MINUS_AB_SHIFTED = 3;
export const COEF_WEIGHT = 4;

/** torch.nan_to_num's replacements for +-Inf in float32: +-FLT_MAX (NaN becomes 0). */
export const FLOAT32_MAX = 3.4028234663852886e38;

/** Prior predictions per rendered image: ASD 3 (cond at t, uncond at t, cond at t + dt), SDS and CSD 2. */
export function predictionsPerImage(method: GuidanceMethod): 2 | 3 {
  return method === 'asd' ? 3 : 2;
}

/** Sizes of one guidance step. */
export interface GuidanceSizes {
  /** Rendered images B per step, integer in [1, 64]. */
  readonly batch: number;
  /** Side r of the rendered images, integer >= 1 that divides `priorResolution`. */
  readonly renderResolution: number;
  /** Side R of the prior's `sample` (the pack's `prior.resolution`), integer >= 1. */
  readonly priorResolution: number;
}

export const MAX_GUIDANCE_BATCH = 64;

/**
 * @returns the upsampling factor f = R / r.
 * @throws {RangeError} naming the size that is out of range, or if r does not divide R.
 */
export function checkGuidanceSizes(sizes: GuidanceSizes): number {
  const { batch, renderResolution: r, priorResolution: R } = sizes;
  if (!Number.isInteger(batch) || batch < 1 || batch > MAX_GUIDANCE_BATCH) {
    throw new RangeError(`batch must be an integer in [1, ${MAX_GUIDANCE_BATCH}], got ${batch}`);
  }
  if (!Number.isInteger(R) || R < 1) throw new RangeError(`priorResolution must be an integer >= 1, got ${R}`);
  if (!Number.isInteger(r) || r < 1 || R % r !== 0) {
    throw new RangeError(`renderResolution must be an integer that divides priorResolution (${R}), got ${r}`);
  }
  return R / r;
}

/**
 * @throws {RangeError} naming the parameter: an unknown method, a guidance scale outside [0, 200], or (ASD) an eta
 *   outside [0, 1].
 */
export function checkGuidanceParameters(method: string, guidanceScale: number, eta = DEFAULT_ETA): GuidanceMethod {
  if (!(GUIDANCE_METHODS as readonly string[]).includes(method)) {
    throw new RangeError(`method must be one of ${GUIDANCE_METHODS.join(', ')}, got ${JSON.stringify(method)}`);
  }
  if (!(guidanceScale >= 0 && guidanceScale <= MAX_GUIDANCE_SCALE)) {
    throw new RangeError(`guidanceScale must be in [0, ${MAX_GUIDANCE_SCALE}], got ${guidanceScale}`);
  }
  if (!(eta >= 0 && eta <= 1)) throw new RangeError(`eta must be in [0, 1], got ${eta}`);
  return method as GuidanceMethod;
}

/** Integer timestep range [min, max] (both inclusive) of one step. */
export interface TimestepRange {
  readonly min: number;
  readonly max: number;
}

/**
 * The annealed [T_min, T_max] at `progress` in [0, 1] of the run, as integers: int(fraction * T), as
 * guidance.py's `_t_range` truncates (the same float64 operations, so the same integers).
 */
export function annealedTimestepRange(progress: number, numTrainTimesteps: number): TimestepRange {
  const p = Math.min(Math.max(progress, 0), 1);
  const lo = ANNEALED_T_MIN[0] + (ANNEALED_T_MIN[1] - ANNEALED_T_MIN[0]) * p;
  const hi = ANNEALED_T_MAX[0] + (ANNEALED_T_MAX[1] - ANNEALED_T_MAX[0]) * p;
  return { min: Math.trunc(lo * numTrainTimesteps), max: Math.trunc(hi * numTrainTimesteps) };
}

/** t ~ U{min, .., max} from a uniform u in [0, 1) (torch.randint(min, max + 1)). */
export function sampleTimestep(u: number, range: TimestepRange): number {
  return Math.min(range.min + Math.floor(u * (range.max - range.min + 1)), range.max);
}

/**
 * ASD's second timestep (ScaleDreamer reference code): dt = floor(u eta (t - T_min)) with u ~ U[0, 1), at most
 * T - 1 - t; t + dt clamped to [1, T - 1]. The product is rounded to float32 at each step, as torch computes it.
 */
export function asdShiftedTimestep(u: number, eta: number, t: number, tMin: number, numTrainTimesteps: number): number {
  const f = Math.fround;
  const dt = Math.min(Math.floor(f(f(u * f(eta)) * f(t - tMin))), numTrainTimesteps - 1 - t);
  return Math.min(Math.max(t + dt, 1), numTrainTimesteps - 1);
}

/**
 * alphabar at a (possibly fractional) timestep, linearly interpolated between its neighbours and rounded to float32
 * (gather in schedule.py).
 */
export function alphaBarAt(alphasCumprod: ArrayLike<number>, t: number): number {
  const last = alphasCumprod.length - 1;
  const tc = Math.min(Math.max(Math.fround(t), 0), last);
  const lo = Math.floor(tc);
  const hi = Math.min(lo + 1, last);
  const w = tc - lo;
  return Math.fround((1 - w) * alphasCumprod[lo]! + w * alphasCumprod[hi]!);
}

/**
 * The per-image coefficients of a step: sqrt(ab) and sqrt(1 - ab) at t and (ASD) at the shifted timestep, and the
 * weight w(t) = 1 - ab_t (ASD, SDS) or 1 (CSD). Rounded to float32 like the tensors of guidance.py.
 * @param shifted ASD's t + dt per image; ignored (may be null) for SDS and CSD.
 * @param out `[B, COEFFICIENTS_PER_IMAGE]`, written if given.
 */
export function guidanceCoefficients(
  method: GuidanceMethod,
  alphasCumprod: ArrayLike<number>,
  timesteps: ArrayLike<number>,
  shifted: ArrayLike<number> | null,
  out: Float32Array<ArrayBuffer> = new Float32Array(timesteps.length * COEFFICIENTS_PER_IMAGE),
): Float32Array<ArrayBuffer> {
  if (out.length !== timesteps.length * COEFFICIENTS_PER_IMAGE) {
    throw new RangeError(`out must hold ${timesteps.length} * ${COEFFICIENTS_PER_IMAGE} floats, got ${out.length}`);
  }
  if (method === 'asd' && (!shifted || shifted.length !== timesteps.length)) {
    throw new RangeError('asd needs one shifted timestep per image');
  }
  const f = Math.fround;
  for (let b = 0; b < timesteps.length; b++) {
    const ab = alphaBarAt(alphasCumprod, timesteps[b]!);
    const at = b * COEFFICIENTS_PER_IMAGE;
    out.fill(0, at, at + COEFFICIENTS_PER_IMAGE);
    out[at + COEF_SQRT_AB] = Math.sqrt(ab);
    out[at + COEF_SQRT_ONE_MINUS_AB] = Math.sqrt(f(1 - ab));
    if (method === 'asd') {
      const ab2 = alphaBarAt(alphasCumprod, shifted![b]!);
      out[at + COEF_SQRT_AB_SHIFTED] = Math.sqrt(ab2);
      out[at + COEF_SQRT_ONE_MINUS_AB_SHIFTED] = Math.sqrt(f(1 - ab2));
    }
    out[at + COEF_WEIGHT] = method === 'csd' ? 1 : 1 - ab;
  }
  return out;
}

/** The prior's `timestep` input [K B] for the rows of step 2: t, t, and (ASD) the shifted timesteps. */
export function unetTimesteps(
  method: GuidanceMethod,
  timesteps: ArrayLike<number>,
  shifted: ArrayLike<number> | null,
): Float32Array<ArrayBuffer> {
  const batch = timesteps.length;
  const out = new Float32Array(predictionsPerImage(method) * batch);
  for (let b = 0; b < batch; b++) {
    out[b] = timesteps[b]!;
    out[batch + b] = timesteps[b]!;
    if (method === 'asd') out[2 * batch + b] = shifted![b]!;
  }
  return out;
}

/**
 * The two source texels and the weight of the second for output index `i` of a bilinear upsampling from `size` to
 * `size * factor` (PyTorch's upsample_bilinear2d with align_corners=False: source = (i + 0.5) / factor - 0.5,
 * clamped at 0; the second texel clamped at the edge).
 * @param out receives [first, second, weight of second].
 */
export function upsampleTaps(i: number, factor: number, size: number, out: Float64Array): void {
  const f = Math.fround;
  const source = Math.max(f(f(f(1 / factor) * (i + 0.5)) - 0.5), 0); // float32 steps, as PyTorch computes it
  const first = Math.min(Math.floor(source), size - 1);
  out[0] = first;
  out[1] = Math.min(first + 1, size - 1);
  out[2] = source - first;
}

/** torch.nan_to_num for float32: NaN -> 0, +-Inf -> +-FLT_MAX. */
export function nanToNum(x: number): number {
  if (Number.isNaN(x)) return 0;
  if (x === Infinity) return FLOAT32_MAX;
  if (x === -Infinity) return -FLOAT32_MAX;
  return x;
}
