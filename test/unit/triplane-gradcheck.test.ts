// Finite-difference checks of the CPU backward passes on a tiny random field, in float64 throughout so that central
// differences are accurate to ~1e-9: the point decoder (planes, decoder, point coordinates) and the renderer (planes
// and decoder, including the path through the normal probes and the depth).
import { describe, expect, test } from 'vitest';
import type { OrbitCamera } from '../../src/kernels/camera.js';
import { CpuTriplaneField, decodeTriplaneBackwardCpu, decodeTriplaneCpu } from '../../src/kernels/triplane-cpu.js';
import { decoderLayout, planesLength, type TriplaneShape } from '../../src/kernels/triplane-layout.js';
import { CpuVolsdfRenderer } from '../../src/kernels/volsdf-cpu.js';
import { lcg, uniformArray } from '../fixtures/random.js';

const SHAPE: TriplaneShape = { channels: 3, resolution: 5, hidden: 6 };
const STEP = 1e-5;

function tinyField(seed: number, decoderRange = 0.6): CpuTriplaneField {
  const planes = uniformArray(Float64Array, planesLength(SHAPE), seed, -0.3, 0.3);
  const decoder = uniformArray(Float64Array, decoderLayout(SHAPE).length, seed + 1, -decoderRange, decoderRange);
  return new CpuTriplaneField(SHAPE, planes, decoder);
}

/** Central difference of `loss` w.r.t. `array[index]`, restoring the value afterwards. */
function centralDifference(array: Float64Array, index: number, loss: () => number): number {
  const saved = array[index]!;
  array[index] = saved + STEP;
  const plus = loss();
  array[index] = saved - STEP;
  const minus = loss();
  array[index] = saved;
  return (plus - minus) / (2 * STEP);
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Every `stride`-th index, so that each tensor is probed at a spread of entries. */
function probeIndices(length: number, count: number): number[] {
  const stride = Math.max(1, Math.floor(length / count));
  return Array.from({ length: Math.min(count, length) }, (_, i) => (i * stride + 1) % length);
}

function expectGradient(analytic: number, numeric: number, scale: number, label: string): void {
  expect(Math.abs(analytic - numeric), label).toBeLessThanOrEqual(1e-6 * scale + 1e-7);
}

describe('finite differences', () => {
  test('point decoder: planes, decoder and point coordinates', () => {
    const field = tinyField(11);
    const n = 24;
    const points = uniformArray(Float64Array, 3 * n, 12, -1.05, 1.05); // a few beyond the border
    const upSdf = uniformArray(Float64Array, n, 13);
    const upAlbedo = uniformArray(Float64Array, 3 * n, 14);
    const sdf = new Float64Array(n);
    const albedo = new Float64Array(3 * n);
    const loss = (): number => {
      decodeTriplaneCpu(field, points, sdf, albedo);
      return dot(sdf, upSdf) + dot(albedo, upAlbedo);
    };
    const gradPlanes = new Float64Array(field.planes.length);
    const gradDecoder = new Float64Array(field.decoder.length);
    const gradPoints = new Float64Array(3 * n);
    decodeTriplaneBackwardCpu(field, points, upSdf, upAlbedo, { planes: gradPlanes, decoder: gradDecoder }, gradPoints);
    const scale = Math.max(...gradDecoder.map(Math.abs));
    for (const i of probeIndices(gradPlanes.length, 40)) {
      expectGradient(gradPlanes[i]!, centralDifference(field.planes as Float64Array, i, loss), scale, `planes[${i}]`);
    }
    for (const i of probeIndices(gradDecoder.length, 60)) {
      const numeric = centralDifference(field.decoder as Float64Array, i, loss);
      expectGradient(gradDecoder[i]!, numeric, scale, `decoder[${i}]`);
    }
    for (let i = 0; i < 3 * n; i++) {
      expectGradient(gradPoints[i]!, centralDifference(points, i, loss), scale, `points[${i}]`);
    }
  });

  test('renderer: planes and decoder, through compositing, depth and the normal probes', () => {
    const field = tinyField(21, 0.3);
    const renderer = new CpuVolsdfRenderer(field, { width: 5, height: 4, samples: 12, beta: 0.1,
      background: [0.3, 0.5, 0.7] });
    const camera: OrbitCamera = { azimuth: 30, elevation: 15, distance: 2.9, fov: 30 };
    const next = lcg(22);
    const jitter = Float64Array.from({ length: 5 * 4 * 12 }, next);
    const upstream = uniformArray(Float64Array, 3 * 5 * 4, 23);
    const image = {
      pixels: new Float64Array(3 * 20),
      opacity: new Float64Array(20),
      depth: new Float64Array(20),
    };
    const loss = (): number => dot(renderer.render(camera, jitter, image).pixels, upstream);
    loss();
    // The case must exercise partial opacity (edges of the shape), not only opaque or empty pixels.

    expect(image.opacity.some((a) => a > 0.05 && a < 0.95)).toBe(true);

    const gradPlanes = new Float64Array(field.planes.length);
    const gradDecoder = new Float64Array(field.decoder.length);
    renderer.backward(camera, upstream, { planes: gradPlanes, decoder: gradDecoder }, jitter);
    const scale = Math.max(...gradDecoder.map(Math.abs), ...gradPlanes.map(Math.abs));
    for (const i of probeIndices(gradPlanes.length, 60)) {
      expectGradient(gradPlanes[i]!, centralDifference(field.planes as Float64Array, i, loss), scale, `planes[${i}]`);
    }
    for (const i of probeIndices(gradDecoder.length, 60)) {
      const numeric = centralDifference(field.decoder as Float64Array, i, loss);
      expectGradient(gradDecoder[i]!, numeric, scale, `decoder[${i}]`);
    }

    // Without a decoder target, the planes' gradient is unchanged.
    const planesOnly = new Float64Array(field.planes.length);
    renderer.backward(camera, upstream, { planes: planesOnly, decoder: null }, jitter);
    expect(Array.from(planesOnly)).toEqual(Array.from(gradPlanes));
  });
});
