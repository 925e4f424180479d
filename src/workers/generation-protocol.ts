/**
 * What crosses the boundary between the main thread (src/plugin/generation-pool.ts) and generation.worker.ts.
 * Everything here is structured-cloneable; model bytes and mesh arrays are transferred, never copied.
 */
import type { TriplaneShape } from '../kernels/triplane-layout.js';
import type { BabylonMeshArrays } from '../mesh/babylon-space.js';
import type { GuidanceMethod } from '../kernels/guidance-options.js';
import type { WordTokenizerConfig } from '../text/word-tokenizer.js';
import type { AdapterSummary } from './compute-protocol.js';
import type { ResourceCounts } from './resource-counters.js';

/**
 * Where the worker runs the ONNX models.
 * - `'wasm'`: onnxruntime-web's WebAssembly build; threads when the page is cross-origin isolated.
 * - `'webgpu'`: onnxruntime-web's WebGPU build on the worker's own GPUDevice; fails if WebGPU is unavailable.
 * - `'auto'`: WebGPU on a hardware adapter, WASM otherwise (no WebGPU, only a software fallback adapter such as
 *   SwiftShader, or a WebGPU session that fails to start).
 */
export type GenerationBackend = 'auto' | 'webgpu' | 'wasm';

/** The backend a worker actually uses. */
export type ResolvedBackend = 'webgpu' | 'wasm';

/** The pack's files that a generation worker needs, each the worker's own copy (transferred). */
export interface GenerationModels {
  /** text_encoder.onnx: `input_ids` int64 `[batch, L]` -> `hidden` float32 `[batch, L, D]`. */
  readonly textEncoder: Uint8Array<ArrayBuffer>;
  /** generator.onnx: `text_states` float32 `[batch, L, D]` -> `triplane` float32 `[batch, 3, C, R, R]`. */
  readonly generator: Uint8Array<ArrayBuffer>;
  /** The triplane decoder: C, H and R, and its weights in decoder.bin order. */
  readonly decoder: { readonly shape: TriplaneShape; readonly weights: Float32Array<ArrayBuffer> };
}

/** How a worker is set up, besides its models. */
export interface GenerationWorkerConfig {
  readonly backend: GenerationBackend;
  /** onnxruntime-web's WASM threads; undefined for its default (several when cross-origin isolated, else 1). */
  readonly threads: number | undefined;
}

/** What {@link GenerationWorkerApi.init} reports once the sessions exist. */
export interface GenerationWorkerInfo {
  readonly backend: ResolvedBackend;
  /** The adapter, when the backend is WebGPU. */
  readonly adapter: AdapterSummary | null;
  /** Why `'auto'` fell back to WASM; null when it did not. */
  readonly fallbackReason: string | null;
  /** Milliseconds spent creating the two ONNX sessions. */
  readonly sessionMs: number;
  /** Whether the WASM backend may use threads (the worker is cross-origin isolated). */
  readonly crossOriginIsolated: boolean;
}

/** One prompt to mesh. */
export interface GenerationRequest {
  /** The tokenized prompt, `[1, L]` (the tokenizer runs on the main thread, so bad prompts fail before queuing). */
  readonly inputIds: BigInt64Array<ArrayBuffer>;
  /** Marching-cubes grid points per axis. */
  readonly gridSize: number;
  /** Keep the triplane in the worker for a {@link GenerationWorkerApi.refine} that follows. Default false. */
  readonly keepTriplane?: boolean;
}

/** The pipeline's stages, in order, as the worker enters them. */
export type WorkerStage = 'encoding' | 'generating' | 'meshing';

/** Milliseconds per stage of one generation inside the worker. */
export interface WorkerTimings {
  readonly encodeMs: number;
  readonly generateMs: number;
  /** Decoding the triplane at grid points and vertices (CPU kernels). */
  readonly decodeMs: number;
  /** Marching cubes itself, decoding excluded. */
  readonly marchingCubesMs: number;
  /** Asset space -> Babylon space. */
  readonly convertMs: number;
  readonly totalMs: number;
}

/** A generated mesh, ready for `VertexData`, with what it took. */
export interface GeneratedMeshData extends BabylonMeshArrays {
  readonly timings: WorkerTimings;
  /** Grid points whose SDF was decoded (coarse-to-fine skips the rest). */
  readonly evaluatedPoints: number;
}

/**
 * The `name` of the error that {@link GenerationWorkerApi.generate} rejects with when the worker's GPUDevice is lost
 * (before or during the job). Errors cross comlink as name, message and stack, so the name is the contract; the pool
 * replaces such a worker with a WASM one and runs the job again.
 */
export const DEVICE_LOST_ERROR_NAME = 'GpuDeviceLostError';

/**
 * What refinement needs besides the generation models: the prior's UNet and what goes with it. Sent to a worker
 * once, with its first refinement job (generation-only workers never hold the UNet).
 */
export interface RefinementModels {
  /** unet.onnx: `sample`, `timestep`, `encoder_hidden_states`, `camera` -> `noise` (docs/model-pack.md). */
  readonly unet: Uint8Array<ArrayBuffer>;
  /** vocab.json, for the view prompts ("<prompt>, front view", ...) and the unconditional one. */
  readonly tokenizer: WordTokenizerConfig;
  /** The prior's schedule: T and alphabar_t. */
  readonly schedule: { readonly numTrainTimesteps: number; readonly alphasCumprod: Float64Array<ArrayBuffer> };
  /** The prior's R and unconditional prompt. */
  readonly resolution: number;
  readonly unconditionalPrompt: string;
  /** The decoder's renderer defaults: samples per ray and VolSDF's beta. */
  readonly renderer: { readonly samples: number; readonly beta: number };
}

/** One refinement of the triplane of the worker's last generation (src/refine, docs/refinement.md). */
export interface RefineRequest {
  /** The prompt, without a view suffix. */
  readonly prompt: string;
  readonly method: GuidanceMethod;
  readonly steps: number;
  readonly eta: number;
  readonly guidanceScale: number;
  readonly seed: number;
  /** Side of the rendered views, a divisor of the prior's R. */
  readonly resolution: number;
  /** Remesh (and send the mesh) every this many steps, and after the last. */
  readonly meshEvery: number;
  /** Marching-cubes grid of the remeshes. */
  readonly gridSize: number;
  /** Words outside the vocabulary: as the generation's prompt was checked. */
  readonly unknownWords: 'strict' | 'lenient';
  /** CPU threads for the render and backward (WASM backend): the worker and `threads - 1` band workers; null: one per core, up to 4. */
  readonly threads: number | null;
}

/** The views one refinement step rendered for the prior, before upsampling: `rgb` is `[count, 3, side, side]` in [0, 1]. */
export interface RefineViews {
  readonly count: number;
  readonly side: number;
  readonly rgb: Float32Array<ArrayBuffer>;
}

/**
 * One refinement step, sent as it ends; `mesh` and `views` every `meshEvery` steps (their arrays transferred), null
 * otherwise.
 */
export interface RefineUpdate {
  /** Steps done, 1 .. steps. */
  readonly step: number;
  readonly steps: number;
  /** guidance.py's loss at this step (the mean over its views of 0.5 sum(g^2)). */
  readonly loss: number;
  readonly mesh: (BabylonMeshArrays & { readonly meshMs: number }) | null;
  readonly views: RefineViews | null;
}

/** How a refinement ended (it resolves only when all steps ran; a stopped one rejects with an AbortError). */
export interface RefineSummary {
  readonly steps: number;
  readonly finalLoss: number;
  /** Mean wall time of a step in the worker (plan, render, prior, update; remeshing excluded). */
  readonly msPerStep: number;
  /**
   * The same split by stage: rendering the views and the noisy samples, the UNet, and the guidance gradient with
   * the renderer's backward and Adam.
   */
  readonly stageMsPerStep: { readonly render: number; readonly prior: number; readonly update: number };
  /** Milliseconds creating the UNet session (0 when the worker had it already). */
  readonly sessionMs: number;
  readonly totalMs: number;
  /** Threads that rendered and backpropagated: the worker and the band workers that started (1 on WebGPU). */
  readonly threads: number;
}

/** The API that generation.worker.ts exposes through comlink. */
export interface GenerationWorkerApi {
  /**
   * Takes the Web Lock `name` and holds it for as long as the worker lives; resolves once it is held. The main thread
   * then requests the same lock, which is granted when the worker ends (terminated, crashed, closed itself).
   * Resolves false, holding nothing, where Web Locks are unavailable.
   */
  holdLifeLock(name: string): Promise<boolean>;
  /**
   * Creates the ONNX sessions and keeps the decoder. Called once, after holdLifeLock and before generate.
   * @throws {Error} if the backend cannot start (e.g. `'webgpu'` without WebGPU) or a model does not load.
   */
  init(models: GenerationModels, config: GenerationWorkerConfig): Promise<GenerationWorkerInfo>;
  /**
   * Prompt ids -> text states -> triplane -> mesh; `onStage` is called as each stage starts. The arrays of the
   * result are transferred.
   */
  generate(request: GenerationRequest, onStage: (stage: WorkerStage) => void): Promise<GeneratedMeshData>;
  /**
   * Refines the triplane of this worker's last {@link generate} (once; a second refine of it throws) with score
   * distillation against the pack's prior on the worker's backend (CPU kernels on WASM; WGSL kernels and GPU tensors
   * on WebGPU), the UNet on the worker's onnxruntime sessions.
   * `onUpdate` is called (and awaited) after every step; every `meshEvery` steps it carries the remeshed arrays.
   * `models` are needed on the worker's first refinement only (they are transferred; pass null afterwards).
   * @throws {Error} without a triplane to refine, or without models on the first call.
   * @throws an AbortError once {@link stopRefinement} is called (between steps, or a step's stages).
   */
  refine(
    request: RefineRequest,
    models: RefinementModels | null,
    onUpdate: (update: RefineUpdate) => void,
  ): Promise<RefineSummary>;
  /** Stops the running refinement, if any, at its next check; returns whether one was running. */
  stopRefinement(): boolean;
  /** Releases the sessions. The worker can then be terminated. */
  release(): Promise<void>;
  /** What this worker has created and released so far (resource-counters.ts). */
  resourceCounts(): ResourceCounts;
  /**
   * Test hook: destroys the worker's GPUDevice, as a driver reset or a lost GPU would, so that tests can check the
   * fallback to WASM. Returns false, doing nothing, when the worker has no device (WASM backend, or before init).
   */
  loseDeviceForTesting(): boolean;
}
