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
import type { AdapterSummary } from './compute-protocol.js';
import {
  GenerationPipeline,
  TEXT_ENCODER_OUTPUT,
  type TensorConstructor,
} from './generation-pipeline.js';
import type { GenerationBackend, GenerationModels, ResolvedBackend } from './generation-protocol.js';
import { requestComputeDevice, type ComputeDevice } from './gpu-device.js';

/** The pipeline with what was chosen to run it. */
export interface StartedPipeline {
  readonly pipeline: GenerationPipeline;
  readonly backend: ResolvedBackend;
  readonly adapter: AdapterSummary | null;
  readonly fallbackReason: string | null;
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
    release: async () => {
      await Promise.all([textEncoder.release(), generator.release()]);
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
    release: async () => {
      await Promise.all([textEncoder.release(), generator.release()]);
      gpu.device.destroy();
    },
  };
}

/** Creates both sessions; if one fails, releases the other and throws naming the model. */
async function createBoth(
  factory: typeof InferenceSession,
  models: GenerationModels,
  encoderOptions: InferenceSession.SessionOptions,
  generatorOptions: InferenceSession.SessionOptions,
): Promise<[InferenceSession, InferenceSession]> {
  const named = (file: string) => (error: unknown) => {
    throw new Error(`${file} failed to load: ${(error as Error).message ?? String(error)}`, { cause: error });
  };
  const settled = await Promise.allSettled([
    factory.create(models.textEncoder, encoderOptions).catch(named('text_encoder.onnx')),
    factory.create(models.generator, generatorOptions).catch(named('generator.onnx')),
  ]);
  const [encoder, generator] = settled;
  if (encoder.status === 'fulfilled' && generator.status === 'fulfilled') return [encoder.value, generator.value];
  for (const result of settled) if (result.status === 'fulfilled') await result.value.release();
  throw (encoder.status === 'rejected' ? encoder.reason : (generator as PromiseRejectedResult).reason) as Error;
}
