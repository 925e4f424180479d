import { adamStepScalars, resolveAdamOptions, type AdamOptions, type ResolvedAdamOptions } from './adam-options.js';

/** CPU twin of {@link GpuAdam}: the same update on Float32Arrays, used as the reference in parity tests. */
export class CpuAdam {
  /** First-moment average (PyTorch `exp_avg`). */
  readonly expAvg: Float32Array;
  /** Second-moment average (PyTorch `exp_avg_sq`). */
  readonly expAvgSq: Float32Array;
  private readonly _options: ResolvedAdamOptions;
  private _stepCount = 0;

  /**
   * @param params updated in place by {@link step}.
   * @param grads read by {@link step}; the caller writes the gradient of each step into it.
   * @throws {RangeError} if the lengths differ or an option is out of range.
   */
  constructor(
    readonly params: Float32Array,
    readonly grads: Float32Array,
    options?: AdamOptions,
  ) {
    if (grads.length !== params.length) {
      throw new RangeError(`grads.length (${grads.length}) must equal params.length (${params.length})`);
    }
    this._options = resolveAdamOptions(options);
    this.expAvg = new Float32Array(params.length);
    this.expAvgSq = new Float32Array(params.length);
  }

  /** Number of steps taken so far. */
  get stepCount(): number {
    return this._stepCount;
  }

  /** Applies one Adam step with the current contents of `grads`. */
  step(): void {
    this._stepCount += 1;
    const { beta1, beta2, epsilon } = this._options;
    const { stepSize, biasCorrection2Sqrt } = adamStepScalars(this._options, this._stepCount);
    const { params, grads, expAvg, expAvgSq } = this;
    for (let i = 0; i < params.length; i++) {
      const g = grads[i]!;
      // Same operation order as adam.wgsl and torch's lerp_/addcmul_/addcdiv_.
      const m = expAvg[i]! + (1 - beta1) * (g - expAvg[i]!);
      const v = beta2 * expAvgSq[i]! + (1 - beta2) * g * g;
      expAvg[i] = m;
      expAvgSq[i] = v;
      params[i] = params[i]! - (stepSize * m) / (Math.sqrt(v) / biasCorrection2Sqrt + epsilon);
    }
  }
}
