import * as Comlink from 'comlink';
import type { AdamOptions } from '../kernels/adam-options.js';
import type { OrbitCamera } from '../kernels/camera.js';
import type { VolsdfOptions } from '../kernels/volsdf-options.js';
import type {
  AdapterSummary,
  ComputeWorkerApi,
  DecodedPoints,
  FieldGradients,
  ModelTensorMap,
  RenderedImage,
  TriplaneFieldData,
} from '../workers/compute-protocol.js';
import { modelTensorType } from '../workers/compute-protocol.js';

/** Options of {@link ComputeWorker.spawn}. */
export interface ComputeWorkerOptions {
  /**
   * URL of dist/compute.worker.js. By default it is resolved next to this module, which is right when dist/ is served
   * as is, and when the app's bundler follows `new URL(..., import.meta.url)` (Vite and webpack do; this repository's
   * rollup.site.config.mjs does it for the demo).
   */
  workerUrl?: string | URL;
}

/**
 * Main-thread handle on a compute worker (src/workers/compute.worker.ts): a dedicated module worker with its own
 * GPUDevice. Arrays passed in are transferred to the worker, so they are detached after the call. Call
 * {@link dispose} to end the worker.
 */
export class ComputeWorker {
  private _remote: Comlink.Remote<ComputeWorkerApi> | undefined;

  private constructor(private readonly _worker: Worker) {
    this._remote = Comlink.wrap<ComputeWorkerApi>(_worker);
  }

  /** Starts a worker; its GPUDevice is requested on the first call that needs it. */
  static spawn(options: ComputeWorkerOptions = {}): ComputeWorker {
    // The literal `new Worker(new URL(...), ...)` form is what bundlers recognise, so it stays literal.
    const worker = options.workerUrl
      ? new Worker(options.workerUrl, { type: 'module', name: 'scaledreamer-compute' })
      : new Worker(new URL('./compute.worker.js', import.meta.url), { type: 'module', name: 'scaledreamer-compute' });
    return new ComputeWorker(worker);
  }

  /**
   * @throws {Error} if WebGPU is unavailable in the worker.
   */
  adapterInfo(): Promise<AdapterSummary> {
    return this._api().adapterInfo();
  }

  /**
   * Runs one Adam step per gradient on the GPU, starting from zero moments; returns the final parameters.
   * @param params transferred.
   * @param gradients transferred; each has `params.length` values.
   * @throws {RangeError} for mismatched lengths or out-of-range options.
   */
  adam(
    params: Float32Array<ArrayBuffer>,
    gradients: readonly Float32Array<ArrayBuffer>[],
    options: AdamOptions = {},
  ): Promise<Float32Array<ArrayBuffer>> {
    const transferables = [params.buffer, ...gradients.map((g) => g.buffer)];
    return this._api().adam(Comlink.transfer(params, transferables), gradients, options);
  }

  /**
   * Decodes SDF and albedo at `points` on the worker's GPU (triplane-decode.wgsl).
   * @param field its arrays are copied, not transferred (the caller usually keeps rendering with them).
   * @param points `[N, 3]`, transferred.
   * @throws {RangeError} if the arrays do not fit the shape, or the shape exceeds the kernel's limits.
   */
  decodeTriplane(field: TriplaneFieldData, points: Float32Array<ArrayBuffer>): Promise<DecodedPoints> {
    return this._api().decodeTriplane(field, Comlink.transfer(points, [points.buffer]));
  }

  /**
   * Renders one camera on the worker's GPU (volsdf-render.wgsl).
   * @param field copied, not transferred.
   * @param jitter `[H W, S]` sample offsets in [0, 1), transferred; null for the fixed 0.5.
   * @throws {RangeError} naming an option, camera field or array that is out of range.
   */
  renderTriplane(
    field: TriplaneFieldData,
    camera: OrbitCamera,
    options: VolsdfOptions,
    jitter: Float32Array<ArrayBuffer> | null = null,
  ): Promise<RenderedImage> {
    const api = this._api();
    return jitter
      ? api.renderTriplane(field, camera, options, Comlink.transfer(jitter, [jitter.buffer]))
      : api.renderTriplane(field, camera, options, null);
  }

  /**
   * Gradients of `sum(pixels * upstream)` for one camera on the worker's GPU (volsdf-backward.wgsl), from zero.
   * @param field copied, not transferred.
   * @param upstream `[3, H, W]`, transferred.
   * @param jitter as for {@link renderTriplane}, transferred.
   * @param decoderGradients whether to return the decoder's gradient too (it costs most of the atomics).
   * @throws {RangeError} naming an option, camera field or array that is out of range.
   */
  renderTriplaneBackward(
    field: TriplaneFieldData,
    camera: OrbitCamera,
    options: VolsdfOptions,
    upstream: Float32Array<ArrayBuffer>,
    jitter: Float32Array<ArrayBuffer> | null = null,
    decoderGradients = true,
  ): Promise<FieldGradients> {
    const transferables = jitter ? [upstream.buffer, jitter.buffer] : [upstream.buffer];
    return this._api().renderTriplaneBackward(field, camera, options, Comlink.transfer(upstream, transferables),
      jitter, decoderGradients);
  }

  /**
   * Runs an ONNX model once on the worker's GPUDevice (onnxruntime-web's WebGPU build).
   * @param model transferred.
   * @param feeds inputs by name: float32 (`Float32Array`), int32 (`Int32Array`) or int64 (`BigInt64Array`, e.g. a
   *   text encoder's `input_ids`), the array's class giving the element type. Their buffers are transferred (each
   *   once, however many arrays view it), so the arrays are detached after the call; onnxruntime copies them into
   *   its memory once, in the worker.
   * @returns the outputs by name, float32, int32 or int64, in arrays of their own (transferred back).
   * @throws {TypeError} (before anything is transferred) if a feed's array is of another class or `dims` is not an
   *   array of non-negative integers.
   * @throws {RangeError} (before anything is transferred) if a feed's `dims` do not multiply to its length.
   * @throws {TypeError} if an output is of another type.
   */
  runModel(model: Uint8Array<ArrayBuffer>, feeds: ModelTensorMap): Promise<ModelTensorMap> {
    const api = this._api();
    for (const [name, { data, dims }] of Object.entries(feeds)) {
      if (!modelTensorType(data)) {
        throw new TypeError(`feeds.${name}.data must be a Float32Array, Int32Array or BigInt64Array`);
      }
      if (!Array.isArray(dims) || !dims.every((dim) => Number.isInteger(dim) && dim >= 0)) {
        throw new TypeError(`feeds.${name}.dims must be an array of non-negative integers`);
      }
      const size = dims.reduce((product, dim) => product * dim, 1);
      if (size !== data.length) {
        throw new RangeError(`feeds.${name}.dims [${dims.join(', ')}] hold ${size} values; its data has ${data.length}`);
      }
    }
    const transferables = new Set<ArrayBuffer>([model.buffer, ...Object.values(feeds).map(({ data }) => data.buffer)]);
    return api.runModel(Comlink.transfer(model, [...transferables]), feeds);
  }

  /** Ends the worker and releases its GPU resources. Idempotent; other methods throw afterwards. */
  dispose(): void {
    if (!this._remote) return;
    this._remote[Comlink.releaseProxy]();
    this._remote = undefined;
    this._worker.terminate();
  }

  private _api(): Comlink.Remote<ComputeWorkerApi> {
    if (!this._remote) throw new Error('ComputeWorker used after dispose()');
    return this._remote;
  }
}
