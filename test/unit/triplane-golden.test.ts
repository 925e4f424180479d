import { describe, expect, test } from 'vitest';
import { CpuTriplaneField, decodeTriplaneBackwardCpu, decodeTriplaneCpu } from '../../src/kernels/triplane-cpu.js';
import { decoderLayout, DECODER_TENSOR_NAMES } from '../../src/kernels/triplane-layout.js';
import { CpuVolsdfRenderer } from '../../src/kernels/volsdf-cpu.js';
import { loadGoldenTriplane } from '../fixtures/golden-triplane.js';
import { maxAbsError, relativeError } from '../fixtures/array-errors.js';

const golden = loadGoldenTriplane();
const field = new CpuTriplaneField(golden.shape, golden.planes, golden.decoder);

describe('triplane field vs models/golden/triplane.json', () => {
  test('sdf and albedo at the golden points (some outside the cube)', () => {
    const n = golden.points.length / 3;
    const sdf = new Float32Array(n);
    const albedo = new Float32Array(3 * n);
    decodeTriplaneCpu(field, golden.points, sdf, albedo);
    expect(maxAbsError(sdf, golden.sdf)).toBeLessThan(1e-5);
    expect(maxAbsError(albedo, golden.albedo)).toBeLessThan(1e-5);
  });

  test('rejects arrays of the wrong length, naming them', () => {
    expect(() => decodeTriplaneCpu(field, new Float32Array(4), new Float32Array(1), new Float32Array(3))).toThrow(
      /points/,
    );
    expect(() => decodeTriplaneCpu(field, new Float32Array(3), new Float32Array(2), new Float32Array(3))).toThrow(
      /sdf/,
    );
    expect(() => new CpuTriplaneField(golden.shape, new Float32Array(5), golden.decoder)).toThrow(/planes/);
    expect(() => new CpuTriplaneField({ ...golden.shape, resolution: 1 }, golden.planes, golden.decoder)).toThrow(
      /shape.resolution/,
    );
  });
});

describe('VolSDF renderer vs models/golden/triplane.json', () => {
  const renderer = new CpuVolsdfRenderer(field, {
    width: golden.resolution,
    height: golden.resolution,
    samples: golden.samples,
    beta: golden.beta,
    background: golden.background,
  });

  test('pixels, opacity and depth', () => {
    const image = renderer.render(golden.camera);
    // Float64 arithmetic on float32 tensors: the errors left (~1e-6) are the golden file's 7-decimal rounding.
    expect(maxAbsError(image.pixels, golden.pixels)).toBeLessThan(1e-5);
    expect(maxAbsError(image.opacity, golden.opacity)).toBeLessThan(1e-5);
    expect(maxAbsError(image.depth, golden.depth)).toBeLessThan(1e-5);
  });

  test('gradients of sum(pixels * upstream) w.r.t. the planes and every decoder tensor', () => {
    const gradPlanes = new Float64Array(golden.planes.length);
    const gradDecoder = new Float64Array(golden.decoder.length);
    renderer.backward(golden.camera, golden.upstream, { planes: gradPlanes, decoder: gradDecoder });
    expect(relativeError(gradPlanes, golden.gradPlanes)).toBeLessThan(1e-4);
    const layout = decoderLayout(golden.shape);
    const offsets = [layout.fc1Weight, layout.fc1Bias, layout.fc2Weight, layout.fc2Bias, layout.outWeight,
      layout.outBias, layout.length];
    DECODER_TENSOR_NAMES.forEach((name, i) => {
      const range = [offsets[i]!, offsets[i + 1]!] as const;
      const error = relativeError(gradDecoder.subarray(...range), golden.gradDecoder.subarray(...range));
      expect(error, name).toBeLessThan(1e-4);
    });
  });
});
