/**
 * The generated assets of a scene, kept across page reloads: generate, regenerate in place (same id and placement,
 * new prompt, seed or refinement), remove and export, each asset saved to an {@link AssetStore} as a .glb with what
 * made it, and restored from it on the next visit. What the HUD of a level and the prompt inspector both work on.
 *
 * ```ts
 * const library = new AssetLibrary({ scene, scaleDreamer, store: await AssetStore.open() });
 * library.onStorageErrorObservable.add((error) => showBanner(error.message)); // full or failing storage
 * await library.restoreAsync();
 * const { job, asset } = library.generate('a red wooden barrel', { placement: { x: 0, y: 0, z: 3, rotationY: 0 } });
 * ```
 */
import type { Mesh } from '@babylonjs/core/Meshes/mesh.js';
import type { AbstractMesh } from '@babylonjs/core/Meshes/abstractMesh.js';
import type { TransformNode } from '@babylonjs/core/Meshes/transformNode.js';
import { Observable } from '@babylonjs/core/Misc/observable.js';
import type { Scene } from '@babylonjs/core/scene.pure.js';
import { exportMeshToGlb } from '../plugin/glb-export.js';
import type { GeneratedMeshMetadata, GeneratedMeshMetadataHolder } from '../plugin/generated-mesh.js';
import type { GenerationJob } from '../plugin/generation-job.js';
import type { ScaleDreamer } from '../plugin/scale-dreamer.js';
import type { RefineOptions } from '../plugin/scale-dreamer-options.js';
import { AssetStorageError, type AssetPlacement, type AssetStore, type StoredAsset } from './asset-store.js';
import { loadGlbAsset } from './glb-asset.js';

/** Options of {@link AssetLibrary}. */
export interface AssetLibraryOptions {
  readonly scene: Scene;
  /** Added to `scene` already (`scene.addPlugin(scaleDreamer)`). */
  readonly scaleDreamer: ScaleDreamer;
  /** Where assets persist; null keeps them for this page only. */
  readonly store: AssetStore | null;
  /** Marching-cubes grid of new meshes (the plugin's `gridSize`). Default: the plugin's. */
  readonly gridSize?: number;
}

/** Whether the asset's latest mesh is in the store. */
export type AssetSaveState = 'saving' | 'saved' | 'failed' | 'not-persisted';

/** One generated asset in the scene. */
export interface LibraryAsset {
  readonly id: string;
  /** The node to move or dispose: the mesh itself, or the glTF loader's root above a restored mesh. */
  readonly root: TransformNode;
  /** The geometry (what picking returns). */
  readonly mesh: Mesh;
  readonly prompt: string;
  readonly seed: number;
  readonly method: string;
  readonly placement: AssetPlacement;
  readonly metadata: GeneratedMeshMetadata;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** True for an asset loaded from the store on this visit (until it is regenerated). */
  readonly restored: boolean;
  readonly saveState: AssetSaveState;
  /** Why the last save failed; null otherwise. */
  readonly saveError: AssetStorageError | null;
  /** The regeneration or refinement running on it; null when none. */
  readonly pendingJob: AssetJob | null;
}

/** What an {@link AssetJob} does. */
export type AssetJobKind = 'generate' | 'regenerate' | 'refine';

/** A plugin job run for the library: a new asset, or a new mesh for an existing one. */
export interface AssetJob {
  readonly kind: AssetJobKind;
  /** The asset replaced in place; null for a new asset. */
  readonly assetId: string | null;
  readonly job: GenerationJob;
  /** The asset once its mesh is in the scene; rejects with the job's error (the asset, if any, is unchanged). */
  readonly asset: Promise<LibraryAsset>;
}

/** Options of {@link AssetLibrary.generate}. */
export interface AssetGenerateOptions {
  readonly placement: AssetPlacement;
  /** Default 0. */
  readonly seed?: number;
  /** In-browser refinement, where the plugin supports it ({@link AssetLibrary.refinement}). */
  readonly refine?: RefineOptions;
}

/** Options of {@link AssetLibrary.regenerate}: what changes; the rest is kept. */
export interface AssetRegenerateOptions {
  readonly prompt?: string;
  readonly seed?: number;
  readonly refine?: RefineOptions;
}

/** Whether the plugin refines, and if not, why (its own message). */
export interface RefinementSupport {
  readonly available: boolean;
  readonly reason: string | null;
}

/** The library's own fields of an asset, written in place. */
type MutableAsset = { -readonly [K in keyof LibraryAsset]: LibraryAsset[K] };

export class AssetLibrary {
  /** Fires when an asset is added, replaced, changes save state or job, or is removed (with the asset). */
  readonly onAssetChangedObservable: Observable<LibraryAsset>;
  /** Fires with each job the library starts, before its first progress event. */
  readonly onJobStartedObservable: Observable<AssetJob>;
  /** Fires with every storage failure (full, unavailable, failing); the asset stays in the scene, unsaved. */
  readonly onStorageErrorObservable: Observable<AssetStorageError>;
  private readonly _scene: Scene;
  private readonly _scaleDreamer: ScaleDreamer;
  private readonly _store: AssetStore | null;
  private readonly _gridSize: number | undefined;
  private readonly _assets = new Map<string, MutableAsset>();
  private readonly _byMesh = new WeakMap<AbstractMesh, MutableAsset>();
  private _refinement: RefinementSupport | null = null;
  private _disposed = false;

  constructor(options: AssetLibraryOptions) {
    this._scene = options.scene;
    this._scaleDreamer = options.scaleDreamer;
    this._store = options.store;
    this._gridSize = options.gridSize;
    this.onAssetChangedObservable = new Observable<LibraryAsset>();
    this.onJobStartedObservable = new Observable<AssetJob>();
    this.onStorageErrorObservable = new Observable<AssetStorageError>();
  }

  /** Every asset, oldest first. */
  get assets(): readonly LibraryAsset[] {
    return [...this._assets.values()];
  }

  /** Whether assets are saved at all (a store was given and is open). */
  get isPersistent(): boolean {
    return this._store !== null && !this._store.isClosed;
  }

  get scaleDreamer(): ScaleDreamer {
    return this._scaleDreamer;
  }

  get(id: string): LibraryAsset | undefined {
    return this._assets.get(id);
  }

  /** The asset whose geometry `mesh` is (e.g. a picked mesh); undefined for other meshes. */
  assetOfMesh(mesh: AbstractMesh | null | undefined): LibraryAsset | undefined {
    return mesh ? this._byMesh.get(mesh) : undefined;
  }

  /**
   * Whether the plugin accepts `generate(..., { refine })`. Found out once by asking it for a job that is aborted
   * before it starts, so that nothing runs: the plugin checks options before it looks at the signal.
   */
  get refinement(): RefinementSupport {
    if (!this._refinement) {
      const word = this._scaleDreamer.pack.prior.tokenizer.vocab.find((entry) => /^[a-z]+$/.test(entry)) ?? 'a';
      const controller = new AbortController();
      controller.abort();
      try {
        const job = this._scaleDreamer.generate(word, { refine: { steps: 1 }, signal: controller.signal });
        job.mesh.catch(() => undefined);
        this._refinement = { available: true, reason: null };
      } catch (error) {
        this._refinement = { available: false, reason: error instanceof Error ? error.message : String(error) };
      }
    }
    return this._refinement;
  }

  /**
   * Loads every stored asset into the scene. Assets that fail to load stay stored and are listed in `failed`.
   * @throws {AssetStorageError} if the store cannot be read (also reported through onStorageErrorObservable).
   */
  async restoreAsync(): Promise<{ restored: number; failed: { id: string; prompt: string; error: unknown }[] }> {
    this._checkLive('restoreAsync');
    if (!this._store) return { restored: 0, failed: [] };
    let stored: StoredAsset[];
    try {
      stored = await this._store.getAll();
    } catch (error) {
      if (error instanceof AssetStorageError) this.onStorageErrorObservable.notifyObservers(error);
      throw error;
    }
    const failed: { id: string; prompt: string; error: unknown }[] = [];
    let restored = 0;
    for (const record of stored) {
      if (this._assets.has(record.id)) continue;
      try {
        const { root, mesh } = await loadGlbAsset(this._scene, record.glb, meshName(record.prompt));
        if (this._disposed) {
          root.dispose(false, true);
          break;
        }
        mesh.metadata = { scaleDreamer: record.metadata } satisfies GeneratedMeshMetadataHolder;
        const asset: MutableAsset = {
          id: record.id,
          root,
          mesh,
          prompt: record.prompt,
          seed: record.seed,
          method: record.method,
          placement: record.placement,
          metadata: record.metadata,
          createdAt: record.createdAt,
          updatedAt: record.updatedAt,
          restored: true,
          saveState: 'saved',
          saveError: null,
          pendingJob: null,
        };
        this._add(asset);
        restored++;
      } catch (error) {
        failed.push({ id: record.id, prompt: record.prompt, error });
      }
    }
    return { restored, failed };
  }

  /**
   * Generates a new asset at `options.placement`.
   * @throws what `ScaleDreamer.generate` throws for a bad prompt or option (empty, unknown words, too long, ...).
   */
  generate(prompt: string, options: AssetGenerateOptions): AssetJob {
    this._checkLive('generate');
    return this._start('generate', null, prompt, options.seed ?? 0, options.placement, options.refine);
  }

  /**
   * Makes a new mesh for the asset, in place: same id and placement, the prompt and seed given or kept. A job
   * already running on the asset is cancelled. The old mesh stays until the new one is in the scene; if the job
   * fails, the asset is unchanged.
   * @throws {RangeError} if there is no asset `id`.
   * @throws what `ScaleDreamer.generate` throws for a bad prompt or option.
   */
  regenerate(id: string, options: AssetRegenerateOptions = {}): AssetJob {
    this._checkLive('regenerate');
    const asset = this._assets.get(id);
    if (!asset) throw new RangeError(`regenerate(): there is no asset ${JSON.stringify(id)}`);
    const kind: AssetJobKind = options.refine ? 'refine' : 'regenerate';
    const started = this._start(kind, id, options.prompt ?? asset.prompt, options.seed ?? asset.seed,
      asset.placement, options.refine);
    asset.pendingJob?.job.cancel();
    asset.pendingJob = started;
    this._changed(asset);
    return started;
  }

  /**
   * Removes the asset from the scene and the store (a job running on it is cancelled).
   * @throws {AssetStorageError} if the store fails to delete it (the asset has left the scene anyway).
   */
  async removeAsync(id: string): Promise<void> {
    this._checkLive('removeAsync');
    const asset = this._assets.get(id);
    if (!asset) return;
    asset.pendingJob?.job.cancel();
    this._assets.delete(id);
    asset.root.dispose(false, true);
    this._changed(asset);
    if (this._store && !this._store.isClosed) {
      try {
        await this._store.delete(id);
      } catch (error) {
        if (error instanceof AssetStorageError) this.onStorageErrorObservable.notifyObservers(error);
        throw error;
      }
    }
  }

  /**
   * The asset's mesh as a .glb file (world placement kept).
   * @throws {RangeError} if there is no asset `id`; what `exportMeshToGlb` throws.
   */
  exportGlbAsync(id: string): Promise<Blob> {
    const asset = this._assets.get(id);
    if (!asset) return Promise.reject(new RangeError(`exportGlbAsync(): there is no asset ${JSON.stringify(id)}`));
    return exportMeshToGlb(asset.mesh, { fileName: fileName(asset.prompt) });
  }

  /** Saves the asset again (e.g. after a failure once space was freed). */
  saveAsync(id: string): Promise<void> {
    const asset = this._assets.get(id);
    if (!asset) return Promise.reject(new RangeError(`saveAsync(): there is no asset ${JSON.stringify(id)}`));
    return this._save(asset);
  }

  /**
   * Cancels the library's jobs and forgets its assets; the meshes stay in the scene and in the store. The store is
   * left to its owner. Idempotent.
   */
  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    for (const asset of this._assets.values()) asset.pendingJob?.job.cancel();
    this._assets.clear();
    this.onAssetChangedObservable.clear();
    this.onJobStartedObservable.clear();
    this.onStorageErrorObservable.clear();
  }

  private _start(
    kind: AssetJobKind,
    assetId: string | null,
    prompt: string,
    seed: number,
    placement: AssetPlacement,
    refine: RefineOptions | undefined,
  ): AssetJob {
    const job = this._scaleDreamer.generate(prompt, {
      position: placement,
      seed,
      ...(this._gridSize === undefined ? {} : { gridSize: this._gridSize }),
      ...(refine === undefined ? {} : { refine }),
    });
    if (refine !== undefined) this._showWhileRefining(job, assetId, placement);
    const asset = job.mesh.then((mesh) => this._deliver(kind, assetId, job, mesh, placement));
    // The caller may never look at `asset`; its failures are the job's, reported through the job.
    asset.catch(() => undefined);
    const started: AssetJob = { kind, assetId, job, asset };
    job.mesh.catch(() => {
      const target = assetId === null ? undefined : this._assets.get(assetId);
      if (target && !target.root.isDisposed()) target.root.setEnabled(true);
      if (target?.pendingJob === started) {
        target.pendingJob = null;
        this._changed(target);
      }
    });
    this.onJobStartedObservable.notifyObservers(started);
    return started;
  }

  /**
   * A refining job's mesh enters the scene before the job resolves and is updated in place: it takes the asset's
   * placement at once and stands in for the asset's current mesh, which is hidden meanwhile (shown again if the job
   * fails, disposed when it delivers), so two meshes never overlap.
   */
  private _showWhileRefining(job: GenerationJob, assetId: string | null, placement: AssetPlacement): void {
    const observer = job.onProgressObservable.add(() => {
      const mesh = job.currentMesh;
      if (!mesh) return;
      job.onProgressObservable.remove(observer);
      mesh.rotation.y = placement.rotationY;
      const previous = assetId === null ? undefined : this._assets.get(assetId);
      if (previous && previous.pendingJob?.job === job) previous.root.setEnabled(false);
    });
  }

  private _deliver(
    kind: AssetJobKind,
    assetId: string | null,
    job: GenerationJob,
    mesh: Mesh,
    placement: AssetPlacement,
  ): LibraryAsset {
    mesh.rotation.y = placement.rotationY;
    const metadata = (mesh.metadata as GeneratedMeshMetadataHolder).scaleDreamer;
    const now = Date.now();
    const previous = assetId === null ? undefined : this._assets.get(assetId);
    if (this._disposed || (assetId !== null && (!previous || previous.pendingJob?.job !== job))) {
      // Removed, superseded or disposed while the job ran: the mesh is not wanted.
      mesh.dispose(false, true);
      throw new DOMException(`the asset for ${JSON.stringify(job.prompt)} is gone`, 'AbortError');
    }
    const asset: MutableAsset = {
      id: previous?.id ?? newId(),
      root: mesh,
      mesh,
      prompt: job.prompt,
      seed: job.seed,
      method: String(metadata.method),
      placement,
      metadata,
      createdAt: previous?.createdAt ?? now,
      updatedAt: now,
      restored: false,
      saveState: 'saving',
      saveError: null,
      pendingJob: null,
    };
    if (previous) previous.root.dispose(false, true);
    this._add(asset);
    void this._save(asset).catch(() => undefined);
    return asset;
  }

  private _add(asset: MutableAsset): void {
    this._assets.set(asset.id, asset);
    this._byMesh.set(asset.mesh, asset);
    asset.mesh.metadata = { ...(asset.mesh.metadata as object), scaleDreamerAssetId: asset.id };
    this._changed(asset);
  }

  private async _save(asset: MutableAsset): Promise<void> {
    if (!this._store || this._store.isClosed) {
      asset.saveState = 'not-persisted';
      this._changed(asset);
      return;
    }
    asset.saveState = 'saving';
    asset.saveError = null;
    this._changed(asset);
    const mesh = asset.mesh;
    try {
      const glb = await exportMeshToGlb(mesh, { fileName: fileName(asset.prompt) });
      await this._store.put({
        id: asset.id,
        prompt: asset.prompt,
        seed: asset.seed,
        method: asset.method,
        placement: asset.placement,
        metadata: asset.metadata,
        createdAt: asset.createdAt,
        updatedAt: asset.updatedAt,
        glb,
      });
      if (this._assets.get(asset.id) !== asset) return;
      asset.saveState = 'saved';
      this._changed(asset);
    } catch (caught) {
      const error = caught instanceof AssetStorageError
        ? caught
        : new AssetStorageError('failed', `cannot save ${JSON.stringify(asset.prompt)}: ${String(caught)}`, {
          cause: caught,
        });
      if (this._assets.get(asset.id) === asset) {
        asset.saveState = 'failed';
        asset.saveError = error;
        this._changed(asset);
      }
      this.onStorageErrorObservable.notifyObservers(error);
      throw error;
    }
  }

  private _changed(asset: MutableAsset): void {
    this.onAssetChangedObservable.notifyObservers(asset);
  }

  private _checkLive(method: string): void {
    if (this._disposed) throw new Error(`${method}(): the asset library was disposed`);
  }
}

function newId(): string {
  if (typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

/** The name of a mesh restored from `prompt`, as the plugin names generated ones. */
function meshName(prompt: string): string {
  return `scaledreamer: ${prompt.slice(0, 64)}`;
}

function fileName(prompt: string): string {
  return prompt.replace(/[^\w.-]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 64) || 'asset';
}
