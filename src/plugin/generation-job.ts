/**
 * One prompt on its way to a mesh: progress as a Babylon Observable, cancellation (`cancel()` or an AbortSignal),
 * and the promise of the mesh. Made by {@link ScaleDreamer.generate}.
 */
import type { RefineViews } from '../workers/generation-protocol.js';
import { Observable } from '@babylonjs/core/Misc/observable.js';
import type { Mesh } from '@babylonjs/core/Meshes/mesh.js';
import { abortError } from './generation-errors.js';

/**
 * Where a job is, in order: waiting for a worker; waiting for that worker's sessions; text encoder; generator;
 * marching cubes in the worker; building the Babylon mesh; with `refine`, refining it (one event per step, the mesh
 * in the scene and updated in place); done.
 */
export type GenerationStage =
  | 'queued'
  | 'starting'
  | 'encoding'
  | 'generating'
  | 'meshing'
  | 'building'
  | 'refining'
  | 'done';

/** How a job ended, or that it has not. */
export type GenerationJobState = 'pending' | 'done' | 'failed' | 'cancelled';

/** One progress event. */
export interface GenerationProgress {
  readonly stage: GenerationStage;
  /** Refinement's steps done (1 .. steps), or 0 as it starts; 0 for other stages. */
  readonly step: number;
  /** Iterative stages' step count; 0 otherwise. */
  readonly steps: number;
  /** Refinement's loss at this step; null otherwise. */
  readonly loss: number | null;
  /** Whether the mesh was updated in place with this event (refinement, every `meshEvery` steps). */
  readonly meshUpdated: boolean;
  /**
   * With a mesh update: the views the prior saw at this step, `rgb` `[count, 3, side, side]` in [0, 1] (before
   * upsampling to the prior's resolution); null otherwise.
   */
  readonly views: RefineViews | null;
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
   * The mesh, added to the scene, standing on the ground at the requested position; with `refine`, once refinement
   * has ended (all steps, or cancelled while refining). Rejects with the job's error: an `AbortError` DOMException
   * (or the signal's reason) when cancelled before the mesh was in the scene, `QueueFullError`, `WorkerCrashedError`,
   * or an error from the worker (a model that fails to load, a backend that cannot start). A job that rejects while
   * refining takes its mesh out of the scene (disposes it).
   */
  readonly mesh: Promise<Mesh>;
  private _currentMesh: Mesh | null = null;
  private _state: GenerationJobState = 'pending';
  private _stage: GenerationStage = 'queued';
  private readonly _created = performance.now();
  private _resolve!: (mesh: Mesh) => void;
  private _reject!: (error: unknown) => void;
  private _onCancel: ((reason: unknown) => void) | null = null;
  private _onCancelWhileRefining: ((mesh: Mesh) => void) | null = null;
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
   * The job's mesh once it is in the scene, before {@link mesh} resolves when the job refines (the same object,
   * updated in place); null before.
   */
  get currentMesh(): Mesh | null {
    return this._currentMesh;
  }

  /**
   * Stops the job: a queued job leaves the queue; a generating one stops its worker, which is replaced, and the mesh
   * promise rejects with `reason` (default: an `AbortError` DOMException). A refining one (its mesh in the scene)
   * stops refining at the worker's next step, keeps the mesh as last updated and resolves the mesh promise with it;
   * its metadata's `refinement.state` is `'cancelled'`. Either way the job's state becomes `'cancelled'`. Returns
   * false, doing nothing, if the job has already ended.
   */
  cancel(reason: unknown = abortError(`generation of ${JSON.stringify(this.prompt)} was cancelled`)): boolean {
    if (this._state !== 'pending') return false;
    const onCancel = this._onCancel;
    const mesh = this._currentMesh;
    const onCancelWhileRefining = this._onCancelWhileRefining;
    this._settle('cancelled');
    if (mesh) {
      onCancelWhileRefining?.(mesh);
      this._resolve(mesh);
    } else {
      this._reject(reason);
    }
    onCancel?.(reason);
    return true;
  }

  /** @internal The mesh is in the scene and refinement starts; `onCancel` records a cancel in its metadata. */
  _refining(mesh: Mesh, onCancel: (mesh: Mesh) => void): void {
    this._currentMesh = mesh;
    this._onCancelWhileRefining = onCancel;
  }

  /** @internal What cancelling does besides rejecting: the pool's part. Called at most once. */
  _setCancelHandler(onCancel: (reason: unknown) => void): void {
    this._onCancel = onCancel;
  }

  /** @internal */
  _progress(
    stage: GenerationStage,
    step = 0,
    steps = 0,
    loss: number | null = null,
    meshUpdated = false,
    views: RefineViews | null = null,
  ): void {
    if (this._state !== 'pending') return;
    this._stage = stage;
    this.onProgressObservable.notifyObservers({
      stage,
      step,
      steps,
      loss,
      meshUpdated,
      views,
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

  /**
   * @internal Rejects the job unless it has already ended; a rejection with an AbortError counts as cancelled. A
   * mesh in the scene (refining) is disposed: a rejected job leaves nothing behind.
   */
  _fail(error: unknown): void {
    if (this._state !== 'pending') return;
    const mesh = this._currentMesh;
    this._settle(error instanceof DOMException && error.name === 'AbortError' ? 'cancelled' : 'failed');
    this._currentMesh = null;
    if (mesh && !mesh.isDisposed()) mesh.dispose(false, true);
    this._reject(error);
  }

  /** @internal Milliseconds since the job was created. */
  _elapsed(): number {
    return performance.now() - this._created;
  }

  private _settle(state: Exclude<GenerationJobState, 'pending'>): void {
    this._state = state;
    this._onCancel = null;
    this._onCancelWhileRefining = null;
    this._signal?.removeEventListener('abort', this._abortListener);
    this.onProgressObservable.clear();
  }
}
