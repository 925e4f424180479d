/**
 * schedule.json of a model pack (docs/model-pack.md, "schedule.json"): the prior's DDPM noise schedule, with key
 * names as in diffusers' scheduler configs.
 */
import { JsonFields } from './json-fields.js';
import type { PriorInfo } from './manifest.js';

export interface NoiseSchedule {
  /** T. */
  readonly numTrainTimesteps: number;
  /** `"squaredcos_cap_v2"`: the cosine schedule (Nichol & Dhariwal 2021), betas clipped at 0.999. */
  readonly betaSchedule: string;
  readonly predictionType: 'epsilon';
  /** The UNet's `timestep` input type; fractional timesteps are allowed. */
  readonly timestepDtype: 'float32';
  /** Whether a sampler clips the predicted x_0 to [-1, 1]. */
  readonly clipSample: boolean;
  /** Which N of the T timesteps a DDIM sampler visits, as diffusers names it (`"leading"`, `"trailing"`). */
  readonly timestepSpacing: string;
  /** N, the default number of sampling steps. */
  readonly sampleSteps: number;
  /** Default classifier-free guidance scale w: eps = eps_u + w (eps_c - eps_u). */
  readonly guidanceScale: number;
  /** beta_t for t = 0 .. T - 1. */
  readonly betas: Float64Array<ArrayBuffer>;
  /**
   * alphabar_t = prod_{s <= t} (1 - beta_s) (Ho et al. 2020, eq. 4), as stored: a runtime reads it, never
   * recomputes it.
   */
  readonly alphasCumprod: Float64Array<ArrayBuffer>;
}

/**
 * alphas_cumprod must be the running product of (1 - betas) to this relative error (the exporter writes both from
 * the same float64 cumprod, so they agree exactly; the slack is for another exporter's summation order).
 */
const CUMPROD_RELATIVE_TOLERANCE = 1e-9;

/**
 * Reads schedule.json and checks it against the manifest's `prior` section.
 * @throws {PackError} naming the file and the field: not JSON, a field of the wrong type, arrays whose length is
 *   not T, betas outside (0, 1), alphas_cumprod that is not their running product, or a value that disagrees with
 *   the `prior` section (`num_train_timesteps`, `beta_schedule`, and the sampler's steps, guidance, spacing and
 *   clipping).
 */
export function parseNoiseSchedule(file: string, bytes: Uint8Array, prior: PriorInfo): NoiseSchedule {
  const json = JsonFields.parse(file, bytes);
  const agrees = <T>(key: string, value: T, expected: T, manifestField: string): T => {
    if (value !== expected) {
      json.fail(key, `is ${JSON.stringify(value)}, but manifest.json ${manifestField} is ${JSON.stringify(expected)}`);
    }
    return value;
  };
  const T = agrees('num_train_timesteps', json.integer('num_train_timesteps', 1), prior.numTrainTimesteps,
    'prior.num_train_timesteps');
  const betas = json.numbers('betas');
  const alphasCumprod = json.numbers('alphas_cumprod');
  for (const [key, values] of [['betas', betas], ['alphas_cumprod', alphasCumprod]] as const) {
    if (values.length !== T) json.fail(key, `has ${values.length} values; num_train_timesteps is ${T}`);
  }
  let product = 1;
  betas.forEach((beta, t) => {
    if (!(beta > 0 && beta < 1)) json.fail('betas', `is ${beta}; betas must be in (0, 1)`, t);
    product *= 1 - beta;
    if (Math.abs(alphasCumprod[t]! - product) > CUMPROD_RELATIVE_TOLERANCE * product) {
      json.fail('alphas_cumprod', `is ${alphasCumprod[t]}, but the product of (1 - betas) up to ${t} is ${product}`, t);
    }
  });
  return {
    numTrainTimesteps: T,
    betaSchedule: agrees('beta_schedule', json.string('beta_schedule'), prior.betaSchedule, 'prior.beta_schedule'),
    predictionType: json.oneOf('prediction_type', ['epsilon']),
    timestepDtype: json.oneOf('timestep_dtype', ['float32']),
    clipSample: agrees('clip_sample', json.boolean('clip_sample'), prior.sampler.clipSample,
      'prior.sampler.clip_sample'),
    timestepSpacing: agrees('timestep_spacing', json.string('timestep_spacing'), prior.sampler.timestepSpacing,
      'prior.sampler.timestep_spacing'),
    sampleSteps: agrees('sample_steps', json.integer('sample_steps', 1), prior.sampler.steps, 'prior.sampler.steps'),
    guidanceScale: agrees('guidance_scale', json.number('guidance_scale'), prior.sampler.guidanceScale,
      'prior.sampler.guidance_scale'),
    betas: Float64Array.from(betas),
    alphasCumprod: Float64Array.from(alphasCumprod),
  };
}
