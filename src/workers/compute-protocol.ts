/**
 * What crosses the boundary between the main thread ({@link ComputeWorker}) and compute.worker.ts. Everything here is
 * structured-cloneable; large arrays are transferred, not copied.
 */
import type { AdamOptions } from '../kernels/adam-options.js';
import type { OrbitCamera } from '../kernels/camera.js';
import type { TriplaneShape } from '../kernels/triplane-layout.js';
import type { VolsdfOptions } from '../kernels/volsdf-options.js';

/** The adapter behind the worker's GPUDevice (GPUAdapterInfo's fields), e.g. to show that SwiftShader is in use. */
export interface AdapterSummary {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
}

/**
 * A tensor in row-major order whose element type is its array's class. The class is the tag: it survives structured
 * cloning and cannot disagree with the data, as a separate `type` field could.
 */
export interface ModelTensorOf<T extends ModelTensorData> {
  readonly dims: readonly number[];
  readonly data: T;
}

/** The arrays of the element types that {@link ComputeWorkerApi.runModel} takes and returns. */
export type ModelTensorData = Float32Array<ArrayBuffer> | Int32Array<ArrayBuffer> | BigInt64Array<ArrayBuffer>;

/** ONNX `float` (float32). */
export type Float32Tensor = ModelTensorOf<Float32Array<ArrayBuffer>>;
/** ONNX `int32`. */
export type Int32Tensor = ModelTensorOf<Int32Array<ArrayBuffer>>;
/** ONNX `int64`, e.g. a text encoder's `input_ids`. */
export type Int64Tensor = ModelTensorOf<BigInt64Array<ArrayBuffer>>;
/** A model input or output. */
export type ModelTensor = Float32Tensor | Int32Tensor | Int64Tensor;

/** Model inputs or outputs by name. */
export type ModelTensorMap = Record<string, ModelTensor>;
/** Float32-only inputs or outputs by name. */
export type Float32TensorMap = Record<string, Float32Tensor>;

/** The onnxruntime element type of a {@link ModelTensor}'s array, or null for another array. */
export function modelTensorType(data: unknown): 'float32' | 'int32' | 'int64' | null {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof BigInt64Array) return 'int64';
  return null;
}

/** A triplane field's tensors (docs/triplane.md). */
export interface TriplaneFieldData {
  readonly shape: TriplaneShape;
  /** `[3, C, R, R]`. */
  readonly planes: Float32Array<ArrayBuffer>;
  /** Flat, in decoder.bin order. */
  readonly decoder: Float32Array<ArrayBuffer>;
}

/** SDF `[N]` and albedo `[N, 3]` of a batch of points. */
export interface DecodedPoints {
  readonly sdf: Float32Array<ArrayBuffer>;
  readonly albedo: Float32Array<ArrayBuffer>;
}

/** One rendered camera: pixels `[3, H, W]`, opacity and depth `[H, W]`. */
export interface RenderedImage {
  readonly pixels: Float32Array<ArrayBuffer>;
  readonly opacity: Float32Array<ArrayBuffer>;
  readonly depth: Float32Array<ArrayBuffer>;
}

/** Gradients w.r.t. a field's planes `[3, C, R, R]` and, when asked for, its decoder (decoder.bin order). */
export interface FieldGradients {
  readonly planes: Float32Array<ArrayBuffer>;
  readonly decoder: Float32Array<ArrayBuffer> | null;
}

/** The API that compute.worker.ts exposes through comlink. */
export interface ComputeWorkerApi {
  /** Describes the adapter of the worker's GPUDevice, requesting the device on first use. */
  adapterInfo(): Promise<AdapterSummary>;
  /** Runs one Adam step per entry of `gradients` on the GPU, from zero moments, and returns the final parameters. */
  adam(
    params: Float32Array<ArrayBuffer>,
    gradients: readonly Float32Array<ArrayBuffer>[],
    options: AdamOptions,
  ): Promise<Float32Array<ArrayBuffer>>;
  /** Decodes SDF and albedo at `points` (`[N, 3]`) with the WGSL triplane kernel. */
  decodeTriplane(field: TriplaneFieldData, points: Float32Array<ArrayBuffer>): Promise<DecodedPoints>;
  /** Renders one camera with the WGSL VolSDF kernel; `jitter` is `[H W, S]` offsets, or null for 0.5. */
  renderTriplane(
    field: TriplaneFieldData,
    camera: OrbitCamera,
    options: VolsdfOptions,
    jitter: Float32Array<ArrayBuffer> | null,
  ): Promise<RenderedImage>;
  /**
   * Gradients of `sum(pixels * upstream)` for one camera with the WGSL backward kernel, from zero; `upstream` is
   * `[3, H, W]`.
   */
  renderTriplaneBackward(
    field: TriplaneFieldData,
    camera: OrbitCamera,
    options: VolsdfOptions,
    upstream: Float32Array<ArrayBuffer>,
    jitter: Float32Array<ArrayBuffer> | null,
    decoderGradients: boolean,
  ): Promise<FieldGradients>;
  /**
   * Runs an ONNX model once with onnxruntime-web's WebGPU execution provider on the worker's GPUDevice. Inputs and
   * outputs are float32, int32 or int64.
   */
  runModel(model: Uint8Array<ArrayBuffer>, feeds: ModelTensorMap): Promise<ModelTensorMap>;
}
