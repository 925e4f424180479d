// The batched field (the renderer's hot path) against the point-at-a-time twin: same SDF, albedo and gradients up to
// float64 rounding, on a shape whose sizes are not multiples of the kernels' blocks and an odd batch.
import { describe, expect, test } from 'vitest';
import { BatchGradients, CpuTriplaneBatchField, FieldBatch } from '../../src/kernels/triplane-batch-cpu.js';
import { CpuTriplaneField } from '../../src/kernels/triplane-cpu.js';
import { decoderLayout, planesLength, type TriplaneShape } from '../../src/kernels/triplane-layout.js';
import { uniformArray } from '../fixtures/random.js';

const SHAPE: TriplaneShape = { channels: 5, resolution: 6, hidden: 7 };
const COUNT = 9;

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

describe('CpuTriplaneBatchField', () => {
  const field = new CpuTriplaneField(SHAPE, uniformArray(Float64Array, planesLength(SHAPE), 31, -0.5, 0.5),
    uniformArray(Float64Array, decoderLayout(SHAPE).length, 32, -0.8, 0.8));
  // Some points outside the cube, where the taps clamp.
  const points = uniformArray(Float64Array, 3 * COUNT, 33, -1.2, 1.2);
  const dSdf = uniformArray(Float64Array, COUNT, 34, -1, 1);
  const dAlbedo = uniformArray(Float64Array, 3 * COUNT, 35, -1, 1);

  test('matches CpuTriplaneField forward and backward', () => {
    const batchField = new CpuTriplaneBatchField(field, COUNT);
    const batch = new FieldBatch(COUNT, SHAPE);
    batch.points.set(points);
    batchField.load();
    batchField.forward(batch, COUNT);
    const gradients = new BatchGradients(SHAPE);
    const batchTargets = {
      planes: new Float64Array(field.planes.length),
      decoder: new Float64Array(field.decoder.length),
    };
    gradients.reset(batchTargets);
    const dPoints = new Float64Array(3 * COUNT);
    batchField.backward(batch, COUNT, dSdf, dAlbedo, gradients, dPoints);
    gradients.addTo(batchTargets);

    const act = new Float64Array(field.slotSize);
    const targets = { planes: new Float64Array(field.planes.length), decoder: new Float64Array(field.decoder.length) };
    const dPoint = new Float64Array(3);
    for (let p = 0; p < COUNT; p++) {
      const [x, y, z] = [points[3 * p]!, points[3 * p + 1]!, points[3 * p + 2]!];
      expect(field.forward(x, y, z, act, 0)).toBe(batch.sdf[p]);
      expect(Array.from(act.subarray(field.sdfOffset + 1, field.sdfOffset + 4))).toEqual(
        Array.from(batch.albedo.subarray(3 * p, 3 * p + 3)));
      dPoint.fill(0);
      field.backward(x, y, z, act, 0, dSdf[p]!, dAlbedo[3 * p]!, dAlbedo[3 * p + 1]!, dAlbedo[3 * p + 2]!, targets,
        dPoint);
      expect(maxAbsDifference(dPoint, dPoints.subarray(3 * p, 3 * p + 3))).toBeLessThan(1e-12);
    }
    expect(maxAbsDifference(batchTargets.planes, targets.planes)).toBeLessThan(1e-12);
    expect(maxAbsDifference(batchTargets.decoder, targets.decoder)).toBeLessThan(1e-12);
  });
});
