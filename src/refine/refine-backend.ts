/**
 * What the refinement loop (refine.ts) asks of a runtime. The loop plans each step on the host (step-plan.ts) and
 * hands the plan to two parts that keep their tensors where they live:
 *
 * - {@link RefineKernels}: the triplane, its renderer, the guidance kernels and the optimizer. CPU twins in Node and
 *   the WASM worker (cpu-kernels.ts); WGSL kernels on a GPUDevice (gpu-kernels.ts).
 * - {@link RefinePrior}: the 2D prior (text encoder and UNet of the pack). onnxruntime with CPU tensors
 *   (onnx-prior.ts); onnxruntime-web/webgpu with GPU buffers on the kernels' device (gpu-prior.ts).
 *
 * `Sample` and `Prediction` are the runtime's tensor handles for the prior's `sample` input and `noise` output:
 * Float32Array on the CPU, GPUBuffer (or an onnxruntime Tensor made from one) on WebGPU, so that nothing crosses
 * between the CPU and the GPU in a step but the plan's small arrays and, when asked for, the losses and views.
 */
import type { RefineStepPlan } from './step-plan.js';

export interface RefineKernels<Sample, Prediction> {
  /**
   * Renders `plan.views` (camera, background, `plan.jitter`) at `plan.sizes.renderResolution` and writes the prior's
   * `sample` rows `[K B, 3, R, R]` from them and `plan.noise` (guidance step 2: noisySamplesCpu / GpuGuidance).
   */
  renderSamples(plan: RefineStepPlan): Promise<Sample>;
  /**
   * From the prior's predictions for those rows: guidance step 4 (dL/drgb), the renderer's backward into the planes'
   * gradient (with the same views and jitter as {@link renderSamples}), and one optimizer step on the planes.
   * @param readLosses whether to return the per-view losses 0.5 sum(g^2) (a GPU readback); null when false.
   */
  update(plan: RefineStepPlan, predictions: Prediction, readLosses: boolean): Promise<Float64Array | null>;
  /** The views of the last {@link renderSamples}, `[B, 3, r, r]` in [0, 1]. */
  readViews(): Promise<Float32Array>;
  /** The current planes `[3, C, R, R]` (a copy). */
  readPlanes(): Promise<Float32Array>;
}

export interface RefinePrior<Sample, Prediction> {
  /** R: the side of `sample`. */
  readonly resolution: number;
  /** T. */
  readonly numTrainTimesteps: number;
  /** alphabar_t, t = 0 .. T - 1 (the pack's schedule.json). */
  readonly alphasCumprod: ArrayLike<number>;
  /** The prompt whose encoding is the unconditional input ("" in the default pack). */
  readonly unconditionalPrompt: string;
  /**
   * Encodes (and may cache) the prompts that rows will use, so that a prompt with unknown words fails before the
   * first step.
   * @throws {UnknownWordsError | PromptTooLongError} from the tokenizer.
   */
  prepare(prompts: readonly string[]): Promise<void>;
  /** The UNet's `noise` for `sample` `[N, 3, R, R]` and the rows' timesteps, prompts and cameras (N = K B). */
  predictNoise(sample: Sample, rows: RefineStepPlan['prior']): Promise<Prediction>;
}
