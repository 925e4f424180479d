/**
 * The main thread's side of one job's refinement: the worker's per-step updates become the job's `'refining'`
 * progress events, its remeshes replace the mesh's geometry in place, and the mesh's metadata
 * (`scaleDreamer.refinement`, vertices, bounds) follows. Made by ScaleDreamer.generate for jobs with `refine`.
 */
import type { Mesh } from '@babylonjs/core/Meshes/mesh.js';
import type { RefineSummary, RefineUpdate } from '../workers/generation-protocol.js';
import type { GenerationJob } from './generation-job.js';
import {
  updateGeneratedMesh,
  type GeneratedMeshMetadata,
  type GeneratedMeshMetadataHolder,
  type RefinementMetadata,
} from './generated-mesh.js';
import type { ResolvedRefineOptions } from './scale-dreamer-options.js';

export class RefinementTracker {
  private _mesh: Mesh | null = null;
  private _start = 0;

  constructor(
    private readonly _job: GenerationJob,
    readonly options: ResolvedRefineOptions,
  ) {}

  /** The metadata's `refinement` as the generator's mesh enters the scene. */
  initialMetadata(): RefinementMetadata {
    return { ...this.options, state: 'running', stepsDone: 0, meshStep: 0, loss: null, msPerStep: null,
      stageMsPerStep: null, refineMs: null };
  }

  /** The generator's mesh is in the scene: refinement starts on it. */
  start(mesh: Mesh): void {
    this._mesh = mesh;
    this._start = performance.now();
    this._job._refining(mesh, () => this._setRefinement({ state: 'cancelled' }));
    this._job._progress('refining', 0, this.options.steps, null);
  }

  /** One step done in the worker; with a remesh, the geometry is replaced in place (an empty remesh is skipped). */
  update(update: RefineUpdate): void {
    const mesh = this._mesh;
    if (!mesh || this._job.state !== 'pending') return;
    let meshUpdated = false;
    if (update.mesh && update.mesh.positions.length > 0 && !mesh.isDisposed()) {
      updateGeneratedMesh(mesh, update.mesh);
      meshUpdated = true;
      this._setMetadata({
        vertices: update.mesh.positions.length / 3,
        faces: update.mesh.indices.length / 3,
        localBounds: update.mesh.bounds,
      });
    }
    this._setRefinement({
      stepsDone: update.step,
      loss: update.loss,
      ...(meshUpdated ? { meshStep: update.step } : {}),
    });
    this._job._progress('refining', update.step, update.steps, update.loss, meshUpdated,
      meshUpdated ? update.views : null);
  }

  /** All steps ran: the job resolves with the mesh. */
  finish(summary: RefineSummary): void {
    const mesh = this._mesh;
    if (!mesh || this._job.state !== 'pending') return;
    this._setRefinement({ state: 'done', msPerStep: summary.msPerStep, stageMsPerStep: summary.stageMsPerStep,
      threads: summary.threads });
    this._job._succeed(mesh);
  }

  private _setRefinement(change: Partial<RefinementMetadata>): void {
    const current = this._metadata()?.refinement;
    if (!current) return;
    this._setMetadata({ refinement: { ...current, ...change, refineMs: performance.now() - this._start } });
  }

  /** The metadata object is replaced (its fields are readonly); apps' own keys beside it are kept. */
  private _setMetadata(change: Partial<GeneratedMeshMetadata>): void {
    const holder = this._mesh?.metadata as GeneratedMeshMetadataHolder | undefined;
    if (!holder?.scaleDreamer) return;
    holder.scaleDreamer = { ...holder.scaleDreamer, ...change };
  }

  private _metadata(): GeneratedMeshMetadata | undefined {
    return (this._mesh?.metadata as GeneratedMeshMetadataHolder | undefined)?.scaleDreamer;
  }
}
