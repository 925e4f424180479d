/**
 * {@link RefineKernels} on the WGSL kernels: GpuVolsdfRenderer (forward, backward into the planes' gradient),
 * GpuGuidance and GpuAdam on one GPUDevice; cpu-kernels.ts is its CPU twin. Everything stays on the GPU: the planes,
 * their gradient, the views, and the prior's rows, which are GPU buffers on this device (the `sample` rows it writes,
 * the `noise` predictions it reads), for a `RefinePrior<GPUBuffer, GPUBuffer>` on the same device (gpu-prior.ts).
 * A prior with CPU tensors goes through GpuKernelsWithCpuTensors (gpu-kernels-cpu-tensors.ts). Only the planes are
 * optimised; the decoder is the pack's, frozen.
 */
import { GpuAdam } from '../kernels/adam.js';
import { createStorageBuffer, readFloat32Buffer } from '../kernels/gpu-buffers.js';
import { GpuGuidance } from '../kernels/guidance.js';
import type { TriplaneShape } from '../kernels/triplane-layout.js';
import { GpuVolsdfRenderer } from '../kernels/volsdf.js';
import { DEFAULT_BETA } from '../kernels/volsdf-options.js';
import type { RefineKernels } from './refine-backend.js';
import { DEFAULT_REFINE_ADAM_EPSILON, DEFAULT_REFINE_LEARNING_RATE } from './refine-options.js';
import type { RefineStepPlan } from './step-plan.js';

export interface GpuRefineKernelsOptions {
  /** Adam's step size on the planes, > 0. Default 1e-2. */
  readonly learningRate?: number;
  /** Adam's epsilon, > 0. Default 1e-8. */
  readonly adamEpsilon?: number;
  /** VolSDF's beta, > 0. Default 0.03 (pass the pack decoder's). */
  readonly beta?: number;
}

/** Per-view buffers of one step: the jitter and the view's slice of the guidance's upstream gradient. */
interface ViewBuffers {
  readonly renderer: GpuVolsdfRenderer;
  readonly jitter: GPUBuffer;
  readonly upstream: GPUBuffer;
}

export class GpuRefineKernels implements RefineKernels<GPUBuffer, GPUBuffer> {
  private readonly _planes: GPUBuffer;
  private readonly _decoder: GPUBuffer;
  private readonly _grads: GPUBuffer;
  private readonly _adam: GpuAdam;
  private readonly _beta: number;
  private readonly _count: number;
  /** Per run: made by the first plan (sizes and method are fixed for a run). */
  private _guidance: GpuGuidance | null = null;
  private _rgb: GPUBuffer | null = null;
  /** The last renderSamples' views (a renderer per view: the background is a renderer option). */
  private _views: ViewBuffers[] = [];
  private _viewFloats = 0;
  private _disposed = false;

  /**
   * @param planes `[3, C, R, R]`, uploaded (the array is not kept).
   * @param decoder flat decoder weights in decoder.bin order, uploaded.
   * @throws {RangeError} if an option is out of range.
   */
  constructor(
    readonly device: GPUDevice,
    readonly shape: TriplaneShape,
    planes: Float32Array<ArrayBuffer>,
    decoder: Float32Array<ArrayBuffer>,
    options: GpuRefineKernelsOptions = {},
  ) {
    this._count = planes.length;
    this._planes = createStorageBuffer(device, planes, 'refine planes');
    this._decoder = createStorageBuffer(device, decoder, 'refine decoder');
    this._grads = device.createBuffer({
      label: 'refine plane gradients',
      size: planes.byteLength,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
    this._adam = new GpuAdam(device, { params: this._planes, grads: this._grads }, planes.length, {
      learningRate: options.learningRate ?? DEFAULT_REFINE_LEARNING_RATE,
      epsilon: options.adamEpsilon ?? DEFAULT_REFINE_ADAM_EPSILON,
    });
    this._beta = options.beta ?? DEFAULT_BETA;
  }

  /**
   * The prior's `sample` rows `[K B, 3, R, R]` (f32, STORAGE | COPY_SRC | COPY_DST): this object's buffer, rewritten
   * by the next call and destroyed by {@link dispose}.
   */
  async renderSamples(plan: RefineStepPlan): Promise<GPUBuffer> {
    this._checkLive('renderSamples');
    const { device } = this;
    const { batch: B, renderResolution: r } = plan.sizes;
    const guidance = this._guidanceFor(plan);
    this._releaseViews();
    const image = 3 * r * r;
    const encoder = device.createCommandEncoder({ label: 'refine views' });
    this._views = plan.views.map((view, b) => {
      const renderer = new GpuVolsdfRenderer(device, this.shape, { planes: this._planes, decoder: this._decoder }, {
        width: r,
        height: r,
        samples: plan.samples,
        beta: this._beta,
        background: view.background,
      });
      const jitter = createStorageBuffer(device, this._jitter(plan, b), 'refine jitter');
      const upstream = device.createBuffer({
        label: 'refine view upstream',
        size: image * 4,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
      });
      renderer.render(view.camera, jitter);
      return { renderer, jitter, upstream };
    });
    // Each render submitted its own command buffer; the copies into the batch go after them in queue order.
    this._views.forEach(({ renderer }, b) => encoder.copyBufferToBuffer(renderer.pixels, 0, this._rgb!, b * image * 4,
      image * 4));
    device.queue.submit([encoder.finish()]);
    this._viewFloats = B * image;
    guidance.writeStep(plan.noise, plan.coefficients);
    guidance.noisySamples(this._rgb!);
    return guidance.samples;
  }

  /**
   * @param predictions the prior's `noise` `[K B, 3, R, R]` for the last {@link renderSamples} (f32, STORAGE usage,
   *   on this device); read by commands submitted before this resolves, so the caller may release it afterwards.
   */
  async update(plan: RefineStepPlan, predictions: GPUBuffer, readLosses: boolean): Promise<Float64Array | null> {
    this._checkLive('update');
    const { device } = this;
    const guidance = this._guidance;
    if (!guidance || this._views.length !== plan.views.length) {
      throw new Error('update() needs the renderSamples() of its plan');
    }
    guidance.gradient(predictions);
    // The backward binds whole buffers: each view's [3, r, r] slice of the upstream gradient gets its own.
    const image = 3 * plan.sizes.renderResolution ** 2;
    const encoder = device.createCommandEncoder({ label: 'refine upstream' });
    encoder.clearBuffer(this._grads);
    this._views.forEach(({ upstream }, b) => encoder.copyBufferToBuffer(guidance.upstream, b * image * 4, upstream, 0,
      image * 4));
    device.queue.submit([encoder.finish()]);
    plan.views.forEach((view, b) => {
      const { renderer, upstream, jitter } = this._views[b]!;
      renderer.backward(view.camera, upstream, { planes: this._grads, decoder: null }, jitter);
    });
    this._adam.step();
    return readLosses ? guidance.readLosses() : null;
  }

  async readViews(): Promise<Float32Array> {
    this._checkLive('readViews');
    if (!this._rgb || this._viewFloats === 0) return new Float32Array(0);
    return readFloat32Buffer(this.device, this._rgb, this._viewFloats);
  }

  async readPlanes(): Promise<Float32Array> {
    this._checkLive('readPlanes');
    return readFloat32Buffer(this.device, this._planes, this._count);
  }

  /** Destroys every buffer this object made. Idempotent; other methods throw afterwards. */
  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    this._releaseViews();
    this._guidance?.dispose();
    this._adam.dispose();
    for (const buffer of [this._planes, this._decoder, this._grads, this._rgb]) buffer?.destroy();
  }

  /** The run's guidance and views buffer, made for the first plan's sizes and method. */
  private _guidanceFor(plan: RefineStepPlan): GpuGuidance {
    const { batch: B, renderResolution: r, priorResolution: R } = plan.sizes;
    const current = this._guidance;
    if (current) {
      const { sizes } = current;
      if (current.method !== plan.method || current.guidanceScale !== plan.guidanceScale || sizes.batch !== B ||
        sizes.renderResolution !== r || sizes.priorResolution !== R) {
        throw new RangeError('GpuRefineKernels: every plan of a run must have the same method, scale and sizes');
      }
      return current;
    }
    const guidance = new GpuGuidance(this.device, { method: plan.method, guidanceScale: plan.guidanceScale, ...plan.sizes });
    this._guidance = guidance;
    this._rgb = this.device.createBuffer({
      label: 'refine views rgb',
      size: B * 3 * r * r * 4,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    return guidance;
  }

  private _releaseViews(): void {
    for (const { renderer, jitter, upstream } of this._views) {
      renderer.dispose();
      jitter.destroy();
      upstream.destroy();
    }
    this._views = [];
  }

  private _jitter(plan: RefineStepPlan, view: number): Float32Array<ArrayBuffer> {
    const block = plan.sizes.renderResolution ** 2 * plan.samples;
    return plan.jitter.slice(view * block, (view + 1) * block);
  }

  private _checkLive(method: string): void {
    if (this._disposed) throw new Error(`GpuRefineKernels.${method}() called after dispose()`);
  }
}
