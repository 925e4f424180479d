/**
 * {@link RefineKernels} on the CPU twins: CpuVolsdfRenderer (forward, backward into the planes), the guidance step
 * (guidance-cpu.ts) and CpuAdam. Runs anywhere (Node, the WASM worker); float64 arithmetic on float32 tensors. Only
 * the planes are optimised; the decoder is the pack's, frozen. Each view's render keeps its forward in a VolsdfTape
 * (one per view, reused across steps: up to 36 MB for a 32x32 view at S = 48 with the default pack), so that the
 * update backpropagates without tracing the rays again.
 */
import { CpuAdam } from '../kernels/adam-cpu.js';
import { guidanceGradientCpu, noisySamplesCpu } from '../kernels/guidance-cpu.js';
import { CpuTriplaneField } from '../kernels/triplane-cpu.js';
import type { TriplaneShape } from '../kernels/triplane-layout.js';
import { CpuVolsdfRenderer } from '../kernels/volsdf-cpu.js';
import { VolsdfTape } from '../kernels/volsdf-tape-cpu.js';
import { DEFAULT_BETA } from '../kernels/volsdf-options.js';
import { DEFAULT_REFINE_ADAM_EPSILON, DEFAULT_REFINE_LEARNING_RATE } from './refine-options.js';
import type { RefineKernels } from './refine-backend.js';
import type { RefineStepPlan } from './step-plan.js';

export interface CpuRefineKernelsOptions {
  /** Adam's step size on the planes, > 0. Default 1e-2. */
  readonly learningRate?: number;
  /** Adam's epsilon, > 0. Default 1e-8. */
  readonly adamEpsilon?: number;
  /** VolSDF's beta, > 0. Default 0.03 (pass the pack decoder's). */
  readonly beta?: number;
}

export class CpuRefineKernels implements RefineKernels<Float32Array, Float32Array> {
  /** The planes being refined (a copy of the initial ones), updated in place by each step. */
  readonly planes: Float32Array;
  private readonly _grads: Float32Array;
  private readonly _field: CpuTriplaneField;
  private readonly _adam: CpuAdam;
  private readonly _beta: number;
  /** The last renderSamples' renderers (one per view: the background is a renderer option) and views. */
  private _renderers: CpuVolsdfRenderer[] = [];
  /** Their forwards, for update(); kept across steps so that their memory is reused. */
  private readonly _tapes: VolsdfTape[] = [];
  private _views: Float32Array = new Float32Array(0);

  /**
   * @param planes `[3, C, R, R]`, copied.
   * @param decoder flat decoder weights in decoder.bin order (not copied, never written).
   * @throws {RangeError} if a size, a length or an option is out of range.
   */
  constructor(shape: TriplaneShape, planes: Float32Array, decoder: Float32Array, options: CpuRefineKernelsOptions = {}) {
    this.planes = planes.slice();
    this._grads = new Float32Array(planes.length);
    this._field = new CpuTriplaneField(shape, this.planes, decoder);
    this._adam = new CpuAdam(this.planes, this._grads, {
      learningRate: options.learningRate ?? DEFAULT_REFINE_LEARNING_RATE,
      epsilon: options.adamEpsilon ?? DEFAULT_REFINE_ADAM_EPSILON,
    });
    this._beta = options.beta ?? DEFAULT_BETA;
  }

  async renderSamples(plan: RefineStepPlan): Promise<Float32Array> {
    const { batch: B, renderResolution: r } = plan.sizes;
    const pixels = r * r;
    this._views = new Float32Array(B * 3 * pixels);
    this._renderers = plan.views.map((view, b) => {
      const renderer = new CpuVolsdfRenderer(this._field, {
        width: r,
        height: r,
        samples: plan.samples,
        beta: this._beta,
        background: view.background,
      });
      const tape = (this._tapes[b] ??= new VolsdfTape());
      const image = renderer.render(view.camera, this._jitter(plan, b), undefined, tape);
      this._views.set(image.pixels, b * 3 * pixels);
      return renderer;
    });
    return noisySamplesCpu(plan.method, plan.sizes, this._views, plan.noise, plan.coefficients) as Float32Array;
  }

  async update(plan: RefineStepPlan, predictions: Float32Array, readLosses: boolean): Promise<Float64Array | null> {
    const { renderResolution: r } = plan.sizes;
    if (this._renderers.length !== plan.views.length) throw new Error('update() needs the renderSamples() of its plan');
    const upstream = new Float32Array(this._views.length);
    const losses = guidanceGradientCpu(plan.method, plan.sizes, plan.guidanceScale, predictions, plan.noise,
      plan.coefficients, upstream);
    this._grads.fill(0);
    const image = 3 * r * r;
    this._renderers.forEach((renderer, b) => {
      renderer.backwardFromTape(this._tapes[b]!, upstream.subarray(b * image, (b + 1) * image),
        { planes: this._grads, decoder: null });
    });
    this._adam.step();
    return readLosses ? losses : null;
  }

  async readViews(): Promise<Float32Array> {
    return this._views.slice();
  }

  async readPlanes(): Promise<Float32Array> {
    return this.planes.slice();
  }

  private _jitter(plan: RefineStepPlan, view: number): Float32Array {
    const block = plan.sizes.renderResolution ** 2 * plan.samples;
    return plan.jitter.subarray(view * block, (view + 1) * block);
  }
}
