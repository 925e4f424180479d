/**
 * Refinement inside the generation worker: the triplane that the worker just generated, refined by score
 * distillation against the pack's prior (src/refine, docs/refinement.md) and remeshed every `meshEvery` steps.
 *
 * On the WebGPU backend everything runs on its device: the renderer, guidance and Adam on the WGSL kernels
 * (GpuRefineKernels), the prior on the onnxruntime-web/webgpu sessions (GpuRefinePrior), the `sample` rows and the
 * `noise` predictions passing between them as GPU buffers. On WASM, the CPU twins (CpuRefineKernels), sharing each
 * view's rows with band workers on the other cores (refine-band-workers.ts), and the prior with CPU tensors
 * (OnnxRefinePrior). The text encoder is the pipeline's own session (the prior's text_encoder.onnx);
 * the UNet session is made on the first refinement and kept for the worker's life.
 */
import { CpuRefineKernels } from '../refine/cpu-kernels.js';
import { GpuRefineKernels } from '../refine/gpu-kernels.js';
import { GpuRefinePrior } from '../refine/gpu-prior.js';
import { OnnxRefinePrior } from '../refine/onnx-prior.js';
import { refineTriplane } from '../refine/refine.js';
import type { RefineKernels, RefinePrior } from '../refine/refine-backend.js';
import { WordTokenizer } from '../text/word-tokenizer.js';
import type { GenerationPipeline } from './generation-pipeline.js';
import type { RefineRequest, RefinementModels, RefineSummary, RefineUpdate } from './generation-protocol.js';
import { bandWorkerCount, RefineBandWorkers } from './refine-band-workers.js';
import type { StartedPipeline } from './generation-sessions.js';
import type { InferenceSession } from 'onnxruntime-web';
import type { TriplaneShape } from '../kernels/triplane-layout.js';

export class GenerationRefiner {
  private _unet: InferenceSession | null = null;
  private _models: Omit<RefinementModels, 'unet'> | null = null;
  private _tokenizer: WordTokenizer | null = null;
  private _released = false;

  constructor(
    private readonly _prior: StartedPipeline['prior'],
    private readonly _pipeline: GenerationPipeline,
    private readonly _decoder: { readonly shape: TriplaneShape; readonly weights: Float32Array },
  ) {}

  /**
   * Refines `planes` (`[3, C, R, R]`, not modified) for `request.prompt`; `onUpdate` is awaited after every step.
   * @throws {Error} if the refiner has no models yet and `models` is null, or after {@link release}.
   * @throws the signal's reason once it aborts.
   */
  async refine(
    planes: Float32Array,
    request: RefineRequest,
    models: RefinementModels | null,
    signal: AbortSignal,
    onUpdate: (update: RefineUpdate) => Promise<void>,
  ): Promise<RefineSummary> {
    if (this._released) throw new Error('refine(): the worker released its sessions');
    const start = performance.now();
    let sessionMs = 0;
    if (!this._unet) {
      if (!models) throw new Error('refine(): the first refinement of a worker needs the prior\'s models');
      const { unet, ...rest } = models;
      this._unet = await this._prior.createSession(unet);
      this._models = rest;
      this._tokenizer = new WordTokenizer(rest.tokenizer);
      sessionMs = performance.now() - start;
    }
    const parts = this._models!;
    const priorParts = {
      textEncoder: this._prior.textEncoder,
      unet: this._unet,
      tokenizer: this._tokenizer!,
      schedule: parts.schedule,
      resolution: parts.resolution,
      unconditionalPrompt: parts.unconditionalPrompt,
      encodeOptions: { mode: request.unknownWords },
    };
    const { shape, weights } = this._decoder;
    const { samples, beta } = parts.renderer;
    const run = <Sample, Prediction>(
      kernels: RefineKernels<Sample, Prediction>,
      prior: RefinePrior<Sample, Prediction>,
      threads: number,
    ) => this._run(kernels, prior, samples, request, signal, onUpdate, start, sessionMs, threads);
    const { device, Tensor } = this._prior;
    if (!device) {
      const bandWorkers = await RefineBandWorkers.start(bandWorkerCount(request.threads),
        { shape, decoder: weights, beta }, planes);
      try {
        const cpuKernels = new CpuRefineKernels(shape, planes, weights, { beta, bands: bandWorkers.bands });
        return await run(cpuKernels, new OnnxRefinePrior({ ...priorParts, Tensor }), 1 + bandWorkers.bands.length);
      } finally {
        bandWorkers.terminate();
      }
    }
    const kernels = new GpuRefineKernels(device, shape, planes as Float32Array<ArrayBuffer>,
      weights as Float32Array<ArrayBuffer>, { beta });
    const prior = new GpuRefinePrior({ ...priorParts, Tensor, device });
    try {
      return await run(kernels, prior, 1);
    } finally {
      prior.dispose();
      kernels.dispose();
    }
  }

  private async _run<Sample, Prediction>(
    kernels: RefineKernels<Sample, Prediction>,
    prior: RefinePrior<Sample, Prediction>,
    samples: number,
    request: RefineRequest,
    signal: AbortSignal,
    onUpdate: (update: RefineUpdate) => Promise<void>,
    start: number,
    sessionMs: number,
    threads: number,
  ): Promise<RefineSummary> {
    // Each stage's time, summed over the steps, for the summary (the benchmark's split).
    const stageMs = { render: 0, prior: 0, update: 0 };
    const timed = <A extends unknown[], R>(stage: keyof typeof stageMs, call: (...args: A) => Promise<R>) =>
      async (...args: A): Promise<R> => {
        const stageStart = performance.now();
        try {
          return await call(...args);
        } finally {
          stageMs[stage] += performance.now() - stageStart;
        }
      };
    const timedKernels: RefineKernels<Sample, Prediction> = {
      renderSamples: timed('render', (plan) => kernels.renderSamples(plan)),
      update: timed('update', (plan, predictions, readLosses) => kernels.update(plan, predictions, readLosses)),
      readViews: () => kernels.readViews(),
      readPlanes: () => kernels.readPlanes(),
    };
    const timedPrior: RefinePrior<Sample, Prediction> = {
      resolution: prior.resolution,
      numTrainTimesteps: prior.numTrainTimesteps,
      alphasCumprod: prior.alphasCumprod,
      unconditionalPrompt: prior.unconditionalPrompt,
      prepare: (prompts) => prior.prepare(prompts),
      predictNoise: timed('prior', (sample, rows) => prior.predictNoise(sample, rows)),
    };
    const target = { kernels: timedKernels, prior: timedPrior, samples };
    const result = await refineTriplane(target, request.prompt, {
      method: request.method,
      steps: request.steps,
      eta: request.eta,
      guidanceScale: request.guidanceScale,
      seed: request.seed,
      resolution: request.resolution,
      // Every step: the loss goes to the job's progress, and awaiting the update lets the worker take messages
      // (stopRefinement) between steps.
      reportEvery: 1,
    }, {
      signal,
      onProgress: async ({ step, steps, loss }) => {
        let mesh: RefineUpdate['mesh'] = null;
        let views: RefineUpdate['views'] = null;
        if (step % request.meshEvery === 0 || step === steps) {
          const meshStart = performance.now();
          const { arrays } = this._pipeline.mesh(await kernels.readPlanes(), request.gridSize);
          mesh = { ...arrays, meshMs: performance.now() - meshStart };
          const rgb = (await kernels.readViews()) as Float32Array<ArrayBuffer>; // a fresh copy: transferable
          const side = request.resolution;
          views = { count: rgb.length / (3 * side * side), side, rgb };
        }
        signal.throwIfAborted();
        await onUpdate({ step, steps, loss, mesh, views });
      },
    });
    return {
      steps: result.options.steps,
      finalLoss: result.losses.at(-1)?.loss ?? Number.NaN,
      msPerStep: result.msPerStep,
      stageMsPerStep: {
        render: stageMs.render / result.options.steps,
        prior: stageMs.prior / result.options.steps,
        update: stageMs.update / result.options.steps,
      },
      sessionMs,
      totalMs: performance.now() - start,
      threads,
    };
  }

  /** Releases the UNet session, if any. Idempotent. */
  async release(): Promise<void> {
    this._released = true;
    const unet = this._unet;
    this._unet = null;
    if (unet) await this._prior.releaseSession(unet);
  }
}
