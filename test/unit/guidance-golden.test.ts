/**
 * The guidance step's CPU twin and host arithmetic vs guidance.py (models/golden/guidance.json, written by
 * `python3 -m training.distill.golden_guidance`): timestep ranges and ASD's shift, the prior's input rows, and the
 * gradient of the surrogate loss w.r.t. the render, for ASD, SDS and CSD, with and without upsampling.
 */
import { describe, expect, test } from 'vitest';
import { guidanceGradientCpu, noisySamplesCpu } from '../../src/kernels/guidance-cpu.js';
import {
  annealedTimestepRange,
  asdShiftedTimestep,
  checkGuidanceParameters,
  checkGuidanceSizes,
  FLOAT32_MAX,
  guidanceCoefficients,
  predictionsPerImage,
  unetTimesteps,
} from '../../src/kernels/guidance-options.js';
import { loadGoldenGuidance } from '../fixtures/golden-guidance.js';
import { maxAbsError, relativeError } from '../fixtures/array-errors.js';

const golden = loadGoldenGuidance();
const T = golden.shift.num_train_timesteps;

describe('host arithmetic vs guidance.py', () => {
  test('annealed [T_min, T_max] (int() truncation included)', () => {
    for (const { progress, t_min, t_max } of golden.annealed) {
      expect(annealedTimestepRange(progress, T), `progress ${progress}`).toEqual({ min: t_min, max: t_max });
    }
  });

  test("ASD's shifted timestep t + dt, dt = floor(u eta (t - T_min)), for 512 draws", () => {
    let count = 0;
    for (const { t_min, eta, t, u, shifted } of golden.shift.cases) {
      t.forEach((tb, i) => {
        expect(asdShiftedTimestep(u[i]!, eta, tb, t_min, T), `t ${tb} u ${u[i]} eta ${eta}`).toBe(shifted[i]);
        count++;
      });
    }
    expect(count).toBe(512);
  });
});

describe.each(golden.cases.map((c, i) => [`${c.method} #${i} (B ${c.sizes.batch}, ` +
  `${c.sizes.renderResolution} -> ${c.sizes.priorResolution})`, c] as const))('%s vs guidance.py', (_, c) => {
  const shifted = c.method === 'asd' ? c.timesteps.map((t, b) => asdShiftedTimestep(c.shiftU[b]!, c.eta, t, c.tMin, T))
    : null;
  const coefficients = guidanceCoefficients(c.method, golden.alphasCumprod, c.timesteps, shifted);

  test('timestep range, shifted timesteps and the prior rows\' timesteps', () => {
    expect(annealedTimestepRange(c.progress, T)).toEqual({ min: c.tMin, max: c.tMax });
    expect(shifted).toEqual(c.shiftedTimesteps);
    expect(Array.from(unetTimesteps(c.method, c.timesteps, shifted))).toEqual(Array.from(c.unetTimesteps));
  });

  test('noisy samples x_t (and x_{t+dt}) fed to the prior', () => {
    const samples = noisySamplesCpu(c.method, c.sizes, c.rgb, c.noise, coefficients);
    expect(samples.length).toBe(predictionsPerImage(c.method) * c.noise.length);
    expect(maxAbsError(samples, c.samples)).toBeLessThan(1e-6);
  });

  test('dL/drgb and the loss from the predictions', () => {
    const upstream = new Float32Array(c.rgb.length);
    const losses = guidanceGradientCpu(c.method, c.sizes, c.guidanceScale, c.predictions, c.noise, coefficients,
      upstream);
    const error = relativeError(upstream, c.gradRgb);
    const loss = losses.reduce((a, b) => a + b, 0) / c.sizes.batch;
    console.log(`${c.method}: dL/drgb relative error ${error.toExponential(2)}, loss ${loss} vs ${c.loss}`);
    expect(error).toBeLessThan(1e-5);
    expect(Math.abs(loss - c.loss) / c.loss).toBeLessThan(1e-5);
  });
});

describe('edge cases', () => {
  const sizes = { batch: 1, renderResolution: 1, priorResolution: 2 };
  const coefficients = guidanceCoefficients('sds', golden.alphasCumprod, [500], null);

  test('nan_to_num: NaN -> 0 and +-Inf -> +-FLT_MAX before the sums, as torch does', () => {
    const predictions = new Float32Array(2 * 12).fill(0);
    predictions[0] = NaN; // channel 0: one NaN among four zeros -> 0
    predictions[4] = Infinity; // channel 1: +Inf in the conditional prediction -> +FLT_MAX
    predictions[8] = -Infinity; // channel 2
    const upstream = new Float32Array(3);
    guidanceGradientCpu('sds', sizes, 100, predictions, new Float32Array(12), coefficients, upstream);
    expect(upstream[0]).toBe(0);
    expect(upstream[1]).toBe(Math.fround(2 * FLOAT32_MAX));
    expect(upstream[2]).toBe(-upstream[1]!);
  });

  test('bad sizes and parameters name the parameter and its range', () => {
    expect(() => checkGuidanceSizes({ batch: 0, renderResolution: 8, priorResolution: 64 })).toThrow(/batch.*\[1, 64\]/);
    expect(() => checkGuidanceSizes({ batch: 1, renderResolution: 24, priorResolution: 64 })).toThrow(
      /renderResolution.*divides priorResolution \(64\)/,
    );
    expect(checkGuidanceSizes({ batch: 1, renderResolution: 32, priorResolution: 64 })).toBe(2);
    expect(() => checkGuidanceParameters('vsd', 7.5)).toThrow(/method must be one of asd, sds, csd/);
    expect(() => checkGuidanceParameters('asd', 201)).toThrow(/guidanceScale must be in \[0, 200\]/);
    expect(() => checkGuidanceParameters('asd', NaN)).toThrow(/guidanceScale/);
    expect(() => checkGuidanceParameters('asd', 7.5, 1.5)).toThrow(/eta must be in \[0, 1\]/);
    expect(() => noisySamplesCpu('asd', sizes, new Float32Array(2), new Float32Array(12), coefficients)).toThrow(/rgb/);
  });
});
