/**
 * The refinement loop on the CPU kernels with a stand-in prior: options fail up front, the plan's rows and
 * timesteps follow the recipe, a seed reproduces a run, AbortSignal stops it, and an update moves the renders against
 * the guidance gradient (ASD, SDS, CSD).
 */
import { describe, expect, test } from 'vitest';
import { guidanceGradientCpu } from '../../src/kernels/guidance-cpu.js';
import { annealedTimestepRange, predictionsPerImage } from '../../src/kernels/guidance-options.js';
import { decoderLayout, planesLength } from '../../src/kernels/triplane-layout.js';
import { CpuRefineKernels } from '../../src/refine/cpu-kernels.js';
import { RefineRandom } from '../../src/refine/random.js';
import { resolveRefinementOptions, type RefinementOptions } from '../../src/refine/refine-options.js';
import { refineTriplane, type RefineProgress } from '../../src/refine/refine.js';
import { planRefineStep } from '../../src/refine/step-plan.js';
import { viewSuffix } from '../../src/refine/views.js';
import { ALPHAS_CUMPROD, ConstantImagePrior, PRIOR_RESOLUTION, T } from '../fixtures/constant-image-prior.js';
import { uniformArray } from '../fixtures/random.js';

const SHAPE = { channels: 4, resolution: 8, hidden: 8 };
const PLANES = uniformArray(Float32Array, planesLength(SHAPE), 1, -0.1, 0.1);
const DECODER = uniformArray(Float32Array, decoderLayout(SHAPE).length, 2, -0.3, 0.3);

function kernels(learningRate = 0.05, adamEpsilon?: number): CpuRefineKernels {
  return new CpuRefineKernels(SHAPE, PLANES, DECODER, { learningRate, ...(adamEpsilon ? { adamEpsilon } : {}) });
}

const SMALL: RefinementOptions = { resolution: 4, samples: 8, reportEvery: 1 };

describe('options', () => {
  const context = { priorResolution: 64, samples: 48 };
  test('defaults: ASD, 100 steps, eta 0.1, CFG 7.5 (SDS 100, CSD 1), the prior resolution, the decoder samples', () => {
    const resolved = resolveRefinementOptions({}, context);
    expect(resolved).toMatchObject({ method: 'asd', steps: 100, eta: 0.1, guidanceScale: 7.5, resolution: 64,
      samples: 48, seed: 0, viewsPerStep: 1, timesteps: 'annealed' });
    expect(resolveRefinementOptions({ method: 'sds' }, context).guidanceScale).toBe(100);
    expect(resolveRefinementOptions({ method: 'csd' }, context).guidanceScale).toBe(1);
  });

  test.each([
    [{ method: 'vsd' }, /options\.method must be one of asd, sds, csd, got "vsd"/],
    [{ steps: 0 }, /options\.steps must be an integer in \[1, 10000\], got 0/],
    [{ steps: 2.5 }, /options\.steps/],
    [{ eta: 1.5 }, /options\.eta must be in \[0, 1\], got 1.5/],
    [{ guidanceScale: -1 }, /options\.guidanceScale must be in \[0, 200\], got -1/],
    [{ guidanceScale: NaN }, /options\.guidanceScale/],
    [{ seed: -1 }, /options\.seed must be an integer in \[0, 4294967295\]/],
    [{ resolution: 24 }, /options\.resolution must divide the prior's resolution 64 \(one of 1, 2, 4, 8, 16, 32, 64\), got 24/],
    [{ samples: 0 }, /options\.samples must be an integer in \[1, 1024\]/],
    [{ learningRate: 0 }, /options\.learningRate must be in \(0, 1\], got 0/],
    [{ adamEpsilon: 0 }, /options\.adamEpsilon must be in \(0, 1\], got 0/],
    [{ adamEpsilon: NaN }, /options\.adamEpsilon/],
    [{ viewsPerStep: 9 }, /options\.viewsPerStep must be an integer in \[1, 8\]/],
    [{ reportEvery: 0 }, /options\.reportEvery/],
    [{ timesteps: [0.6, 0.2] }, /options\.timesteps must be 'annealed' or \[min, max\]/],
  ])('%j fails naming the option and its range', (options, message) => {
    expect(() => resolveRefinementOptions(options as RefinementOptions, context)).toThrow(RangeError);
    expect(() => resolveRefinementOptions(options as RefinementOptions, context)).toThrow(message);
  });

  test('a bad option fails before the prior or the kernels are touched', async () => {
    const prior = new ConstantImagePrior();
    await expect(refineTriplane({ kernels: kernels(), prior, samples: 8 }, 'a red barrel', { steps: -1 })).rejects
      .toThrow(/options\.steps/);
    await expect(refineTriplane({ kernels: kernels(), prior, samples: 8 }, '  ', {})).rejects.toThrow(/prompt/);
    expect(prior.prepared).toEqual([]);
  });
});

describe('step plan', () => {
  const schedule = { numTrainTimesteps: T, alphasCumprod: ALPHAS_CUMPROD, priorResolution: 8, unconditionalPrompt: '' };

  test('ASD rows: cond at t, uncond at t, cond at t + dt, each with its view camera', () => {
    const options = resolveRefinementOptions({ viewsPerStep: 2, resolution: 4, samples: 3 }, { priorResolution: 8,
      samples: 48 });
    const plan = planRefineStep(new RefineRandom(3), options, 'a red barrel', schedule, 0);
    const B = 2;
    expect(plan.prior.prompts).toHaveLength(3 * B);
    plan.views.forEach((view, b) => {
      expect(view.prompt).toBe(`a red barrel, ${viewSuffix(view.camera.azimuth, view.camera.elevation)}`);
      expect(plan.prior.prompts[b]).toBe(view.prompt);
      expect(plan.prior.prompts[B + b]).toBe('');
      expect(plan.prior.prompts[2 * B + b]).toBe(view.prompt);
      expect(plan.prior.timesteps[b]).toBe(plan.timesteps[b]);
      expect(plan.prior.timesteps[B + b]).toBe(plan.timesteps[b]);
      expect(plan.prior.timesteps[2 * B + b]).toBe(plan.shiftedTimesteps![b]);
      for (const k of [0, 1, 2]) {
        const camera = plan.prior.cameras.subarray((k * B + b) * 4, (k * B + b + 1) * 4);
        expect(camera[0]).toBeCloseTo(Math.sin((view.camera.azimuth * Math.PI) / 180), 6);
        expect(camera[2]).toBeCloseTo(view.camera.elevation / 90, 6);
      }
      expect(view.camera.elevation).toBeGreaterThanOrEqual(-10);
      expect(view.camera.elevation).toBeLessThan(45);
    });
    expect(plan.jitter).toHaveLength(B * 4 * 4 * 3);
    expect(plan.noise).toHaveLength(B * 3 * 8 * 8);
  });

  test('timesteps follow the annealed range (T_min 500 -> 20, T_max 980 -> 500) and t + dt <= t + eta (t - T_min)', () => {
    const options = resolveRefinementOptions({ steps: 50, viewsPerStep: 8, resolution: 1, samples: 1 },
      { priorResolution: 8, samples: 48 });
    const random = new RefineRandom(5);
    for (let step = 0; step < 50; step++) {
      const plan = planRefineStep(random, options, 'a barrel', schedule, step);
      const range = annealedTimestepRange(step / 50, T);
      expect(plan.timestepRange).toEqual(range);
      plan.timesteps.forEach((t, b) => {
        expect(t).toBeGreaterThanOrEqual(range.min);
        expect(t).toBeLessThanOrEqual(range.max);
        const t2 = plan.shiftedTimesteps![b]!;
        expect(t2).toBeGreaterThanOrEqual(t);
        expect(t2).toBeLessThanOrEqual(t + 0.1 * (t - range.min));
      });
    }
  });

  test('SDS and CSD have two rows per view and no shift', () => {
    for (const method of ['sds', 'csd'] as const) {
      const options = resolveRefinementOptions({ method, resolution: 2, samples: 2 }, { priorResolution: 8,
        samples: 48 });
      const plan = planRefineStep(new RefineRandom(1), options, 'a barrel', schedule, 0);
      expect(plan.prior.prompts).toHaveLength(predictionsPerImage(method));
      expect(plan.shiftedTimesteps).toBeNull();
    }
  });
});

describe('runs', () => {
  test('a seed reproduces a run; another seed does not', async () => {
    const run = async (seed: number) =>
      (await refineTriplane({ kernels: kernels(), prior: new ConstantImagePrior(), samples: 8 }, 'a barrel',
        { ...SMALL, steps: 3, seed })).planes;
    const a = await run(7);
    expect(Array.from(await run(7))).toEqual(Array.from(a));
    expect(Array.from(await run(8))).not.toEqual(Array.from(a));
  });

  test('progress every reportEvery steps and after the last, with the views and a finite loss', async () => {
    const seen: RefineProgress[] = [];
    const prior = new ConstantImagePrior();
    const result = await refineTriplane({ kernels: kernels(), prior, samples: 8 }, 'a barrel',
      { ...SMALL, steps: 7, reportEvery: 3, viewsPerStep: 2 }, { onProgress: (p) => void seen.push(p) });
    expect(seen.map((p) => p.step)).toEqual([3, 6, 7]);
    for (const p of seen) {
      expect(p.views).toHaveLength(2 * 3 * 4 * 4);
      expect(Number.isFinite(p.loss) && p.loss > 0).toBe(true);
      expect(p.steps).toBe(7);
    }
    expect(result.losses.map((l) => l.step)).toEqual([3, 6, 7]);
    expect(prior.calls).toHaveLength(7);
    expect(prior.prepared).toContain('a barrel, front view');
    expect(prior.prepared).toContain('');
  });

  test('an AbortSignal stops the run between steps with its reason', async () => {
    const controller = new AbortController();
    const prior = new ConstantImagePrior();
    const run = refineTriplane({ kernels: kernels(), prior, samples: 8 }, 'a barrel', { ...SMALL, steps: 50 }, {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.step === 2) controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(prior.calls).toHaveLength(2);
    const aborted = AbortSignal.abort(new Error('stop'));
    await expect(refineTriplane({ kernels: kernels(), prior, samples: 8 }, 'a barrel', SMALL, { signal: aborted }))
      .rejects.toThrow('stop');
  });

  test.each(['asd', 'sds', 'csd'] as const)('%s: one update moves the renders against the guidance gradient',
    async (method) => {
      // First order: after an Adam step of size lr (sign-like at step 1), re-rendering the same plan gives
      // sum(dL/drgb * (after - before)) < 0, which needs every sign on the way (guidance, upsampling adjoint,
      // renderer backward, optimizer) right.
      const options = resolveRefinementOptions({ method, viewsPerStep: 2, resolution: 4, samples: 8,
        learningRate: 1e-3 }, { priorResolution: PRIOR_RESOLUTION, samples: 8 });
      const schedule = { numTrainTimesteps: T, alphasCumprod: ALPHAS_CUMPROD, priorResolution: PRIOR_RESOLUTION,
        unconditionalPrompt: '' };
      const k = kernels(1e-3);
      const prior = new ConstantImagePrior();
      let checked = 0;
      for (let step = 0; step < 3; step++) {
        const plan = planRefineStep(new RefineRandom(step), options, 'a barrel', schedule, step);
        const samples = await k.renderSamples(plan);
        const before = await k.readViews();
        const predictions = await prior.predictNoise(samples, plan.prior);
        const upstream = new Float32Array(before.length);
        guidanceGradientCpu(method, plan.sizes, plan.guidanceScale, predictions, plan.noise, plan.coefficients,
          upstream);
        await k.update(plan, predictions, false);
        await k.renderSamples(plan);
        const after = await k.readViews();
        let change = 0;
        let scale = 0;
        for (let i = 0; i < before.length; i++) {
          change += upstream[i]! * (after[i]! - before[i]!);
          scale += Math.abs(upstream[i]! * (after[i]! - before[i]!));
        }
        expect(change, `step ${step}`).toBeLessThan(0);
        expect(-change / scale, `step ${step}: share of the change along -gradient`).toBeGreaterThan(0.2);
        checked++;
      }
      expect(checked).toBe(3);
    });

  test('adamEpsilon reaches Adam: a large one damps the first step of every texel', async () => {
    // At step 1 Adam moves each texel by lr g / (|g| + epsilon): about lr with the default, far less with epsilon
    // large against the gradients.
    const options = resolveRefinementOptions({ ...SMALL, steps: 1 }, { priorResolution: PRIOR_RESOLUTION, samples: 8 });
    const schedule = { numTrainTimesteps: T, alphasCumprod: ALPHAS_CUMPROD, priorResolution: PRIOR_RESOLUTION,
      unconditionalPrompt: '' };
    const largestMove = async (k: CpuRefineKernels): Promise<number> => {
      const plan = planRefineStep(new RefineRandom(0), options, 'a barrel', schedule, 0);
      const samples = await k.renderSamples(plan);
      await k.update(plan, await new ConstantImagePrior().predictNoise(samples, plan.prior), false);
      const planes = await k.readPlanes();
      return planes.reduce((most, value, i) => Math.max(most, Math.abs(value - PLANES[i]!)), 0);
    };
    const standard = await largestMove(kernels(0.05));
    const damped = await largestMove(kernels(0.05, 1));
    expect(standard).toBeCloseTo(0.05, 3);
    expect(damped).toBeGreaterThan(0);
    expect(damped).toBeLessThan(0.1 * standard);
  });
});
