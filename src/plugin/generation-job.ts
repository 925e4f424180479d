/**
 * One prompt on its way to a mesh: progress as a Babylon Observable, cancellation (`cancel()` or an AbortSignal),
 * and the promise of the mesh. Made by {@link ScaleDreamer.generate}.
 */
import { Observable } from '@babylonjs/core/Misc/observable.js';
import type { Mesh } from '@babylonjs/core/Meshes/mesh.js';
import { abortError } from './generation-errors.js';

/**
 * Where a job is, in order: waiting for a worker; waiting for that worker's sessions; text encoder; generator;
 * marching cubes in the worker; building the Babylon mesh; done.
 */
export type GenerationStage = 'queued' | 'starting' | 'encoding' | 'generating' | 'meshing' | 'building' | 'done';

/** How a job ended, or that it has not. */
export type GenerationJobState = 'pending' | 'done' | 'failed' | 'cancelled';

/** One progress event. */
export interface GenerationProgress {
  readonly stage: GenerationStage;
  /** Iterative stages' step (refinement, later); 0 otherwise. */
  readonly step: number;
  /** Iterative stages' step count; 0 otherwise. */
  readonly steps: number;
  /** Iterative stages' current loss; null otherwise. */
  readonly loss: number | null;
  /** Milliseconds since the job was created. */
  readonly elapsedMs: number;
}

export class GenerationJob {
  /**
   * Fires on every stage change (and, with refinement, every step). Cleared once the job has ended; the last event
   * of a successful job has stage `'done'`.
   */
  readonly onProgressObservable: Observable<GenerationProgress>;
  /**
   * The mesh, added to the scene, standing on the ground at the requested position. Rejects with the job's error:
   * an `AbortError` DOMException (or the signal's reason) when cancelled, `QueueFullError`, `WorkerCrashedError`,
   * or an error from the worker (a model that fails to load, a backend that cannot start).
   */
  readonly mesh: Promise<Mesh>;
  private _state: GenerationJobState = 'pending';
  private _stage: GenerationStage = 'queued';
  private readonly _created = performance.now();
  private _resolve!: (mesh: Mesh) => void;
  private _reject!: (error: unknown) => void;
  private _onCancel: ((reason: unknown) => void) | null = null;
  private readonly _signal: AbortSignal | undefined;
  private readonly _abortListener = (): void => void this.cancel(this._signal?.reason);

  /** @internal Made by {@link ScaleDreamer.generate}. */
  constructor(
    /** Unique per plugin, from 1. */
    readonly id: number,
    readonly prompt: string,
    readonly seed: number,
    signal: AbortSignal | undefined,
  ) {
    this.onProgressObservable = new Observable<GenerationProgress>();
    this.mesh = new Promise<Mesh>((resolve, reject) => {
      this._resolve = resolve;
      this._reject = reject;
    });
    this._signal = signal;
    signal?.addEventListener('abort', this._abortListener, { once: true });
  }

  get state(): GenerationJobState {
    return this._state;
  }

  /** The latest stage reached. */
  get stage(): GenerationStage {
    return this._stage;
  }

  /**
   * Stops the job: a queued job leaves the queue; a running one stops its worker, which is replaced. The mesh
   * promise rejects with `reason` (default: an `AbortError` DOMException). Returns false, doing nothing, if the job
   * has already ended.
   */
  cancel(reason: unknown = abortError(`generation of ${JSON.stringify(this.prompt)} was cancelled`)): boolean {
    if (this._state !== 'pending') return false;
    const onCancel = this._onCancel;
    this._settle('cancelled');
    this._reject(reason);
    onCancel?.(reason);
    return true;
  }

  /** @internal What cancelling does besides rejecting: the pool's part. Called at most once. */
  _setCancelHandler(onCancel: (reason: unknown) => void): void {
    this._onCancel = onCancel;
  }

  /** @internal */
  _progress(stage: GenerationStage, step = 0, steps = 0, loss: number | null = null): void {
    if (this._state !== 'pending') return;
    this._stage = stage;
    this.onProgressObservable.notifyObservers({
      stage,
      step,
      steps,
      loss,
      elapsedMs: performance.now() - this._created,
    });
  }

  /** @internal */
  _succeed(mesh: Mesh): void {
    if (this._state !== 'pending') return;
    this._progress('done');
    this._settle('done');
    this._resolve(mesh);
  }

  /** @internal Rejects the job unless it has already ended; a rejection with an AbortError counts as cancelled. */
  _fail(error: unknown): void {
    if (this._state !== 'pending') return;
    this._settle(error instanceof DOMException && error.name === 'AbortError' ? 'cancelled' : 'failed');
    this._reject(error);
  }

  /** @internal Milliseconds since the job was created. */
  _elapsed(): number {
    return performance.now() - this._created;
  }

  private _settle(state: Exclude<GenerationJobState, 'pending'>): void {
    this._state = state;
    this._onCancel = null;
    this._signal?.removeEventListener('abort', this._abortListener);
    this.onProgressObservable.clear();
  }
}
