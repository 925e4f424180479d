/**
 * Refinement of one triplane by score distillation against the pack's 2D prior (ScaleDreamer's per-prompt setting;
 * the amortized trainer's step in training/distill/system.py with one learnable triplane). Runtime-agnostic: the
 * tensors live in a {@link RefineKernels} and a {@link RefinePrior} (refine-backend.ts).
 *
 * One step:
 *   1. Plan (host, seeded): B cameras from the world's distribution with view prompts and backgrounds, ray jitter,
 *      t in the (annealed) range, ASD's t + dt, noise, coefficients (step-plan.ts).
 *   2. Render the views, then the prior's noisy sample rows (kernels.renderSamples).
 *   3. The prior's noise predictions for those rows (prior.predictNoise): cond / uncond at t, ASD's cond at t + dt.
 *   4. Guidance gradient -> renderer backward -> Adam on the planes (kernels.update).
 *   Every `reportEvery` steps and after the last, `onProgress` gets the step, the loss and the rendered views.
 */
import { RefineRandom } from './random.js';
import type { RefineKernels, RefinePrior } from './refine-backend.js';
import { resolveRefinementOptions, type RefinementOptions, type ResolvedRefinementOptions } from './refine-options.js';
import { planRefineStep } from './step-plan.js';
import { VIEW_SUFFIXES } from './views.js';

/** What `onProgress` receives. */
export interface RefineProgress {
  /** Steps done so far, 1 .. steps. */
  readonly step: number;
  readonly steps: number;
  /** guidance.py's loss at this step: the mean over the step's views of 0.5 sum(g^2). */
  readonly loss: number;
  /** This step's rendered views `[B, 3, r, r]` in [0, 1], before its update. */
  readonly views: Float32Array;
  readonly viewCount: number;
  readonly resolution: number;
  /** Wall time since the run started. */
  readonly elapsedMs: number;
}

export interface RefineCallbacks {
  /** Aborts the run between steps (and between a step's stages) with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Awaited before the run goes on, so the kernels may be read (e.g. readPlanes to remesh). */
  readonly onProgress?: (progress: RefineProgress) => void | Promise<void>;
}

export interface RefineResult {
  /** The refined planes `[3, C, R, R]`. */
  readonly planes: Float32Array;
  readonly options: ResolvedRefinementOptions;
  /** The loss of each reported step. */
  readonly losses: readonly { readonly step: number; readonly loss: number }[];
  /** Mean wall time of a step (planning, rendering, prior, update; callbacks excluded). */
  readonly msPerStep: number;
}

/** The context a run's options are resolved in. */
export interface RefineTarget<Sample, Prediction> {
  readonly kernels: RefineKernels<Sample, Prediction>;
  readonly prior: RefinePrior<Sample, Prediction>;
  /** The decoder's samples per ray (default of `options.samples`). */
  readonly samples: number;
}

/**
 * Refines the kernels' triplane for `prompt`.
 * @param prompt without a view suffix (the loop adds one per view).
 * @throws {TypeError | RangeError} before any work, naming a bad option (resolveRefinementOptions).
 * @throws {UnknownWordsError | PromptTooLongError} before any work, from the prior's tokenizer.
 * @throws the signal's reason (an AbortError DOMException by default) once `callbacks.signal` aborts.
 */
export async function refineTriplane<Sample, Prediction>(
  target: RefineTarget<Sample, Prediction>,
  prompt: string,
  options: RefinementOptions = {},
  callbacks: RefineCallbacks = {},
): Promise<RefineResult> {
  const { kernels, prior } = target;
  const resolved = resolveRefinementOptions(options, {
    priorResolution: prior.resolution,
    samples: target.samples,
  });
  if (typeof prompt !== 'string' || !prompt.trim()) throw new RangeError('prompt must be a non-empty string');
  const { signal, onProgress } = callbacks;
  signal?.throwIfAborted();
  await prior.prepare([prior.unconditionalPrompt, ...VIEW_SUFFIXES.map((suffix) => `${prompt}, ${suffix}`)]);

  const random = new RefineRandom(resolved.seed);
  const schedule = {
    numTrainTimesteps: prior.numTrainTimesteps,
    alphasCumprod: prior.alphasCumprod,
    priorResolution: prior.resolution,
    unconditionalPrompt: prior.unconditionalPrompt,
  };
  const losses: { step: number; loss: number }[] = [];
  const start = performance.now();
  let stepMs = 0;
  for (let step = 0; step < resolved.steps; step++) {
    signal?.throwIfAborted();
    const stepStart = performance.now();
    const report = (step + 1) % resolved.reportEvery === 0 || step + 1 === resolved.steps;
    const plan = planRefineStep(random, resolved, prompt, schedule, step);
    const samples = await kernels.renderSamples(plan);
    signal?.throwIfAborted();
    const predictions = await prior.predictNoise(samples, plan.prior);
    signal?.throwIfAborted();
    const stepLosses = await kernels.update(plan, predictions, report);
    stepMs += performance.now() - stepStart;
    if (report && stepLosses) {
      const loss = stepLosses.reduce((a, b) => a + b, 0) / stepLosses.length;
      losses.push({ step: step + 1, loss });
      await onProgress?.({
        step: step + 1,
        steps: resolved.steps,
        loss,
        views: await kernels.readViews(),
        viewCount: resolved.viewsPerStep,
        resolution: resolved.resolution,
        elapsedMs: performance.now() - start,
      });
    }
  }
  return { planes: await kernels.readPlanes(), options: resolved, losses, msPerStep: stepMs / resolved.steps };
}
