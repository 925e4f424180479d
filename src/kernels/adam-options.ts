/**
 * Adam hyperparameters and the per-step scalars that the CPU and WGSL twins share.
 *
 * The update follows torch.optim.Adam (Kingma & Ba 2015, Algorithm 1, with PyTorch's arrangement of the bias
 * corrections) so that the trainer, the CPU twin and the WGSL kernel agree to float32 rounding.
 */

/** Adam hyperparameters; defaults are PyTorch's. */
export interface AdamOptions {
  /** Step size (PyTorch `lr`), > 0. Default 1e-3. */
  learningRate?: number;
  /** Decay of the first-moment average, in [0, 1). Default 0.9. */
  beta1?: number;
  /** Decay of the second-moment average, in [0, 1). Default 0.999. */
  beta2?: number;
  /** Added to the denominator for stability, > 0. Default 1e-8. */
  epsilon?: number;
}

export type ResolvedAdamOptions = Readonly<Required<AdamOptions>>;

/**
 * Fills in defaults and checks ranges.
 * @throws {RangeError} naming the option that is out of range.
 */
export function resolveAdamOptions(options: AdamOptions = {}): ResolvedAdamOptions {
  const { learningRate = 1e-3, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8 } = options;
  if (!(learningRate > 0)) throw new RangeError(`learningRate must be > 0, got ${learningRate}`);
  if (!(beta1 >= 0 && beta1 < 1)) throw new RangeError(`beta1 must be in [0, 1), got ${beta1}`);
  if (!(beta2 >= 0 && beta2 < 1)) throw new RangeError(`beta2 must be in [0, 1), got ${beta2}`);
  if (!(epsilon > 0)) throw new RangeError(`epsilon must be > 0, got ${epsilon}`);
  return { learningRate, beta1, beta2, epsilon };
}

/** The scalars of step t that do not depend on the element, computed once on the host in float64. */
export interface AdamStepScalars {
  /** lr / (1 - beta1^t) */
  readonly stepSize: number;
  /** sqrt(1 - beta2^t) */
  readonly biasCorrection2Sqrt: number;
}

/**
 * @param step 1-based index of the step being taken.
 * @throws {RangeError} if `step` is not a positive integer.
 */
export function adamStepScalars(options: ResolvedAdamOptions, step: number): AdamStepScalars {
  if (!Number.isInteger(step) || step < 1) throw new RangeError(`step must be a positive integer, got ${step}`);
  return {
    stepSize: options.learningRate / (1 - options.beta1 ** step),
    biasCorrection2Sqrt: Math.sqrt(1 - options.beta2 ** step),
  };
}
