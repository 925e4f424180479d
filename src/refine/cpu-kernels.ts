/**
 * {@link RefineKernels} on the CPU twins: CpuVolsdfRenderer (forward, backward into the planes), the guidance step
 * (guidance-cpu.ts) and CpuAdam. Runs anywhere (Node, the WASM worker); float64 arithmetic on float32 tensors. Only
 * the planes are optimised; the decoder is the pack's, frozen. Each view's render keeps its forward in a VolsdfTape
 * (one per view, reused across steps: up to 36 MB for a 32x32 view at S = 48 with the default pack), so that the
 * update backpropagates without tracing the rays again.
 *
 * With band workers (option `bands`: refine-band.worker.ts in the browser), each view's rows are split between this
 * thread and the workers, which render and backpropagate their bands at the same time (band-renderer.ts); their
 * planes' gradients are summed here before Adam. Pixels are the single thread's bit for bit; the gradient differs
 * from it by float32 rounding only (the bands' sums are added in another order).
 */
import { CpuAdam } from '../kernels/adam-cpu.js';
import { guidanceGradientCpu, noisySamplesCpu } from '../kernels/guidance-cpu.js';
import type { TriplaneShape } from '../kernels/triplane-layout.js';
import { DEFAULT_BETA } from '../kernels/volsdf-options.js';
import { bandOf, BandRenderer, placeBand, splitRows, type BandView } from './band-renderer.js';
import { DEFAULT_REFINE_ADAM_EPSILON, DEFAULT_REFINE_LEARNING_RATE } from './refine-options.js';
import type { RefineKernels } from './refine-backend.js';
import type { RefineStepPlan } from './step-plan.js';

/** A band renderer on another thread (a band worker), made with this object's shape, decoder and beta. */
export interface RemoteBandRenderer {
  /** Sets its planes to `planes` and renders its band of each view (BandRenderer.render). */
  render(views: readonly BandView[], planes: Float32Array): Promise<Float32Array[]>;
  /** The planes' gradient of its bands (BandRenderer.backward into zeros). */
  backward(upstreams: readonly Float32Array[]): Promise<Float32Array>;
}

export interface CpuRefineKernelsOptions {
  /** Adam's step size on the planes, > 0. Default 1e-2. */
  readonly learningRate?: number;
  /** Adam's epsilon, > 0. Default 1e-8. */
  readonly adamEpsilon?: number;
  /** VolSDF's beta, > 0. Default 0.03 (pass the pack decoder's). */
  readonly beta?: number;
  /** Band workers sharing each view's rows with this thread; none by default. */
  readonly bands?: readonly RemoteBandRenderer[];
}

export class CpuRefineKernels implements RefineKernels<Float32Array, Float32Array> {
  /** The planes being refined (a copy of the initial ones), updated in place by each step. */
  readonly planes: Float32Array;
  private readonly _grads: Float32Array;
  private readonly _adam: CpuAdam;
  /** This thread's band, over `planes`, and the band workers'. */
  private readonly _local: BandRenderer;
  private readonly _remote: readonly RemoteBandRenderer[];
  /** The last renderSamples' bands (this thread's first) and views. */
  private _rows: [number, number][] = [];
  private _views: Float32Array = new Float32Array(0);

  /**
   * @param planes `[3, C, R, R]`, copied.
   * @param decoder flat decoder weights in decoder.bin order (not copied, never written).
   * @throws {RangeError} if a size, a length or an option is out of range.
   */
  constructor(shape: TriplaneShape, planes: Float32Array, decoder: Float32Array, options: CpuRefineKernelsOptions = {}) {
    this.planes = planes.slice();
    this._grads = new Float32Array(planes.length);
    this._local = new BandRenderer({
      shape,
      decoder,
      beta: options.beta ?? DEFAULT_BETA,
    }, this.planes);
    this._remote = options.bands ?? [];
    this._adam = new CpuAdam(this.planes, this._grads, {
      learningRate: options.learningRate ?? DEFAULT_REFINE_LEARNING_RATE,
      epsilon: options.adamEpsilon ?? DEFAULT_REFINE_ADAM_EPSILON,
    });
  }

  async renderSamples(plan: RefineStepPlan): Promise<Float32Array> {
    const { batch: B, renderResolution: r } = plan.sizes;
    const image = 3 * r * r;
    this._rows = splitRows(r, 1 + this._remote.length);
    const viewsOf = (rows: [number, number], copy: boolean): BandView[] => plan.views.map((view, b) => {
      const block = r * plan.samples;
      const jitter = plan.jitter.subarray((b * r + rows[0]) * block, (b * r + rows[1]) * block);
      // A posted subarray would carry its whole buffer.
      return { camera: view.camera, background: view.background, side: r, samples: plan.samples, rows,
        jitter: copy ? jitter.slice() : jitter };
    });
    // The workers' bands are posted first, so that they render while this thread renders its own.
    const remote = this._rows.slice(1).map((rows, i) => this._remote[i]!.render(viewsOf(rows, true), this.planes));
    const local = this._local.render(viewsOf(this._rows[0]!, false));
    const bands = [local, ...(await Promise.all(remote))];
    this._views = new Float32Array(B * image);
    bands.forEach((pixels, i) => pixels.forEach((band, b) => {
      placeBand(band, r, this._rows[i]!, this._views.subarray(b * image, (b + 1) * image));
    }));
    return noisySamplesCpu(plan.method, plan.sizes, this._views, plan.noise, plan.coefficients) as Float32Array;
  }

  async update(plan: RefineStepPlan, predictions: Float32Array, readLosses: boolean): Promise<Float64Array | null> {
    const { batch: B, renderResolution: r } = plan.sizes;
    if (this._rows.length === 0 || this._views.length !== B * 3 * r * r) {
      throw new Error('update() needs the renderSamples() of its plan');
    }
    const upstream = new Float32Array(this._views.length);
    const losses = guidanceGradientCpu(plan.method, plan.sizes, plan.guidanceScale, predictions, plan.noise,
      plan.coefficients, upstream);
    const image = 3 * r * r;
    const upstreamsOf = (rows: [number, number]): Float32Array[] => Array.from({ length: B }, (_, b) =>
      bandOf(upstream.subarray(b * image, (b + 1) * image), r, rows));
    const remote = this._rows.slice(1).map((rows, i) => this._remote[i]!.backward(upstreamsOf(rows)));
    this._grads.fill(0);
    this._local.backward(upstreamsOf(this._rows[0]!), this._grads);
    for (const gradient of await Promise.all(remote)) {
      for (let i = 0; i < gradient.length; i++) this._grads[i] = this._grads[i]! + gradient[i]!;
    }
    this._rows = [];
    this._adam.step();
    return readLosses ? losses : null;
  }

  async readViews(): Promise<Float32Array> {
    return this._views.slice();
  }

  async readPlanes(): Promise<Float32Array> {
    return this.planes.slice();
  }
}
