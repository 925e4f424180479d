/**
 * A small pool of generation workers (src/workers/generation.worker.ts) with a bounded queue, one job per worker at a
 * time. A worker that ends while running a job (terminated, crashed) rejects that job with
 * {@link WorkerCrashedError} and is replaced at once; cancelling a running job terminates its worker, the only way to
 * stop onnxruntime mid-run, and replaces it too.
 *
 * How an ended worker is noticed: each worker holds a Web Lock named for it for as long as it lives (the browser
 * releases a worker's locks when it ends, however it ends), and the pool waits for the same lock. Without Web Locks
 * (insecure contexts), only the worker's `error` event is seen, so a silent termination leaves its job pending.
 *
 * A lost GPUDevice (the worker reports it as DEVICE_LOST_ERROR_NAME, before or during a job) switches the pool to
 * WASM for good: the worker is replaced by a WASM one, which runs the job again, once; later workers start on WASM
 * too, and their meshes' metadata gives the loss as the fallback reason.
 */
import * as Comlink from 'comlink';
import {
  addResourceCounts,
  type ResourceCount,
  type ResourceCounts,
} from '../workers/resource-counters.js';
import {
  DEVICE_LOST_ERROR_NAME,
  type GeneratedMeshData,
  type GenerationBackend,
  type GenerationModels,
  type GenerationRequest,
  type GenerationWorkerApi,
  type GenerationWorkerInfo,
  type RefinementModels,
  type RefineRequest,
  type RefineSummary,
  type RefineUpdate,
  type WorkerStage,
} from '../workers/generation-protocol.js';
import { abortError, QueueFullError, WorkerCrashedError } from './generation-errors.js';

/**
 * A unit of work for the pool. Without `refine`, exactly one of `resolve` and `reject` is called, once. With it,
 * `resolve` (the generator's mesh) is followed by `onRefineUpdate` per step and then `refined`, unless `reject`
 * ends the task first; a task cancelled while refining gets none of these after the cancel.
 */
export interface PoolTask {
  /** For error messages. */
  readonly prompt: string;
  readonly request: GenerationRequest;
  /** Refine the generated triplane in the same worker after `resolve`; null for none. */
  readonly refine: RefineRequest | null;
  /** `'starting'` when the task waits for its worker's sessions, then the worker's stages. */
  onStage(stage: 'starting' | WorkerStage): void;
  /** Returns false when the task ended there (e.g. an empty mesh): its refinement, if any, is skipped. */
  resolve(result: GeneratedMeshData, worker: GenerationWorkerInfo): boolean;
  onRefineUpdate(update: RefineUpdate): void;
  refined(summary: RefineSummary): void;
  reject(error: unknown): void;
}

export interface GenerationPoolOptions {
  readonly size: number;
  readonly maxQueued: number;
  readonly backend: GenerationBackend;
  readonly threads: number | undefined;
  readonly createWorker: () => Worker;
  /** Fresh copies of the models for one worker (they are transferred to it). */
  readonly models: () => GenerationModels;
  /** Fresh copies of the prior's models for refinement, sent with a worker's first refinement. */
  readonly refinementModels: () => RefinementModels;
}

/** What the pool has started and ended, and what its live workers hold (see {@link GenerationPool.resourceCounts}). */
export interface PoolResourceCounts {
  /** Workers started and ended by the pool since it was made; `created - released` are live. */
  readonly workers: ResourceCount;
  /** The live workers' own counts (onnxruntime sessions, GPU devices, ...), summed by kind. */
  readonly inWorkers: ResourceCounts;
}

/** How one worker is started. */
interface SlotConfig {
  readonly backend: GenerationBackend;
  /** Reported as the worker's fallback reason when the pool, not the worker, chose WASM. */
  readonly fallbackReason: string | null;
}

let nextLockId = 0;

/** One worker: its comlink proxy, the promise of its sessions, and how its end is noticed. */
class WorkerSlot {
  readonly ready: Promise<GenerationWorkerInfo>;
  task: PoolTask | null = null;
  /** The task whose refinement was stopped (cancelled); the worker stays busy until its refine call settles. */
  stopping: PoolTask | null = null;
  /** Whether the worker has the prior's models (after its first refinement). */
  private _hasRefinementModels = false;
  private readonly _worker: Worker;
  private readonly _remote: Comlink.Remote<GenerationWorkerApi>;
  /** Why the worker ended; null while it lives. */
  private _endReason: string | null = null;
  /** Calls waiting on the worker, to be rejected if it ends (a set, so that finished calls leave nothing behind). */
  private readonly _onEnd = new Set<(reason: string) => void>();

  constructor(
    options: GenerationPoolOptions,
    config: SlotConfig,
    private readonly _counts: ResourceCount,
  ) {
    this._worker = options.createWorker();
    _counts.created++;
    this._worker.addEventListener('error', (event) => {
      event.preventDefault();
      this.terminate(`worker error: ${event.message || 'the worker script failed to load or threw'}`);
    });
    this._remote = Comlink.wrap<GenerationWorkerApi>(this._worker);
    this.ready = this._start(options, config);
    // Observed here so that a slot that fails while idle is no unhandled rejection; tasks await it themselves.
    this.ready.catch(() => this.terminate('its sessions failed to start'));
  }

  get isEnded(): boolean {
    return this._endReason !== null;
  }

  /** Runs one job; `onStage` crosses as a comlink proxy, which the worker releases when the job ends. */
  generate(request: GenerationRequest, onStage: (stage: WorkerStage) => void): Promise<GeneratedMeshData> {
    return this._orEnded(this._remote.generate(request, Comlink.proxy(onStage)));
  }

  /** Refines the triplane of the worker's last generation; `onUpdate` crosses as a comlink proxy. */
  refine(
    request: RefineRequest,
    options: GenerationPoolOptions,
    onUpdate: (update: RefineUpdate) => void,
  ): Promise<RefineSummary> {
    let models: RefinementModels | null = null;
    if (!this._hasRefinementModels) {
      models = options.refinementModels();
      this._hasRefinementModels = true;
    }
    const sent = models ? Comlink.transfer(models, [models.unet.buffer]) : null;
    const call = this._orEnded(this._remote.refine(request, sent, Comlink.proxy(onUpdate)));
    // A refinement that failed may have failed before the worker kept the models (e.g. its UNet session): send them
    // again next time (a worker that has its session ignores them).
    if (models) call.catch(() => (this._hasRefinementModels = false));
    return call;
  }

  /** Asks the worker to stop its refinement at its next check (between steps). */
  stopRefinement(): void {
    this._remote.stopRefinement().catch(() => undefined);
  }

  /** The worker's resource counts. */
  resourceCounts(): Promise<ResourceCounts> {
    return this._orEnded(this._remote.resourceCounts());
  }

  /**
   * Ends the worker (its sessions, WASM memory and GPU device go with it), or records that it has ended; calls
   * waiting on it reject with {@link WorkerEndedError}. Idempotent.
   */
  terminate(reason: string): void {
    if (this._endReason !== null) return;
    this._endReason = reason;
    this._counts.released++;
    this._remote[Comlink.releaseProxy]();
    this._worker.terminate();
    for (const onEnd of this._onEnd) onEnd(reason);
    this._onEnd.clear();
  }

  private async _start(options: GenerationPoolOptions, config: SlotConfig): Promise<GenerationWorkerInfo> {
    // 1. The worker takes its life lock first, so that the pool's request below waits for the worker's end.
    const lifeLock = `scaledreamer-generation-worker-${Date.now().toString(36)}-${nextLockId++}`;
    if (await this._orEnded(this._remote.holdLifeLock(lifeLock))) {
      void navigator.locks.request(lifeLock, () => this.terminate('it was terminated or crashed'));
    }
    // 2. Its own copy of the models, transferred.
    const models = options.models();
    const transfers = [models.textEncoder.buffer, models.generator.buffer, models.decoder.weights.buffer];
    const { backend, fallbackReason } = config;
    const info = await this._orEnded(
      this._remote.init(Comlink.transfer(models, transfers), { backend, threads: options.threads }),
    );
    return fallbackReason === null ? info : { ...info, fallbackReason };
  }

  /** `promise`, or a rejection with {@link WorkerEndedError} as soon as the worker is found to have ended. */
  private _orEnded<T>(promise: Promise<T>): Promise<T> {
    if (this._endReason !== null) return Promise.reject(new WorkerEndedError(this._endReason));
    return new Promise<T>((resolve, reject) => {
      const onEnd = (reason: string): void => reject(new WorkerEndedError(reason));
      this._onEnd.add(onEnd);
      void promise.then(resolve, reject).finally(() => this._onEnd.delete(onEnd));
    });
  }
}

/** Whether `error` is the worker's report of a lost GPUDevice (it crossed comlink as name and message). */
function isDeviceLost(error: unknown): error is Error {
  return error instanceof Error && error.name === DEVICE_LOST_ERROR_NAME;
}

/** A slot's worker ended while the pool was waiting for it; turned into a task's error by the pool. */
class WorkerEndedError extends Error {
  override readonly name = 'WorkerEndedError';
}

export class GenerationPool {
  private readonly _slots: (WorkerSlot | null)[];
  private readonly _queue: PoolTask[] = [];
  private readonly _workerCounts: ResourceCount = { created: 0, released: 0 };
  /** Tasks already run again after a device loss: a second loss rejects them. */
  private readonly _retried = new WeakSet<PoolTask>();
  /** Tasks in their refinement (their mesh delivered). */
  private readonly _refining = new WeakSet<PoolTask>();
  /** Why the pool switched to WASM; null while it runs on the backend it was given. */
  private _deviceLostReason: string | null = null;
  private _disposed = false;

  constructor(private readonly _options: GenerationPoolOptions) {
    this._slots = Array.from({ length: _options.size }, () => null);
  }

  /** Workers started and not ended. */
  get liveWorkers(): number {
    return this._slots.filter((slot) => slot && !slot.isEnded).length;
  }

  /** Tasks waiting for a worker. */
  get queued(): number {
    return this._queue.length;
  }

  /**
   * What the pool has started and ended, and what its live workers hold; waits for each live worker to answer (a
   * worker answers between jobs). Leaks show as `created - released` growing over many jobs.
   */
  async resourceCounts(): Promise<PoolResourceCounts> {
    const live = this._slots.filter((slot): slot is WorkerSlot => slot !== null && !slot.isEnded);
    // A worker that ends while answering took its resources with it.
    const tables = await Promise.all(live.map((slot) => slot.resourceCounts().catch((): ResourceCounts => ({}))));
    return { workers: { ...this._workerCounts }, inWorkers: tables.reduce(addResourceCounts, {}) };
  }

  /**
   * Starts every worker that is not running, and resolves with their sessions' descriptions.
   * @throws {Error} if a worker fails to start (its backend or a model).
   */
  async warmUp(): Promise<GenerationWorkerInfo[]> {
    this._checkLive();
    return Promise.all(this._slots.map((_, i) => this._slot(i).ready));
  }

  /**
   * Runs `task` on an idle worker, or queues it.
   * @throws {QueueFullError} if every worker is busy and `maxQueued` tasks are waiting.
   */
  submit(task: PoolTask): void {
    this._checkLive();
    const idle = this._slots.findIndex((slot) => !slot?.task);
    if (idle >= 0) {
      void this._run(idle, task);
      return;
    }
    if (this._queue.length >= this._options.maxQueued) throw new QueueFullError(task.prompt, this._options.maxQueued);
    this._queue.push(task);
  }

  /**
   * Takes `task` off the queue, or terminates the worker running it (and starts a replacement); the task is rejected
   * with `reason`. Returns false if the pool does not hold the task (it has finished).
   */
  cancel(task: PoolTask, reason: unknown): boolean {
    const queued = this._queue.indexOf(task);
    if (queued >= 0) {
      this._queue.splice(queued, 1);
      task.reject(reason);
      return true;
    }
    const index = this._slots.findIndex((slot) => slot?.task === task);
    if (index < 0) return false;
    const slot = this._slots[index]!;
    if (this._refining.has(task)) {
      // The mesh is in the scene; the worker stops between steps and keeps its sessions. It stays busy until then.
      slot.stopping = task;
      task.reject(reason);
      slot.stopRefinement();
      return true;
    }
    slot.task = null;
    task.reject(reason);
    slot.terminate('its job was cancelled');
    this._slots[index] = null;
    this._respawn(index);
    this._pump();
    return true;
  }

  /** Rejects queued and running tasks with an AbortError and terminates every worker. Idempotent. */
  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    const error = abortError('the ScaleDreamer plugin was disposed');
    for (const task of this._queue.splice(0)) task.reject(error);
    this._slots.forEach((slot, i) => {
      if (!slot) return;
      slot.task?.reject(error);
      slot.task = null;
      slot.terminate('the pool was disposed');
      this._slots[i] = null;
    });
  }

  private _checkLive(): void {
    if (this._disposed) throw new Error('the generation pool was disposed');
  }

  /** The slot at `index`, started if it is empty or its worker has ended. */
  private _slot(index: number): WorkerSlot {
    let slot = this._slots[index];
    if (!slot || slot.isEnded) {
      const lost = this._deviceLostReason;
      const config: SlotConfig = lost === null
        ? { backend: this._options.backend, fallbackReason: null }
        : { backend: 'wasm', fallbackReason: `${lost}; the plugin has run on WASM since` };
      slot = new WorkerSlot(this._options, config, this._workerCounts);
      this._slots[index] = slot;
    }
    return slot;
  }

  private async _run(index: number, task: PoolTask): Promise<void> {
    let slot: WorkerSlot;
    try {
      slot = this._slot(index);
    } catch (error) {
      task.reject(error);
      return;
    }
    slot.task = task;
    let started = false;
    try {
      task.onStage('starting');
      const info = await slot.ready;
      started = true;
      if (slot.task !== task) return;
      const result = await slot.generate(task.request, (stage) => {
        if (slot.task === task) task.onStage(stage);
      });
      if (slot.task !== task) return;
      // From here a cancel stops the refinement rather than the worker (the mesh is in the scene).
      if (task.refine) this._refining.add(task);
      const goOn = task.resolve(result, info);
      if (task.refine && goOn && slot.task === task && slot.stopping !== task) await this._refine(slot, task);
    } catch (error) {
      if (slot.task !== task) return;
      if (this._refining.has(task)) {
        // The mesh was delivered: the task fails, and is not run again.
        this._failRefinement(index, slot, task, error);
      } else if (isDeviceLost(error) && !this._retried.has(task)) {
        // The worker's sessions are unusable: a WASM worker takes its place and runs the task again.
        this._retried.add(task);
        this._deviceLostReason ??= error.message;
        slot.task = null;
        slot.terminate(error.message);
        this._slots[index] = null;
        void this._run(index, task);
      } else if (!(error instanceof WorkerEndedError)) {
        task.reject(error);
      } else if (started) {
        task.reject(new WorkerCrashedError(task.prompt, error.message));
        // Replaced at once, so that the next job finds its sessions ready. A worker that ends while starting is
        // replaced only when a job needs it, so that a worker that cannot start is not restarted in a loop.
        this._slots[index] = null;
      } else {
        task.reject(new Error(`the generation worker ended while starting (${error.message})`, { cause: error }));
      }
    } finally {
      if (slot.task === task) slot.task = null;
      if (slot.stopping === task) slot.stopping = null;
      this._respawn(index);
      this._pump();
    }
  }

  /** The refinement phase of `task` on `slot`, after its mesh was delivered. */
  private async _refine(slot: WorkerSlot, task: PoolTask): Promise<void> {
    const live = (): boolean => slot.task === task && slot.stopping !== task;
    try {
      const summary = await slot.refine(task.refine!, this._options, (update) => {
        if (live()) task.onRefineUpdate(update);
      });
      if (live()) task.refined(summary);
    } catch (error) {
      // A stopped refinement ends with the worker's AbortError: the task was settled by the cancel.
      if (slot.stopping !== task) throw error;
    }
  }

  /** A refinement failed: the task rejects; a worker that ended or lost its device is replaced. */
  private _failRefinement(index: number, slot: WorkerSlot, task: PoolTask, error: unknown): void {
    if (isDeviceLost(error)) {
      this._deviceLostReason ??= error.message;
      slot.task = null;
      slot.terminate(error.message);
      this._slots[index] = null;
      task.reject(error);
    } else if (error instanceof WorkerEndedError) {
      task.reject(new WorkerCrashedError(task.prompt, error.message));
      this._slots[index] = null;
    } else {
      task.reject(error);
    }
  }

  /** Starts a replacement in an emptied slot; a worker that cannot even be created is left to the next job. */
  private _respawn(index: number): void {
    if (this._disposed || this._slots[index] !== null) return;
    try {
      this._slot(index);
    } catch {
      this._slots[index] = null;
    }
  }

  /** Hands queued tasks to idle workers. */
  private _pump(): void {
    if (this._disposed) return;
    for (let i = 0; i < this._slots.length && this._queue.length > 0; i++) {
      if (!this._slots[i]?.task) void this._run(i, this._queue.shift()!);
    }
  }
}
