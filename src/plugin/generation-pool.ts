/**
 * A small pool of generation workers (src/workers/generation.worker.ts) with a bounded queue, one job per worker at a
 * time. A worker that ends while running a job (terminated, crashed) rejects that job with
 * {@link WorkerCrashedError} and is replaced at once; cancelling a running job terminates its worker, the only way to
 * stop onnxruntime mid-run, and replaces it too.
 *
 * How an ended worker is noticed: each worker holds a Web Lock named for it for as long as it lives (the browser
 * releases a worker's locks when it ends, however it ends), and the pool waits for the same lock. Without Web Locks
 * (insecure contexts), only the worker's `error` event is seen, so a silent termination leaves its job pending.
 */
import * as Comlink from 'comlink';
import type {
  GeneratedMeshData,
  GenerationBackend,
  GenerationModels,
  GenerationRequest,
  GenerationWorkerApi,
  GenerationWorkerInfo,
  WorkerStage,
} from '../workers/generation-protocol.js';
import { abortError, QueueFullError, WorkerCrashedError } from './generation-errors.js';

/** A unit of work for the pool. Exactly one of `resolve` and `reject` is called, once. */
export interface PoolTask {
  /** For error messages. */
  readonly prompt: string;
  readonly request: GenerationRequest;
  /** `'starting'` when the task waits for its worker's sessions, then the worker's stages. */
  onStage(stage: 'starting' | WorkerStage): void;
  resolve(result: GeneratedMeshData, worker: GenerationWorkerInfo): void;
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
}

let nextLockId = 0;

/** One worker: its comlink proxy, the promise of its sessions, and how its end is noticed. */
class WorkerSlot {
  readonly ready: Promise<GenerationWorkerInfo>;
  task: PoolTask | null = null;
  private readonly _worker: Worker;
  private readonly _remote: Comlink.Remote<GenerationWorkerApi>;
  /** Why the worker ended; null while it lives. */
  private _endReason: string | null = null;
  /** Calls waiting on the worker, to be rejected if it ends (a set, so that finished calls leave nothing behind). */
  private readonly _onEnd = new Set<(reason: string) => void>();

  constructor(options: GenerationPoolOptions) {
    this._worker = options.createWorker();
    this._worker.addEventListener('error', (event) => {
      event.preventDefault();
      this.terminate(`worker error: ${event.message || 'the worker script failed to load or threw'}`);
    });
    this._remote = Comlink.wrap<GenerationWorkerApi>(this._worker);
    this.ready = this._start(options);
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

  /**
   * Ends the worker (its sessions, WASM memory and GPU device go with it), or records that it has ended; calls
   * waiting on it reject with {@link WorkerEndedError}. Idempotent.
   */
  terminate(reason: string): void {
    if (this._endReason !== null) return;
    this._endReason = reason;
    this._remote[Comlink.releaseProxy]();
    this._worker.terminate();
    for (const onEnd of this._onEnd) onEnd(reason);
    this._onEnd.clear();
  }

  private async _start(options: GenerationPoolOptions): Promise<GenerationWorkerInfo> {
    // 1. The worker takes its life lock first, so that the pool's request below waits for the worker's end.
    const lifeLock = `scaledreamer-generation-worker-${Date.now().toString(36)}-${nextLockId++}`;
    if (await this._orEnded(this._remote.holdLifeLock(lifeLock))) {
      void navigator.locks.request(lifeLock, () => this.terminate('it was terminated or crashed'));
    }
    // 2. Its own copy of the models, transferred.
    const models = options.models();
    const transfers = [models.textEncoder.buffer, models.generator.buffer, models.decoder.weights.buffer];
    const { backend, threads } = options;
    return this._orEnded(this._remote.init(Comlink.transfer(models, transfers), { backend, threads }));
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

/** A slot's worker ended while the pool was waiting for it; turned into a task's error by the pool. */
class WorkerEndedError extends Error {
  override readonly name = 'WorkerEndedError';
}

export class GenerationPool {
  private readonly _slots: (WorkerSlot | null)[];
  private readonly _queue: PoolTask[] = [];
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
      slot = new WorkerSlot(this._options);
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
      if (slot.task === task) task.resolve(result, info);
    } catch (error) {
      if (slot.task !== task) return;
      if (!(error instanceof WorkerEndedError)) {
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
      this._respawn(index);
      this._pump();
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
