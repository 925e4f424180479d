/**
 * Options of {@link createScaleDreamer} and {@link ScaleDreamer.generate}, and their checks: each bad value is a
 * TypeError (wrong type) or RangeError (out of range) naming the option and what is allowed, thrown before any work.
 */
import type { ModelPack } from '../pack/model-pack.js';
import { MAX_GRID_RESOLUTION, MIN_GRID_RESOLUTION } from '../mesh/marching-cubes.js';
import type { GenerationBackend } from '../workers/generation-protocol.js';
import {
  MAX_REFINE_STEPS,
  MAX_REFINE_THREADS,
  resolveRefinementOptions,
  type RefinementContext,
} from '../refine/refine-options.js';

/** Options of {@link createScaleDreamer}. */
export interface ScaleDreamerOptions {
  /**
   * The model pack (docs/model-pack.md), which must have a generator:
   * - a folder URL (or a string relative to the page): loaded and verified with `loadModelPack` (test files skipped)
   *   and released by {@link ScaleDreamer.dispose};
   * - a loaded {@link ModelPack}: used as is and left to its owner (do not release it before the plugin).
   */
  pack: ModelPack | string | URL;
  /**
   * Where the workers run the text encoder and the generator (marching cubes always runs on the workers' CPU):
   * - `'wasm'` (default): onnxruntime-web's WebAssembly build, with threads when the page is cross-origin isolated;
   * - `'webgpu'`: onnxruntime-web's WebGPU build on each worker's GPUDevice; jobs fail if WebGPU is unavailable;
   * - `'auto'`: WebGPU on a hardware adapter, else WASM (no WebGPU, a software adapter such as SwiftShader, or
   *   sessions that fail to start). The mesh's metadata says which ran, and why it fell back.
   */
  backend?: GenerationBackend;
  /** Generation workers, each running one job at a time with its own sessions: an integer in [1, 8]. Default 1. */
  workers?: number;
  /**
   * Jobs that may wait for a worker: an integer in [0, 1024]. Default 16. Beyond it, a job rejects with
   * `QueueFullError`.
   */
  maxQueuedJobs?: number;
  /**
   * onnxruntime-web WASM threads per worker: an integer in [1, 16]. Default: onnxruntime's (up to 4 when the page is
   * cross-origin isolated, else 1). The WebGPU backend ignores it.
   */
  threads?: number;
  /**
   * Makes one generation worker. Default: a module worker from dist/generation.worker.js, resolved next to the
   * library (bundlers that follow `new URL(..., import.meta.url)` copy it). For apps that serve the worker elsewhere
   * or must wrap it; it must return a module worker running that script. Serve dist/refine-band.worker.js beside it
   * (the worker starts it by URL for refinement on WASM; without it, refinement runs on the one thread).
   */
  createWorker?: () => Worker;
}

/**
 * In-browser refinement of the generated triplane by score distillation against the pack's prior (docs/refinement.md):
 * the mesh is added as the generator made it, then updated in place every `meshEvery` steps. The job's seed drives
 * the refinement's cameras, timesteps and noise.
 */
export interface RefineOptions {
  /** Score distillation method: `'asd'` (ScaleDreamer's Asynchronous Score Distillation), `'sds'` or `'csd'`. Default `'asd'`. */
  method?: 'asd' | 'sds' | 'csd';
  /** Optimisation steps, an integer in [1, 10000]. Default 100. */
  steps?: number;
  /** ASD's time-shift ratio eta, in [0, 1]. Default 0.1. */
  eta?: number;
  /** Classifier-free guidance scale, in [0, 200]. Default: the method's (ASD 7.5, SDS 100, CSD 1). */
  guidanceScale?: number;
  /**
   * Side in pixels of the views rendered for the prior: a divisor of the prior's resolution R (64 in the default
   * pack), upsampled to R. Default: the largest divisor of R up to {@link DEFAULT_REFINE_RESOLUTION} (32 for the
   * default pack: a quarter of the cost of rendering at R).
   */
  resolution?: number;
  /** Remesh and update the mesh every this many steps (and after the last): an integer in [1, 10000]. Default 10. */
  meshEvery?: number;
  /**
   * CPU threads that render and backpropagate each step on the WASM backend: the generation worker and
   * `threads - 1` band workers, each taking a band of every view's rows; an integer in [1, 4]. Default: one per
   * core, up to 4. Fewer leave cores to the game. The WebGPU backend ignores it.
   */
  threads?: number;
}

/** {@link RefineOptions} after checks, defaults filled in. */
export interface ResolvedRefineOptions {
  readonly method: 'asd' | 'sds' | 'csd';
  readonly steps: number;
  readonly eta: number;
  readonly guidanceScale: number;
  readonly resolution: number;
  readonly meshEvery: number;
  /** null for the default (one per core, up to 4). */
  readonly threads: number | null;
}

/** A point in the scene, e.g. a Babylon `Vector3`. */
export interface PositionLike {
  readonly x: number;
  readonly y: number;
  readonly z: number;
}

/** Options of {@link ScaleDreamer.generate}. */
export interface GenerateOptions {
  /**
   * Where the asset stands: the point on the ground under its vertical axis, in world units (one asset unit each).
   * Default (0, 0, 0).
   */
  position?: PositionLike;
  /** Random seed, an integer in [0, 2^32 - 1]; recorded in the metadata. The generator itself is deterministic;
   * the seed drives refinement's cameras, timesteps and noise. Default 0. */
  seed?: number;
  /** Marching-cubes grid points per axis: an integer in [2, 256]. Default 64. */
  gridSize?: number;
  /**
   * Words outside the pack's vocabulary: `'strict'` (default) throws `UnknownWordsError` naming them;
   * `'lenient'` maps them to `<unk>` and lists them in the mesh's metadata.
   */
  unknownWords?: 'strict' | 'lenient';
  /** Cancels the job when aborted, like {@link GenerationJob.cancel} with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Refine the generated triplane in the worker (ASD by default): the mesh is added to the scene as generated and
   * updated in place as refinement runs; `job.mesh` resolves when it ends. Progress events have stage `'refining'`,
   * the step and the loss. Cancelling while refining stops it and keeps the mesh (see {@link GenerationJob.cancel}).
   */
  refine?: RefineOptions;
}

export const DEFAULT_BACKEND: GenerationBackend = 'wasm';
export const DEFAULT_WORKERS = 1;
export const MAX_WORKERS = 8;
export const DEFAULT_MAX_QUEUED_JOBS = 16;
export const MAX_QUEUED_JOBS = 1024;
export const MAX_THREADS = 16;
export const DEFAULT_GRID_SIZE = 64;
export const MAX_SEED = 2 ** 32 - 1;
export const DEFAULT_REFINE_RESOLUTION = 32;
export const DEFAULT_MESH_EVERY = 10;

/** {@link ScaleDreamerOptions} after checks, defaults filled in. */
export interface ResolvedScaleDreamerOptions {
  readonly pack: ModelPack | URL | string;
  readonly backend: GenerationBackend;
  readonly workers: number;
  readonly maxQueuedJobs: number;
  readonly threads: number | undefined;
  readonly createWorker: (() => Worker) | undefined;
}

/** {@link GenerateOptions} after checks, defaults filled in. */
export interface ResolvedGenerateOptions {
  readonly position: PositionLike;
  readonly seed: number;
  readonly gridSize: number;
  readonly unknownWords: 'strict' | 'lenient';
  readonly signal: AbortSignal | undefined;
  /** Unchecked against the pack yet: {@link resolveRefineOptions} does that. */
  readonly refine: RefineOptions | null;
}

const BACKENDS: readonly GenerationBackend[] = ['auto', 'webgpu', 'wasm'];

/**
 * @throws {TypeError} if `options` or a field has the wrong type (`pack` missing included).
 * @throws {RangeError} naming the option whose value is outside its range or its allowed values.
 */
export function resolveScaleDreamerOptions(options: ScaleDreamerOptions): ResolvedScaleDreamerOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`options must be an object with a pack, got ${options === null ? 'null' : typeof options}`);
  }
  const { pack } = options;
  if (typeof pack !== 'string' && !(pack instanceof URL) && !(typeof pack === 'object' && pack !== null)) {
    throw new TypeError(`options.pack must be a ModelPack or its folder URL, got ${describe(pack)}`);
  }
  const backend = options.backend ?? DEFAULT_BACKEND;
  if (!BACKENDS.includes(backend)) {
    throw new RangeError(`options.backend must be one of ${BACKENDS.map(quote).join(', ')}, got ${describe(backend)}`);
  }
  const createWorker = options.createWorker;
  if (createWorker !== undefined && typeof createWorker !== 'function') {
    throw new TypeError(`options.createWorker must be a function, got ${describe(createWorker)}`);
  }
  return {
    pack,
    backend,
    workers: integer('options.workers', options.workers, DEFAULT_WORKERS, 1, MAX_WORKERS),
    maxQueuedJobs: integer('options.maxQueuedJobs', options.maxQueuedJobs, DEFAULT_MAX_QUEUED_JOBS, 0, MAX_QUEUED_JOBS),
    threads: options.threads === undefined ? undefined : integer('options.threads', options.threads, 1, 1, MAX_THREADS),
    createWorker,
  };
}

/**
 * @throws {TypeError} if a field has the wrong type.
 * @throws {RangeError} naming the option whose value is out of range (`refine` is checked against the pack by
 *   {@link resolveRefineOptions}).
 */
export function resolveGenerateOptions(options: GenerateOptions): ResolvedGenerateOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`options must be an object, got ${describe(options)}`);
  }
  const position = options.position ?? { x: 0, y: 0, z: 0 };
  if (typeof position !== 'object' || position === null) {
    throw new TypeError(`options.position must be a Vector3 or {x, y, z}, got ${describe(position)}`);
  }
  for (const axis of ['x', 'y', 'z'] as const) {
    const value = position[axis];
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new RangeError(`options.position.${axis} must be a finite number, got ${describe(value)}`);
    }
  }
  const unknownWords = options.unknownWords ?? 'strict';
  if (unknownWords !== 'strict' && unknownWords !== 'lenient') {
    throw new RangeError(`options.unknownWords must be 'strict' or 'lenient', got ${describe(unknownWords)}`);
  }
  const { signal } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(`options.signal must be an AbortSignal, got ${describe(signal)}`);
  }
  const { refine } = options;
  if (refine !== undefined && (typeof refine !== 'object' || refine === null)) {
    throw new TypeError(`options.refine must be an object, got ${describe(refine)}`);
  }
  return {
    position: { x: position.x, y: position.y, z: position.z },
    seed: integer('options.seed', options.seed, 0, 0, MAX_SEED),
    gridSize: integer('options.gridSize', options.gridSize, DEFAULT_GRID_SIZE, MIN_GRID_RESOLUTION,
      MAX_GRID_RESOLUTION),
    unknownWords,
    signal,
    refine: refine === undefined ? null : { ...refine },
  };
}

/**
 * Checks `refine` against the pack (the render resolution must divide the prior's) and fills in defaults.
 * @throws {TypeError} if a field has the wrong type.
 * @throws {RangeError} naming the option (`options.refine.<name>`) that is out of range, with the range.
 */
export function resolveRefineOptions(refine: RefineOptions, context: RefinementContext): ResolvedRefineOptions {
  for (const key of ['steps', 'eta', 'guidanceScale', 'resolution', 'meshEvery', 'threads'] as const) {
    const value = refine[key];
    if (value !== undefined && typeof value !== 'number') {
      throw new TypeError(`options.refine.${key} must be a number, got ${describe(value)}`);
    }
  }
  // The default: the largest divisor of R up to 32 (32 for the default pack's 64).
  const R = context.priorResolution;
  let resolution = refine.resolution;
  if (resolution === undefined) {
    resolution = Math.min(DEFAULT_REFINE_RESOLUTION, R);
    while (R % resolution !== 0) resolution--;
  }
  let resolved;
  try {
    resolved = resolveRefinementOptions({
      ...(refine.method === undefined ? {} : { method: refine.method }),
      ...(refine.steps === undefined ? {} : { steps: refine.steps }),
      ...(refine.eta === undefined ? {} : { eta: refine.eta }),
      ...(refine.guidanceScale === undefined ? {} : { guidanceScale: refine.guidanceScale }),
      resolution,
    }, context);
  } catch (error) {
    if (error instanceof RangeError) throw new RangeError(error.message.replace(/^options\./, 'options.refine.'));
    throw error;
  }
  return {
    method: resolved.method,
    steps: resolved.steps,
    eta: resolved.eta,
    guidanceScale: resolved.guidanceScale,
    resolution: resolved.resolution,
    meshEvery: integer('options.refine.meshEvery', refine.meshEvery, DEFAULT_MESH_EVERY, 1, MAX_REFINE_STEPS),
    threads: refine.threads === undefined ? null
      : integer('options.refine.threads', refine.threads, 1, 1, MAX_REFINE_THREADS),
  };
}

/** @throws {RangeError} naming the option unless `value` is undefined (-> `fallback`) or an integer in range. */
function integer(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${describe(value)}`);
  }
  return value;
}

function quote(value: string): string {
  return `'${value}'`;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  return typeof value;
}
