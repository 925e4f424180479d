// A renderer that owns a band of rows (option `rows`) traces exactly the whole image's rays for those rows: the same
// pixels bit for bit, and band gradients (re-traced or from tapes) that add up to the whole image's.
import { describe, expect, test } from 'vitest';
import type { OrbitCamera } from '../../src/kernels/camera.js';
import { CpuTriplaneField } from '../../src/kernels/triplane-cpu.js';
import { decoderLayout, planesLength, type TriplaneShape } from '../../src/kernels/triplane-layout.js';
import { CpuVolsdfRenderer } from '../../src/kernels/volsdf-cpu.js';
import { VolsdfTape } from '../../src/kernels/volsdf-tape-cpu.js';
import { uniformArray } from '../fixtures/random.js';

const SHAPE: TriplaneShape = { channels: 4, resolution: 7, hidden: 9 };
const W = 7;
const H = 6;
const S = 13;
const OPTIONS = { width: W, height: H, samples: S, beta: 0.1, background: [0.3, 0.5, 0.7] } as const;
const CAMERA: OrbitCamera = { azimuth: 30, elevation: 15, distance: 2.9, fov: 75 };
const BANDS: [number, number][] = [[0, 2], [2, 5], [5, 6]];

const field = new CpuTriplaneField(SHAPE, uniformArray(Float64Array, planesLength(SHAPE), 7, -0.3, 0.3),
  uniformArray(Float64Array, decoderLayout(SHAPE).length, 8, -0.3, 0.3));
const jitter = uniformArray(Float32Array, W * H * S, 9, 0, 1);
const upstream = uniformArray(Float64Array, 3 * W * H, 10);

/** Rows [start, end) of a `[channels, H, W]` array. */
function rowsOf(values: ArrayLike<number>, channels: number, [start, end]: [number, number]): number[] {
  const out: number[] = [];
  for (let c = 0; c < channels; c++) {
    for (let i = (c * H + start) * W; i < (c * H + end) * W; i++) out.push(values[i]!);
  }
  return out;
}

describe('row bands', () => {
  const whole = new CpuVolsdfRenderer(field, OPTIONS).render(CAMERA, jitter);
  const wholeGradient = new Float64Array(field.planes.length);
  new CpuVolsdfRenderer(field, OPTIONS).backward(CAMERA, upstream, { planes: wholeGradient, decoder: null }, jitter);

  test.each([false, true])('bands render the whole image bit for bit, and their gradients add up (tape: %s)',
    (withTape) => {
      const summed = new Float64Array(field.planes.length);
      for (const band of BANDS) {
        const renderer = new CpuVolsdfRenderer(field, { ...OPTIONS, rows: band });
        const bandJitter = jitter.subarray(band[0] * W * S, band[1] * W * S);
        const bandUpstream = Float64Array.from(rowsOf(upstream, 3, band));
        const tape = new VolsdfTape();
        const image = renderer.render(CAMERA, bandJitter, undefined, withTape ? tape : undefined);
        expect(Array.from(image.pixels)).toEqual(rowsOf(whole.pixels, 3, band));
        expect(Array.from(image.opacity)).toEqual(rowsOf(whole.opacity, 1, band));
        expect(Array.from(image.depth)).toEqual(rowsOf(whole.depth, 1, band));
        if (withTape) renderer.backwardFromTape(tape, bandUpstream, { planes: summed, decoder: null });
        else renderer.backward(CAMERA, bandUpstream, { planes: summed, decoder: null }, bandJitter);
      }
      const scale = Math.max(...wholeGradient.map(Math.abs));
      expect(scale).toBeGreaterThan(0);
      for (let i = 0; i < summed.length; i++) expect(Math.abs(summed[i]! - wholeGradient[i]!)).toBeLessThan(1e-12 * scale);
    });

  test('arrays are the band\'s size, and a bad band is refused', () => {
    const renderer = new CpuVolsdfRenderer(field, { ...OPTIONS, rows: [2, 5] });
    expect(renderer.rows).toEqual([2, 5]);
    expect(() => renderer.render(CAMERA, jitter)).toThrow(/jitter must hold width \* rows \* samples = 273/);
    expect(() => renderer.backward(CAMERA, upstream, { planes: new Float64Array(field.planes.length), decoder: null }))
      .toThrow(/upstream must hold 3 \* 3 \* 7 = 63 floats/);
    for (const rows of [[0, 0], [-1, 2], [3, 7], [1.5, 3]] as [number, number][]) {
      expect(() => new CpuVolsdfRenderer(field, { ...OPTIONS, rows })).toThrow(/rows must be \[start, end\) with 0 <= start < end <= height 6/);
    }
  });
});
