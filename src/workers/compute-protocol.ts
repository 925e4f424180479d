/**
 * What crosses the boundary between the main thread ({@link ComputeWorker}) and compute.worker.ts. Everything here is
 * structured-cloneable; large arrays are transferred, not copied.
 */
import type { AdamOptions } from '../kernels/adam-options.js';

/** The adapter behind the worker's GPUDevice (GPUAdapterInfo's fields), e.g. to show that SwiftShader is in use. */
export interface AdapterSummary {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
}

/** A float32 tensor in row-major order. */
export interface Float32Tensor {
  readonly dims: readonly number[];
  readonly data: Float32Array<ArrayBuffer>;
}

/** Model inputs or outputs by name. */
export type Float32TensorMap = Record<string, Float32Tensor>;

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
  /** Runs an ONNX model once with onnxruntime-web's WebGPU execution provider on the worker's GPUDevice. */
  runModel(model: Uint8Array<ArrayBuffer>, feeds: Float32TensorMap): Promise<Float32TensorMap>;
}
