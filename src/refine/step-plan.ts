/**
 * Everything random about one refinement step, drawn on the host from the run's seed before any kernel runs, so
 * that every backend (CPU twins, WGSL) computes the same step: views, ray jitter, timesteps, noise, the guidance
 * coefficients and the prior's rows (guidance-options.ts describes the step).
 */
import {
  annealedTimestepRange,
  asdShiftedTimestep,
  guidanceCoefficients,
  predictionsPerImage,
  sampleTimestep,
  unetTimesteps,
  type GuidanceMethod,
  type GuidanceSizes,
  type TimestepRange,
} from '../kernels/guidance-options.js';
import type { RefineRandom } from './random.js';
import type { ResolvedRefinementOptions } from './refine-options.js';
import { CAMERA_VECTOR_SIZE, cameraVector, sampleBackground, sampleCamera, viewPrompt, type RefineView } from './views.js';

/** The prior's input rows of a step, besides `sample`: [K B] timesteps, prompts and cameras. */
export interface PriorRows {
  /** `timestep` [K B]. */
  readonly timesteps: Float32Array<ArrayBuffer>;
  /** The prompt of each row (the text encoder's states become `encoder_hidden_states`). */
  readonly prompts: readonly string[];
  /** `camera` [K B, 4]. */
  readonly cameras: Float32Array<ArrayBuffer>;
}

export interface RefineStepPlan {
  /** 0-based. */
  readonly step: number;
  /** step / steps, which anneals the timestep range. */
  readonly progress: number;
  readonly method: GuidanceMethod;
  readonly guidanceScale: number;
  readonly sizes: GuidanceSizes;
  /** Samples per ray S. */
  readonly samples: number;
  /** B views. */
  readonly views: readonly RefineView[];
  /** Sample offsets `[B, r r, S]` in [0, 1) (the renderer's jitter, one `[r r, S]` block per view). */
  readonly jitter: Float32Array<ArrayBuffer>;
  readonly timestepRange: TimestepRange;
  /** t per view. */
  readonly timesteps: Int32Array;
  /** ASD's t + dt per view; null for SDS and CSD. */
  readonly shiftedTimesteps: Int32Array | null;
  /** eps `[B, 3, R, R]`. */
  readonly noise: Float32Array<ArrayBuffer>;
  /** `[B, COEFFICIENTS_PER_IMAGE]`. */
  readonly coefficients: Float32Array<ArrayBuffer>;
  readonly prior: PriorRows;
}

/** The schedule facts a plan needs. */
export interface PlanSchedule {
  readonly numTrainTimesteps: number;
  readonly alphasCumprod: ArrayLike<number>;
  readonly priorResolution: number;
  /** The prior's unconditional prompt (the manifest's `prior.text.unconditional_prompt`, ""). */
  readonly unconditionalPrompt: string;
}

/**
 * Draws step `step` of a run: for each view a camera, a background and the view prompt, then the jitter, then t
 * (and ASD's shift draw), then the noise, in that order.
 */
export function planRefineStep(
  random: RefineRandom,
  options: ResolvedRefinementOptions,
  prompt: string,
  schedule: PlanSchedule,
  step: number,
): RefineStepPlan {
  const { method, viewsPerStep: B, resolution: r, samples: S, steps } = options;
  const T = schedule.numTrainTimesteps;
  const R = schedule.priorResolution;
  const progress = step / steps;
  const views: RefineView[] = [];
  for (let b = 0; b < B; b++) {
    const camera = sampleCamera(random);
    views.push({ camera, background: sampleBackground(random), prompt: viewPrompt(prompt, camera) });
  }
  const jitter = random.fillUniform(new Float32Array(B * r * r * S));
  const range: TimestepRange = options.timesteps === 'annealed'
    ? annealedTimestepRange(progress, T)
    : { min: Math.trunc(options.timesteps[0] * T), max: Math.trunc(options.timesteps[1] * T) };
  const timesteps = Int32Array.from(views, () => sampleTimestep(random.uniform(), range));
  const shiftedTimesteps = method === 'asd'
    ? timesteps.map((t) => asdShiftedTimestep(random.uniform(), options.eta, t, range.min, T))
    : null;
  const noise = random.fillNormal(new Float32Array(B * 3 * R * R));
  const coefficients = guidanceCoefficients(method, schedule.alphasCumprod, timesteps, shiftedTimesteps);

  // The prior's rows: cond at t, uncond at t, and ASD's cond at t + dt; each row keeps its view's camera.
  const K = predictionsPerImage(method);
  const cameras = new Float32Array(K * B * CAMERA_VECTOR_SIZE);
  const prompts: string[] = [];
  for (let k = 0; k < K; k++) {
    views.forEach((view, b) => {
      prompts.push(k === 1 ? schedule.unconditionalPrompt : view.prompt);
      cameraVector(view.camera, cameras, (k * B + b) * CAMERA_VECTOR_SIZE);
    });
  }
  return {
    step,
    progress,
    method,
    guidanceScale: options.guidanceScale,
    sizes: { batch: B, renderResolution: r, priorResolution: R },
    samples: S,
    views,
    jitter,
    timestepRange: range,
    timesteps,
    shiftedTimesteps,
    noise,
    coefficients,
    prior: { timesteps: unetTimesteps(method, timesteps, shiftedTimesteps), prompts, cameras },
  };
}
