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
 * L = 0.5 sum((x - sg(x - g))^2) / B, has dL/dx = g / B, so dL/drgb = 2 g / B (DreamFusion's target trick).
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
} from './guidance-options.js';
import type { FloatArray } from './triplane-layout.js';

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
  for (let b = 0; b < B; b++) {
    const c = b * COEFFICIENTS_PER_IMAGE;
    const a = coefficients[c + COEF_SQRT_AB]!;
    const s = coefficients[c + COEF_SQRT_ONE_MINUS_AB]!;
    const a2 = coefficients[c + COEF_SQRT_AB_SHIFTED]!;
    const s2 = coefficients[c + COEF_SQRT_ONE_MINUS_AB_SHIFTED]!;
    for (let ch = 0; ch < 3; ch++) {
      for (let y = 0; y < R; y++) {
        const source = ((b * 3 + ch) * r + Math.floor(y / factor)) * r;
        for (let x = 0; x < R; x++) {
          const i = b * image + (ch * R + y) * R + x;
          const pixel = 2 * rgb[source + Math.floor(x / factor)]! - 1;
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
  for (let b = 0; b < B; b++) {
    const w = coefficients[b * COEFFICIENTS_PER_IMAGE + COEF_WEIGHT]!;
    let squares = 0;
    for (let ch = 0; ch < 3; ch++) {
      for (let y = 0; y < r; y++) {
        for (let x = 0; x < r; x++) {
          let sum = 0;
          for (let dy = 0; dy < factor; dy++) {
            for (let dx = 0; dx < factor; dx++) {
              const i = b * image + (ch * R + y * factor + dy) * R + x * factor + dx;
              const cond = predictions[i]!;
              const uncond = predictions[B * image + i]!;
              let g: number;
              if (method === 'csd') {
                g = w * guidanceScale * (cond - uncond);
              } else {
                const target = method === 'asd' ? predictions[2 * B * image + i]! : noise[i]!;
                g = w * (uncond + guidanceScale * (cond - uncond) - target);
              }
              g = nanToNum(Math.fround(g));
              squares += g * g;
              sum += g;
            }
          }
          upstream[((b * 3 + ch) * r + y) * r + x] = toRgb * sum;
        }
      }
    }
    losses[b] = 0.5 * squares;
  }
  return losses;
}
