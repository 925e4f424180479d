// The renderer's kept forward (volsdf-tape-cpu.ts): backwardFromTape gives the re-tracing backward's planes gradient
// bit for bit, on a tiny random field with jitter, partial opacity and rays that miss the cube, with one tape reused
// (and grown) across cameras; and a tape that is empty, consumed, foreign or stale throws instead of being used.
import { describe, expect, test } from 'vitest';
import type { OrbitCamera } from '../../src/kernels/camera.js';
import { CpuTriplaneField } from '../../src/kernels/triplane-cpu.js';
import { decoderLayout, planesLength, type TriplaneShape } from '../../src/kernels/triplane-layout.js';
import { CpuVolsdfRenderer } from '../../src/kernels/volsdf-cpu.js';
import { VolsdfTape } from '../../src/kernels/volsdf-tape-cpu.js';
import { uniformArray } from '../fixtures/random.js';

const SHAPE: TriplaneShape = { channels: 4, resolution: 7, hidden: 9 };
const WIDTH = 7;
const HEIGHT = 6;
const SAMPLES = 13;
const OPTIONS = { width: WIDTH, height: HEIGHT, samples: SAMPLES, beta: 0.1, background: [0.3, 0.5, 0.7] } as const;
/** Wide enough that the corner rays miss the cube, and one narrow enough that every ray hits it. */
const WIDE: OrbitCamera = { azimuth: 30, elevation: 15, distance: 2.9, fov: 75 };
const NARROW: OrbitCamera = { azimuth: 200, elevation: -8, distance: 2.7, fov: 40 };

function randomField(seed: number): CpuTriplaneField {
  const planes = uniformArray(Float64Array, planesLength(SHAPE), seed, -0.3, 0.3);
  const decoder = uniformArray(Float64Array, decoderLayout(SHAPE).length, seed + 1, -0.3, 0.3);
  return new CpuTriplaneField(SHAPE, planes, decoder);
}

/** The float64 values' bit patterns, so that equality is exact (signed zeros and NaN payloads included). */
function bits(values: Float64Array): BigUint64Array {
  return new BigUint64Array(values.buffer, values.byteOffset, values.length);
}

function planesTargets(field: CpuTriplaneField): { planes: Float64Array; decoder: null } {
  return { planes: new Float64Array(field.planes.length), decoder: null };
}

describe('backwardFromTape', () => {
  test("equals the re-tracing backward's planes gradient bit for bit, with one tape over several cameras", () => {
    const field = randomField(41);
    const renderer = new CpuVolsdfRenderer(field, OPTIONS);
    const tape = new VolsdfTape();
    const cases: [OrbitCamera, number][] = [[WIDE, 42], [NARROW, 45], [WIDE, 48]];
    for (const [camera, seed] of cases) {
      const jitter = uniformArray(Float32Array, WIDTH * HEIGHT * SAMPLES, seed, 0, 1);
      const upstream = uniformArray(Float64Array, 3 * WIDTH * HEIGHT, seed + 1);
      const plain = renderer.render(camera, jitter);
      const kept = renderer.render(camera, jitter, undefined, tape);
      expect(kept).toEqual(plain);
      expect(tape.filled).toBe(true);

      const retraced = planesTargets(field);
      renderer.backward(camera, upstream, retraced, jitter);
      const fromTape = planesTargets(field);
      renderer.backwardFromTape(tape, upstream, fromTape);
      expect(tape.filled).toBe(false);
      expect(bits(fromTape.planes)).toEqual(bits(retraced.planes));
      expect(fromTape.planes.some((g) => g !== 0)).toBe(true);
    }
  });

  test('the case has partial opacity and rays that miss the cube, and the tape keeps only the hits', () => {
    const field = randomField(41);
    const renderer = new CpuVolsdfRenderer(field, OPTIONS);
    const tape = new VolsdfTape();
    const wide = renderer.render(WIDE, null, undefined, tape);
    expect(wide.opacity.some((a) => a === 0)).toBe(true);
    expect(wide.opacity.some((a) => a > 0.05 && a < 0.95)).toBe(true);
    const hits = wide.opacity.filter((a) => a > 0).length;
    const narrowTape = new VolsdfTape();
    const narrow = renderer.render(NARROW, null, undefined, narrowTape);
    expect(narrow.opacity.every((a) => a > 0)).toBe(true);
    // The memory is linear in the hits, over a fixed part (per-ray slots and the camera frame).
    const perRay = (narrowTape.byteLength - tape.byteLength) / (WIDTH * HEIGHT - hits);
    expect(perRay).toBeGreaterThan(0);
    expect(tape.byteLength - hits * perRay).toBeLessThan(4 * WIDTH * HEIGHT + 1024);
  });

  test('the field may be rendered from other cameras between the render and its backward', () => {
    const field = randomField(51);
    const renderer = new CpuVolsdfRenderer(field, OPTIONS);
    const tape = new VolsdfTape();
    const upstream = uniformArray(Float64Array, 3 * WIDTH * HEIGHT, 52);
    renderer.render(WIDE, null, undefined, tape);
    renderer.render(NARROW);
    const fromTape = planesTargets(field);
    renderer.backwardFromTape(tape, upstream, fromTape);
    const retraced = planesTargets(field);
    renderer.backward(WIDE, upstream, retraced);
    expect(bits(fromTape.planes)).toEqual(bits(retraced.planes));
  });
});

describe('misuse', () => {
  const upstream = uniformArray(Float64Array, 3 * WIDTH * HEIGHT, 61);

  test('an empty tape, or one that a backward already used, throws', () => {
    const field = randomField(62);
    const renderer = new CpuVolsdfRenderer(field, OPTIONS);
    const tape = new VolsdfTape();
    expect(() => renderer.backwardFromTape(tape, upstream, planesTargets(field))).toThrow(/holds no forward/);
    renderer.render(WIDE, null, undefined, tape);
    renderer.backwardFromTape(tape, upstream, planesTargets(field));
    expect(() => renderer.backwardFromTape(tape, upstream, planesTargets(field))).toThrow(
      /render\(camera, jitter, out, tape\) before each backwardFromTape\(\)/,
    );
  });

  test("another renderer's tape throws, even on the same field", () => {
    const field = randomField(63);
    const renderer = new CpuVolsdfRenderer(field, OPTIONS);
    const other = new CpuVolsdfRenderer(field, { ...OPTIONS, background: [0, 0, 0] });
    const tape = new VolsdfTape();
    renderer.render(WIDE, null, undefined, tape);
    expect(() => other.backwardFromTape(tape, upstream, planesTargets(field))).toThrow(/another renderer's forward/);
  });

  test('a change of the planes or the decoder since the render throws; a new render makes the tape usable', () => {
    const field = randomField(64);
    const renderer = new CpuVolsdfRenderer(field, OPTIONS);
    const tape = new VolsdfTape();
    const planes = field.planes as Float64Array;
    const decoder = field.decoder as Float64Array;
    for (const [array, index] of [[planes, 17], [decoder, 5]] as const) {
      renderer.render(WIDE, null, undefined, tape);
      array[index] = array[index]! + 1e-3;
      expect(() => renderer.backwardFromTape(tape, upstream, planesTargets(field))).toThrow(
        /planes or decoder changed since the tape's render\(\)/,
      );
      // Stale: it stays unusable until the next render.
      expect(() => renderer.backwardFromTape(tape, upstream, planesTargets(field))).toThrow(/changed since/);
    }
    renderer.render(WIDE, null, undefined, tape);
    const retraced = planesTargets(field);
    renderer.backward(WIDE, upstream, retraced);
    const fromTape = planesTargets(field);
    renderer.backwardFromTape(tape, upstream, fromTape);
    expect(bits(fromTape.planes)).toEqual(bits(retraced.planes));
  });

  test('decoder targets and wrong lengths fail up front, leaving the tape filled', () => {
    const field = randomField(65);
    const renderer = new CpuVolsdfRenderer(field, OPTIONS);
    const tape = new VolsdfTape();
    renderer.render(WIDE, null, undefined, tape);
    const withDecoder = { planes: null, decoder: new Float64Array(field.decoder.length) };
    expect(() => renderer.backwardFromTape(tape, upstream, withDecoder)).toThrow(RangeError);
    expect(() => renderer.backwardFromTape(tape, upstream, withDecoder)).toThrow(/targets\.decoder must be null/);
    expect(() => renderer.backwardFromTape(tape, upstream.subarray(1), planesTargets(field))).toThrow(
      /upstream must hold/,
    );
    expect(tape.filled).toBe(true);
  });
});
