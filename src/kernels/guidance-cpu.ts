/**
 * CPU twin of the guidance kernels (guidance-noisy.wgsl, guidance-gradient.wgsl): steps 2 and 4 of a score
 * distillation step (guidance-options.ts has the whole step). Float64 arithmetic on float32 tensors.
 *
 * Gradients per method, on network-space images x = 2 rgb - 1 (eps_c / eps_u: conditional / unconditional
 * predictions at t, eps_c' the conditional prediction at ASD's t + dt, eps the injected noise, s the guidance scale):
 *   ASD (ScaleDreamer, eq. 9):       g = w(t) (eps_u + s (eps_c - eps_u) - eps_c')
 *   SDS (DreamFusion, eq. 3):        g = w(t) (eps_u + s (eps_c - eps_u) - eps)
 *   CSD (Yu et al. 2023, eq. 7):     g = s (eps_c - eps_u)      (s = 1 in the paper and in guidance.py)
 * with w(t) = 1 - alphabar_t, and g replaced by nan_to_num(g). The surrogate loss of guidance.py,
 * L = 0.5 sum((x - sg(x - g))^2) / B, has dL/dx = g / B (DreamFusion's target trick); with x = 2 up(rgb) - 1,
 * up the bilinear upsampling from r to R, dL/drgb = up^T(2 g / B).
 */
import {
  checkGuidanceSizes,
  COEF_SQRT_AB,
  COEF_SQRT_AB_SHIFTED,
  COEF_SQRT_ONE_MINUS_AB,
  COEF_SQRT_ONE_MINUS_AB_SHIFTED,
  COEF_WEIGHT,
  COEFFICIENTS_PER_IMAGE,
  nanToNum,
  predictionsPerImage,
  type GuidanceMethod,
  type GuidanceSizes,
  upsampleTaps,
} from './guidance-options.js';
import type { FloatArray } from './triplane-layout.js';

/** {@link upsampleTaps} for every output index 0 .. R - 1, flat: [first, second, weight of second] each. */
function upsampleTable(R: number, factor: number, r: number): Float64Array {
  const table = new Float64Array(3 * R);
  for (let i = 0; i < R; i++) upsampleTaps(i, factor, r, table.subarray(3 * i, 3 * i + 3));
  return table;
}

function checkLength(name: string, array: ArrayLike<number>, expected: number): void {
  if (array.length !== expected) throw new RangeError(`${name} must hold ${expected} floats, got ${array.length}`);
}

/**
 * Step 2: the prior's `sample` rows for a batch of renders.
 * @param rgb renders `[B, 3, r, r]` in [0, 1].
 * @param noise eps `[B, 3, R, R]`.
 * @param coefficients `[B, COEFFICIENTS_PER_IMAGE]` from guidanceCoefficients.
 * @param out `[K B, 3, R, R]`, K = predictionsPerImage(method); written if given.
 * @throws {RangeError} if a size is invalid or an array has the wrong length.
 */
export function noisySamplesCpu(
  method: GuidanceMethod,
  sizes: GuidanceSizes,
  rgb: FloatArray,
  noise: FloatArray,
  coefficients: FloatArray,
  out?: FloatArray,
): FloatArray {
  const factor = checkGuidanceSizes(sizes);
  const { batch: B, renderResolution: r, priorResolution: R } = sizes;
  const K = predictionsPerImage(method);
  const image = 3 * R * R;
  const samples = out ?? new Float32Array(K * B * image);
  checkLength('rgb', rgb, B * 3 * r * r);
  checkLength('noise', noise, B * image);
  checkLength('coefficients', coefficients, B * COEFFICIENTS_PER_IMAGE);
  checkLength('out', samples, K * B * image);
  const rows = upsampleTable(R, factor, r);
  for (let b = 0; b < B; b++) {
    const c = b * COEFFICIENTS_PER_IMAGE;
    const a = coefficients[c + COEF_SQRT_AB]!;
    const s = coefficients[c + COEF_SQRT_ONE_MINUS_AB]!;
    const a2 = coefficients[c + COEF_SQRT_AB_SHIFTED]!;
    const s2 = coefficients[c + COEF_SQRT_ONE_MINUS_AB_SHIFTED]!;
    for (let ch = 0; ch < 3; ch++) {
      const plane = (b * 3 + ch) * r * r;
      for (let y = 0; y < R; y++) {
        const y0 = plane + rows[3 * y]! * r;
        const y1 = plane + rows[3 * y + 1]! * r;
        const ly = rows[3 * y + 2]!;
        for (let x = 0; x < R; x++) {
          const x0 = rows[3 * x]!;
          const x1 = rows[3 * x + 1]!;
          const lx = rows[3 * x + 2]!;
          const up = (1 - ly) * ((1 - lx) * rgb[y0 + x0]! + lx * rgb[y0 + x1]!) +
            ly * ((1 - lx) * rgb[y1 + x0]! + lx * rgb[y1 + x1]!);
          const i = b * image + (ch * R + y) * R + x;
          const pixel = 2 * up - 1;
          const e = noise[i]!;
          const xt = a * pixel + s * e;
          samples[i] = xt;
          samples[B * image + i] = xt;
          if (K === 3) samples[2 * B * image + i] = a2 * pixel + s2 * e;
        }
      }
    }
  }
  return samples;
}

/**
 * Step 4: the image-space gradient from the prior's predictions.
 * @param predictions the prior's `noise` `[K B, 3, R, R]` for the rows of {@link noisySamplesCpu}.
 * @param noise eps `[B, 3, R, R]` (read by SDS only).
 * @param upstream `[B, 3, r, r]`, overwritten with dL/drgb of the batch-mean surrogate loss.
 * @returns per-image losses 0.5 sum(g^2) (their mean over the batch is guidance.py's loss).
 * @throws {RangeError} if a size is invalid or an array has the wrong length.
 */
export function guidanceGradientCpu(
  method: GuidanceMethod,
  sizes: GuidanceSizes,
  guidanceScale: number,
  predictions: FloatArray,
  noise: FloatArray,
  coefficients: FloatArray,
  upstream: FloatArray,
): Float64Array {
  const factor = checkGuidanceSizes(sizes);
  const { batch: B, renderResolution: r, priorResolution: R } = sizes;
  const K = predictionsPerImage(method);
  const image = 3 * R * R;
  checkLength('predictions', predictions, K * B * image);
  checkLength('noise', noise, B * image);
  checkLength('coefficients', coefficients, B * COEFFICIENTS_PER_IMAGE);
  checkLength('upstream', upstream, B * 3 * r * r);
  const losses = new Float64Array(B);
  const toRgb = 2 / B;
  const rows = upsampleTable(R, factor, r);
  upstream.fill(0);
  for (let b = 0; b < B; b++) {
    const w = coefficients[b * COEFFICIENTS_PER_IMAGE + COEF_WEIGHT]!;
    let squares = 0;
    for (let ch = 0; ch < 3; ch++) {
      const plane = (b * 3 + ch) * r * r;
      for (let y = 0; y < R; y++) {
        const y0 = plane + rows[3 * y]! * r;
        const y1 = plane + rows[3 * y + 1]! * r;
        const ly = rows[3 * y + 2]!;
        for (let x = 0; x < R; x++) {
          const i = b * image + (ch * R + y) * R + x;
          const cond = predictions[i]!;
          const uncond = predictions[B * image + i]!;
          let g: number;
          if (method === 'csd') {
            g = w * guidanceScale * (cond - uncond);
          } else {
            const reference = method === 'asd' ? predictions[2 * B * image + i]! : noise[i]!;
            g = w * (uncond + guidanceScale * (cond - uncond) - reference);
          }
          g = nanToNum(Math.fround(g));
          squares += g * g;
          // The adjoint of the bilinear upsampling: g goes back to the four source texels with their weights.
          const x0 = rows[3 * x]!;
          const x1 = rows[3 * x + 1]!;
          const lx = rows[3 * x + 2]!;
          const d = toRgb * g;
          upstream[y0 + x0] = upstream[y0 + x0]! + (1 - ly) * (1 - lx) * d;
          upstream[y0 + x1] = upstream[y0 + x1]! + (1 - ly) * lx * d;
          upstream[y1 + x0] = upstream[y1 + x0]! + ly * (1 - lx) * d;
          upstream[y1 + x1] = upstream[y1 + x1]! + ly * lx * d;
        }
      }
    }
    losses[b] = 0.5 * squares;
  }
  return losses;
}
