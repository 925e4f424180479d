/**
 * The ScaleDreamer plugin: text -> mesh in a Babylon scene.
 *
 * ```ts
 * const scaleDreamer = await createScaleDreamer({ pack: '/models/default/' });
 * scene.addPlugin(scaleDreamer);
 * const job = scaleDreamer.generate('a red wooden barrel', { position: new Vector3(1, 0, 0) });
 * job.onProgressObservable.add(({ stage }) => console.log(stage));
 * const mesh = await job.mesh;
 * ```
 *
 * The main thread only checks arguments, tokenizes the prompt (so that unknown words fail at once) and builds the
 * Babylon mesh from arrays that a worker transferred; models and marching cubes run in the worker pool
 * (generation-pool.ts).
 */
import { Observable } from '@babylonjs/core/Misc/observable.js';
import type { Mesh } from '@babylonjs/core/Meshes/mesh.js';
import type { Scene } from '@babylonjs/core/scene.pure.js';
import { loadModelPack, ModelPack } from '../pack/model-pack.js';
import type {
  GeneratedMeshData,
  GenerationModels,
  GenerationWorkerInfo,
  RefinementModels,
} from '../workers/generation-protocol.js';
import { abortError } from './generation-errors.js';
import { GenerationJob } from './generation-job.js';
import { GenerationPool, type PoolResourceCounts, type PoolTask } from './generation-pool.js';
import { buildGeneratedMesh, type GeneratedMeshMetadataHolder } from './generated-mesh.js';
import { RefinementTracker } from './refinement-tracker.js';
import {
  resolveGenerateOptions,
  resolveRefineOptions,
  resolveScaleDreamerOptions,
  type GenerateOptions,
  type ResolvedGenerateOptions,
  type ResolvedScaleDreamerOptions,
  type ScaleDreamerOptions,
} from './scale-dreamer-options.js';
import { SCALEDREAMER_COMPONENT_NAME, ScaleDreamerSceneComponent } from './scale-dreamer-component.js';
import { RegisterScenePlugins, removeSceneComponent, type ScenePlugin } from './scene-plugin.js';

/**
 * Loads the model pack and makes the plugin; add it to a scene with `scene.addPlugin(scaleDreamer)`. Workers start
 * with the first job, or with {@link ScaleDreamer.whenReadyAsync}.
 * @throws {TypeError} if `options` or one of its fields has the wrong type.
 * @throws {RangeError} naming an option that is out of range.
 * @throws {PackError} if the pack breaks its contract (see docs/runtime-pack-loader.md).
 * @throws {Error} if the pack has no generator.
 */
export async function createScaleDreamer(options: ScaleDreamerOptions): Promise<ScaleDreamer> {
  const resolved = resolveScaleDreamerOptions(options);
  const given = resolved.pack;
  if (typeof given === 'object' && !(given instanceof URL) && !(given instanceof ModelPack)) {
    throw new TypeError('options.pack must be a ModelPack (from loadModelPack) or its folder URL, got another object');
  }
  RegisterScenePlugins();
  const owned = !(given instanceof ModelPack);
  const pack = given instanceof ModelPack ? given : await loadModelPack(given, { testFiles: 'skip' });
  if (!pack.generator) {
    if (owned) pack.release();
    throw new Error(`the model pack ${pack.url} has no generator (generator.onnx, decoder.json, decoder.bin): ` +
      'ScaleDreamer needs one to turn prompts into meshes');
  }
  return new ScaleDreamer(pack, owned, resolved);
}

export class ScaleDreamer implements ScenePlugin {
  readonly name = SCALEDREAMER_COMPONENT_NAME;
  /**
   * Fires with each generated mesh once it is in the scene, before its job's promise resolves; with `refine`, as the
   * generator's mesh enters the scene, before refinement updates it in place.
   */
  readonly onMeshGeneratedObservable: Observable<Mesh>;
  /** Fires once, when the plugin is disposed (by {@link dispose} or with its scene). */
  readonly onDisposeObservable: Observable<ScaleDreamer>;
  private _scene: Scene | null = null;
  private _component: ScaleDreamerSceneComponent | null = null;
  private readonly _pool: GenerationPool;
  private readonly _jobs = new Set<GenerationJob>();
  private _nextJobId = 1;
  private _disposed = false;

  /** @internal Made by {@link createScaleDreamer}. */
  constructor(
    private readonly _pack: ModelPack,
    private readonly _ownsPack: boolean,
    options: ResolvedScaleDreamerOptions,
  ) {
    this.onMeshGeneratedObservable = new Observable<Mesh>();
    this.onDisposeObservable = new Observable<ScaleDreamer>();
    this._pool = new GenerationPool({
      size: options.workers,
      maxQueued: options.maxQueuedJobs,
      backend: options.backend,
      threads: options.threads,
      createWorker: options.createWorker ?? defaultWorker,
      models: () => this._workerModels(),
      refinementModels: () => this._refinementModels(),
    });
  }

  /** The scene the plugin was added to; null before `scene.addPlugin`. */
  get scene(): Scene | null {
    return this._scene;
  }

  /** The model pack in use. @throws {Error} after dispose if the plugin loaded (and so released) it. */
  get pack(): ModelPack {
    return this._pack;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /** Jobs not yet ended (queued or running). */
  get pendingJobs(): number {
    return this._jobs.size;
  }

  /** Workers started and not ended. */
  get liveWorkers(): number {
    return this._pool.liveWorkers;
  }

  /**
   * Diagnostics: the generation workers started and ended so far, and what the live ones hold (onnxruntime sessions,
   * GPU devices), each as `{ created, released }`. Over many jobs, `created - released` must stay flat; the browser
   * tests check it over 50 generations. Waits for busy workers to finish their job.
   * @throws {Error} after dispose.
   */
  getResourceCountsAsync(): Promise<PoolResourceCounts> {
    this._checkLive('getResourceCountsAsync');
    return this._pool.resourceCounts();
  }

  /**
   * Starts every worker and creates its sessions; resolves with what each one runs on (which backend, why `'auto'`
   * fell back). Optional: the first job does the same.
   * @throws {Error} if a worker cannot start (its backend, or a model that fails to load), or after dispose.
   */
  whenReadyAsync(): Promise<readonly GenerationWorkerInfo[]> {
    this._checkLive('whenReadyAsync');
    return this._pool.warmUp();
  }

  /**
   * Starts generating a mesh for `prompt`; the mesh is added to the plugin's scene as soon as it is meshed, and with
   * `options.refine` then refined in the worker and updated in place (docs/plugin.md, "Refinement").
   * @throws {TypeError} if `prompt` is not a string, or an option has the wrong type.
   * @throws {RangeError} if `prompt` is empty, or naming an option that is out of range (`options.refine.<name>`
   *   included).
   * @throws {UnknownWordsError} naming the words outside the pack's vocabulary (unless `unknownWords: 'lenient'`).
   * @throws {PromptTooLongError} if the prompt has more tokens than the text encoder takes.
   * @throws {Error} before `scene.addPlugin(this)`, or after dispose.
   */
  generate(prompt: string, options: GenerateOptions = {}): GenerationJob {
    this._checkLive('generate');
    const scene = this._scene;
    if (!scene) throw new Error('generate(): add the plugin to a scene first, with scene.addPlugin(scaleDreamer)');
    if (typeof prompt !== 'string') throw new TypeError(`prompt must be a string, got ${typeof prompt}`);
    if (prompt.trim() === '') throw new RangeError('prompt must contain at least one word, got an empty prompt');
    const resolved = resolveGenerateOptions(options);
    const { prior } = this._pack;
    const refine = resolved.refine === null ? null : resolveRefineOptions(resolved.refine, {
      priorResolution: prior.resolution,
      samples: this._pack.generator!.decoder.renderer.samples,
    });
    const encoded = prior.tokenizer.encode(prompt, { mode: resolved.unknownWords });

    const job = new GenerationJob(this._nextJobId++, prompt, resolved.seed, resolved.signal);
    this._jobs.add(job);
    const forget = (): void => void this._jobs.delete(job);
    job.mesh.then(forget, forget);
    if (resolved.signal?.aborted) {
      job.cancel(resolved.signal.reason);
      return job;
    }

    const refinement = refine === null ? null : new RefinementTracker(job, refine);
    const task: PoolTask = {
      prompt,
      request: {
        inputIds: BigInt64Array.from(encoded.ids, BigInt),
        gridSize: resolved.gridSize,
        keepTriplane: refine !== null,
      },
      refine: refine === null ? null : {
        prompt,
        ...refine,
        seed: resolved.seed,
        gridSize: resolved.gridSize,
        unknownWords: resolved.unknownWords,
      },
      onStage: (stage) => job._progress(stage),
      resolve: (data, worker) => this._deliver(job, scene, data, worker, resolved, encoded.unknownWords, refinement),
      onRefineUpdate: (update) => refinement?.update(update),
      refined: (summary) => refinement?.finish(summary),
      reject: (error) => job._fail(error),
    };
    job._setCancelHandler((reason) => this._pool.cancel(task, reason));
    // After the caller has had a chance to subscribe to the job's progress: 'queued' is its first event.
    queueMicrotask(() => {
      if (job.state !== 'pending' || this._disposed) return;
      job._progress('queued');
      try {
        this._pool.submit(task);
      } catch (error) {
        job._fail(error);
      }
    });
    return job;
  }

  /**
   * Cancels every job (their promises reject with an AbortError), ends the workers (their sessions and memory go
   * with them), leaves the scene and, if the plugin loaded the pack, releases it. Meshes already generated stay in
   * the scene. Called by `scene.dispose()`. Idempotent; other methods throw afterwards.
   */
  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    const error = abortError('the ScaleDreamer plugin was disposed');
    for (const job of this._jobs) job._fail(error);
    this._jobs.clear();
    this._pool.dispose();
    if (this._scene && this._component) removeSceneComponent(this._scene, this._component);
    this._component = null;
    this.onDisposeObservable.notifyObservers(this);
    this.onDisposeObservable.clear();
    this.onMeshGeneratedObservable.clear();
    if (this._ownsPack) this._pack.release();
  }

  /** @internal See {@link ScenePlugin}. */
  _createSceneComponent(scene: Scene): ScaleDreamerSceneComponent {
    this._checkLive('scene.addPlugin');
    if (this._scene && this._scene !== scene) {
      throw new Error('scene.addPlugin(plugin): this ScaleDreamer belongs to another scene; create one per scene');
    }
    this._scene = scene;
    this._component = new ScaleDreamerSceneComponent(scene, this);
    return this._component;
  }

  private _deliver(
    job: GenerationJob,
    scene: Scene,
    data: GeneratedMeshData,
    worker: GenerationWorkerInfo,
    options: ResolvedGenerateOptions,
    unknownWords: readonly string[],
    refinement: RefinementTracker | null,
  ): boolean {
    if (job.state !== 'pending') return false;
    // Everything but the worker's pipeline and the build: queue, worker start-up, messages. Measured from the two
    // ends rather than from the 'encoding' event, which a busy main thread receives late.
    const waitMs = Math.max(0, job._elapsed() - data.timings.totalMs);
    if (scene.isDisposed) {
      job._fail(abortError('the scene was disposed before the mesh arrived'));
      return false;
    }
    if (data.positions.length === 0) {
      job._fail(new Error(`the shape generated for ${JSON.stringify(job.prompt)} has no surface inside the asset ` +
        'cube, so there is no mesh to add'));
      return false;
    }
    job._progress('building');
    const buildStart = performance.now();
    const mesh = buildGeneratedMesh(scene, data, options.position, job.prompt);
    const buildMs = performance.now() - buildStart;
    const metadata: GeneratedMeshMetadataHolder = {
      scaleDreamer: {
        prompt: job.prompt,
        seed: job.seed,
        method: refinement ? refinement.options.method : 'generator',
        refinement: refinement ? refinement.initialMetadata() : null,
        gridSize: options.gridSize,
        backend: worker.backend,
        fallbackReason: worker.fallbackReason,
        pack: { name: this._pack.name, url: this._pack.url.href, version: this._pack.prior.version },
        unknownWords,
        vertices: data.positions.length / 3,
        faces: data.indices.length / 3,
        localBounds: data.bounds,
        evaluatedPoints: data.evaluatedPoints,
        timings: { ...data.timings, waitMs, buildMs, endToEndMs: job._elapsed() },
      },
    };
    mesh.metadata = metadata;
    // A refining job holds its mesh before observers see it, so that one that cancels the job keeps the mesh.
    refinement?.start(mesh);
    this.onMeshGeneratedObservable.notifyObservers(mesh);
    if (!refinement) {
      job._succeed(mesh);
      return false;
    }
    return job.state === 'pending';
  }

  /** A worker's own copies of the prior's models for refinement (transferred to it). */
  private _refinementModels(): RefinementModels {
    const { prior } = this._pack;
    const { tokenizer } = prior;
    const { renderer } = this._pack.generator!.decoder;
    return {
      unet: prior.unet.slice(),
      tokenizer: {
        vocab: tokenizer.vocab,
        specials: {
          pad: tokenizer.vocab[tokenizer.padId]!,
          unk: tokenizer.vocab[tokenizer.unkId]!,
          bos: tokenizer.vocab[tokenizer.bosId]!,
          eos: tokenizer.vocab[tokenizer.eosId]!,
        },
        maxLength: tokenizer.maxLength,
      },
      schedule: {
        numTrainTimesteps: prior.schedule.numTrainTimesteps,
        alphasCumprod: prior.schedule.alphasCumprod.slice(),
      },
      resolution: prior.resolution,
      unconditionalPrompt: prior.text.unconditionalPrompt,
      renderer: { samples: renderer.samples, beta: renderer.beta },
    };
  }

  /** A worker's own copies of the models (transferred to it). */
  private _workerModels(): GenerationModels {
    const generator = this._pack.generator!;
    return {
      textEncoder: this._pack.prior.textEncoder.slice(),
      generator: generator.model.slice(),
      decoder: { shape: generator.decoder.shape, weights: generator.decoder.weights.slice() },
    };
  }

  private _checkLive(method: string): void {
    if (this._disposed) throw new Error(`${method}(): the ScaleDreamer plugin was disposed`);
  }
}

/** dist/generation.worker.js beside this module; the literal `new Worker(new URL(...))` is what bundlers look for. */
function defaultWorker(): Worker {
  return new Worker(new URL('./generation.worker.js', import.meta.url), {
    type: 'module',
    name: 'scaledreamer-generation',
  });
}
