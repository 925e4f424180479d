/**
 * Creates the generation pipeline's onnxruntime-web sessions on the chosen backend (generation-protocol.ts,
 * `GenerationBackend`).
 *
 * Each backend is its own onnxruntime-web build, imported lazily into its own chunk: `onnxruntime-web/wasm` (the
 * plain WebAssembly build, ort-wasm-simd-threaded.wasm) and `onnxruntime-web/webgpu` (the WebGPU build, which takes
 * our own GPUDevice, ort-wasm-simd-threaded.asyncify.wasm). Each finds its .wasm beside its chunk and starts its
 * threads from its chunk's URL, which therefore must not be the worker entry that calls `Comlink.expose`.
 */
import type { InferenceSession } from 'onnxruntime-web';
import type { GpuTensorConstructor } from '../refine/gpu-prior.js';
import { UNET_OUTPUT } from '../refine/onnx-prior.js';
import type { AdapterSummary } from './compute-protocol.js';
import {
  GenerationPipeline,
  TEXT_ENCODER_OUTPUT,
  type TensorConstructor,
} from './generation-pipeline.js';
import type { GenerationBackend, GenerationModels, ResolvedBackend } from './generation-protocol.js';
import { describeDeviceLoss, requestComputeDevice, type ComputeDevice } from './gpu-device.js';
import { countCreated, countReleased } from './resource-counters.js';

/** The pipeline with what was chosen to run it. */
export interface StartedPipeline {
  readonly pipeline: GenerationPipeline;
  readonly backend: ResolvedBackend;
  readonly adapter: AdapterSummary | null;
  readonly fallbackReason: string | null;
  /**
   * Resolves with a one-line description once the GPUDevice that the sessions run on is lost (destroyed, driver
   * reset); never settles on WASM. The sessions are unusable from then on.
   */
  readonly deviceLost: Promise<string>;
  /**
   * What refinement's prior runs on: the same onnxruntime build, backend and options as the pipeline. `createSession`
   * makes the UNet's session, which the caller releases with `releaseSession` (both counted as `ortSession`); the text
   * encoder is the pipeline's own (the prior's text_encoder.onnx). On WebGPU both leave their outputs on the device
   * (`preferredOutputLocation` 'gpu-buffer': `hidden`, and the UNet's `noise`), for GpuRefinePrior.
   */
  readonly prior: {
    /** The sessions' GPUDevice on WebGPU, where refinement's WGSL kernels run too; null on WASM. */
    readonly device: GPUDevice | null;
    readonly textEncoder: InferenceSession;
    /** The build's Tensor class (`fromGpuBuffer` is for WebGPU only). */
    readonly Tensor: GpuTensorConstructor;
    createSession(model: Uint8Array): Promise<InferenceSession>;
    releaseSession(session: InferenceSession): Promise<void>;
  };
  /** Destroys the GPUDevice, if any (the test hook behind `loseDeviceForTesting`); returns whether there was one. */
  destroyDevice(): boolean;
  /** Releases both sessions (and destroys the GPUDevice, if any). */
  release(): Promise<void>;
}

/**
 * Starts the sessions on `backend`; `'auto'` tries WebGPU on a hardware adapter and falls back to WASM, saying why.
 * The model bytes are handed to onnxruntime and must not be used afterwards.
 * @throws {Error} if `'webgpu'` is asked for and WebGPU is unavailable, or a model does not load.
 */
export async function startGenerationPipeline(
  models: GenerationModels,
  backend: GenerationBackend,
  threads: number | undefined,
): Promise<StartedPipeline> {
  if (backend === 'wasm') return startWasm(models, threads, null);
  let gpu: ComputeDevice;
  try {
    gpu = await requestComputeDevice();
  } catch (error) {
    if (backend === 'webgpu') throw error;
    return startWasm(models, threads, (error as Error).message);
  }
  if (backend === 'auto' && gpu.isFallbackAdapter) {
    gpu.device.destroy();
    const name = [gpu.adapter.vendor, gpu.adapter.architecture].filter(Boolean).join(' ');
    return startWasm(models, threads, `the only WebGPU adapter is a software fallback (${name || 'unnamed'})`);
  }
  try {
    return await startWebGpu(models, gpu);
  } catch (error) {
    gpu.device.destroy();
    if (backend === 'webgpu') throw error;
    return startWasm(models, threads, `WebGPU sessions failed to start: ${(error as Error).message}`);
  }
}

async function startWasm(
  models: GenerationModels,
  threads: number | undefined,
  fallbackReason: string | null,
): Promise<StartedPipeline> {
  const ort = await import('onnxruntime-web/wasm');
  if (threads !== undefined) ort.env.wasm.numThreads = threads;
  const options: InferenceSession.SessionOptions = { executionProviders: ['wasm'], graphOptimizationLevel: 'all' };
  const [textEncoder, generator] = await createBoth(ort.InferenceSession, models, options, options);
  return {
    pipeline: new GenerationPipeline({ textEncoder, generator, decoder: models.decoder },
      ort.Tensor as TensorConstructor),
    backend: 'wasm',
    adapter: null,
    fallbackReason,
    prior: priorParts(ort, textEncoder, options, null),
    deviceLost: new Promise<string>(() => {}),
    destroyDevice: () => false,
    release: async () => {
      await Promise.all([releaseSession(textEncoder), releaseSession(generator)]);
    },
  };
}

async function startWebGpu(models: GenerationModels, gpu: ComputeDevice): Promise<StartedPipeline> {
  const ort = await import('onnxruntime-web/webgpu');
  const provider = { name: 'webgpu', device: gpu.device } as const;
  const base: InferenceSession.SessionOptions = { executionProviders: [provider], graphOptimizationLevel: 'all' };
  // The text states stay on the GPU: they only feed the generator, on the same device.
  const encoderOptions = { ...base, preferredOutputLocation: { [TEXT_ENCODER_OUTPUT]: 'gpu-buffer' as const } };
  const [textEncoder, generator] = await createBoth(ort.InferenceSession, models, encoderOptions, base);
  return {
    pipeline: new GenerationPipeline({ textEncoder, generator, decoder: models.decoder },
      ort.Tensor as TensorConstructor),
    backend: 'webgpu',
    adapter: gpu.adapter,
    fallbackReason: null,
    // The UNet's noise stays on the GPU too: the guidance kernel reads it on the same device.
    prior: priorParts(ort, textEncoder, { ...base, preferredOutputLocation: { [UNET_OUTPUT]: 'gpu-buffer' } },
      gpu.device),
    deviceLost: gpu.device.lost.then(describeDeviceLoss),
    destroyDevice: () => {
      gpu.device.destroy();
      return true;
    },
    release: async () => {
      await Promise.all([releaseSession(textEncoder), releaseSession(generator)]);
      gpu.device.destroy();
    },
  };
}

/** {@link StartedPipeline.prior} for one onnxruntime build and the UNet's session options. */
function priorParts(
  ort: { readonly InferenceSession: typeof InferenceSession; readonly Tensor: unknown },
  textEncoder: InferenceSession,
  unetOptions: InferenceSession.SessionOptions,
  device: GPUDevice | null,
): StartedPipeline['prior'] {
  return {
    device,
    textEncoder,
    Tensor: ort.Tensor as GpuTensorConstructor,
    createSession: async (model) => {
      const session = await ort.InferenceSession.create(model, unetOptions);
      countCreated('ortSession');
      return session;
    },
    releaseSession,
  };
}

/**
 * Creates both sessions, one after the other (the WebGPU build refuses to create two at once: "another WebGPU EP
 * inference session is being created"); if the second fails, releases the first. Errors name the model.
 */
async function createBoth(
  factory: typeof InferenceSession,
  models: GenerationModels,
  encoderOptions: InferenceSession.SessionOptions,
  generatorOptions: InferenceSession.SessionOptions,
): Promise<[InferenceSession, InferenceSession]> {
  const create = async (file: string, bytes: Uint8Array, options: InferenceSession.SessionOptions) => {
    let session: InferenceSession;
    try {
      session = await factory.create(bytes, options);
    } catch (error) {
      throw new Error(`${file} failed to load: ${(error as Error).message ?? String(error)}`, { cause: error });
    }
    countCreated('ortSession');
    return session;
  };
  const textEncoder = await create('text_encoder.onnx', models.textEncoder, encoderOptions);
  try {
    return [textEncoder, await create('generator.onnx', models.generator, generatorOptions)];
  } catch (error) {
    await releaseSession(textEncoder);
    throw error;
  }
}

/** Releases a session made by {@link createBoth}, counting it. */
async function releaseSession(session: InferenceSession): Promise<void> {
  await session.release();
  countReleased('ortSession');
}
