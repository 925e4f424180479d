/**
 * CpuTriplaneDecoder (src/kernels/triplane-decode-cpu.ts), the batched forward pass that meshing uses, against the
 * golden vectors and against the reference twin CpuTriplaneField: the same maths, reassociated.
 */
import { describe, expect, test } from 'vitest';
import { CpuTriplaneField } from '../../src/kernels/triplane-cpu.js';
import { CpuTriplaneDecoder } from '../../src/kernels/triplane-decode-cpu.js';
import { decoderLayout, planesLength, type TriplaneShape } from '../../src/kernels/triplane-layout.js';
import { loadGoldenTriplane } from '../fixtures/golden-triplane.js';
import { uniformArray } from '../fixtures/random.js';
import { maxAbsError } from '../fixtures/array-errors.js';

/** SDF and albedo from the reference twin, point by point, in float64. */
function reference(field: CpuTriplaneField, points: Float64Array): { sdf: Float64Array; albedo: Float64Array } {
  const n = points.length / 3;
  const act = new Float64Array(field.slotSize);
  const sdf = new Float64Array(n);
  const albedo = new Float64Array(3 * n);
  for (let i = 0; i < n; i++) {
    sdf[i] = field.forward(points[3 * i]!, points[3 * i + 1]!, points[3 * i + 2]!, act, 0);
    albedo.set(act.subarray(field.sdfOffset + 1, field.sdfOffset + 4), 3 * i);
  }
  return { sdf, albedo };
}

describe('CpuTriplaneDecoder', () => {
  test('sdf and albedo at the golden points (some outside the cube) within 1e-5', () => {
    const golden = loadGoldenTriplane();
    const decoder = new CpuTriplaneDecoder(golden.shape, golden.planes, golden.decoder);
    const n = golden.points.length / 3;
    const sdf = new Float64Array(n);
    const albedo = new Float64Array(3 * n);
    decoder.decode(golden.points, n, sdf, albedo);
    expect(maxAbsError(sdf, golden.sdf)).toBeLessThan(1e-5);
    expect(maxAbsError(albedo, golden.albedo)).toBeLessThan(1e-5);
  });

  test.each<[string, TriplaneShape]>([
    ['the default pack\'s sizes', { channels: 16, resolution: 64, hidden: 32 }],
    ['odd sizes (H not a multiple of 4)', { channels: 3, resolution: 5, hidden: 7 }],
  ])('equals the reference twin to 1e-12 with %s, inside, outside and on the border of the cube', (_, shape) => {
    const planes = uniformArray(Float32Array, planesLength(shape), 1, -0.5, 0.5);
    const weights = uniformArray(Float32Array, decoderLayout(shape).length, 2, -0.6, 0.6);
    const points = uniformArray(Float64Array, 3 * 2000, 3, -1.2, 1.2);
    points.set([-1, -1, -1, 1, 1, 1, 1, -1, 0.5, Number.NaN, 0, 0]);
    const expected = reference(new CpuTriplaneField(shape, planes, weights), points);
    const decoder = new CpuTriplaneDecoder(shape, planes, weights);
    const sdf = new Float64Array(points.length / 3);
    const albedo = new Float64Array(points.length);
    decoder.decode(points, points.length / 3, sdf, albedo);
    expect(maxAbsError(sdf.subarray(0, 3), expected.sdf.subarray(0, 3))).toBeLessThan(1e-12);
    // The NaN point: NaN in the sphere bias, like the twin.
    expect(sdf[3]).toBeNaN();
    expect(maxAbsError(sdf.subarray(4), expected.sdf.subarray(4))).toBeLessThan(1e-12);
    expect(maxAbsError(albedo, expected.albedo)).toBeLessThan(1e-12);
    // SDF only: the same values, the albedo untouched.
    const sdfOnly = new Float64Array(points.length / 3);
    decoder.decode(points, 10, sdfOnly);
    expect(Array.from(sdfOnly.subarray(0, 10))).toEqual(Array.from(sdf.subarray(0, 10)));
    expect(sdfOnly[10]).toBe(0);
  });

  test('rejects planes or weights of the wrong length, naming them', () => {
    const golden = loadGoldenTriplane();
    expect(() => new CpuTriplaneDecoder(golden.shape, new Float32Array(5), golden.decoder)).toThrow(/planes/);
    expect(() => new CpuTriplaneDecoder(golden.shape, golden.planes, new Float32Array(5))).toThrow(/decoder/);
  });
});
