/**
 * The selected asset: chosen by clicking or tapping it in the level, or from the panel's list (keyboard), outlined
 * in the scene, with its actions: Refine (disabled, with the plugin's reason, while the plugin cannot refine),
 * Export .glb, Inspect (opens its row in the prompt inspector) and Delete (press twice).
 */
import { Color3 } from '@babylonjs/core/Maths/math.color.js';
import { PointerEventTypes } from '@babylonjs/core/Events/pointerEvents.js';
import '@babylonjs/core/Culling/ray.js';
import '@babylonjs/core/Rendering/outlineRenderer.js';
import type { Scene } from '@babylonjs/core/scene.js';
import { describeJobError, downloadBlob } from 'scaledreamer-babylon/inspector';
import type { AssetLibrary, LibraryAsset } from 'scaledreamer-babylon/persistence';

export interface SelectionElements {
  readonly select: HTMLSelectElement;
  readonly prompt: HTMLElement;
  readonly refine: HTMLButtonElement;
  readonly exportButton: HTMLButtonElement;
  readonly inspect: HTMLButtonElement;
  readonly deleteButton: HTMLButtonElement;
  readonly message: HTMLElement;
}

/** Refinement settings of the HUD's one-click Refine (the inspector has the full controls). */
const QUICK_REFINE = { method: 'asd', steps: 30 } as const;

export class SelectionPanel {
  /** Called after each selection change (e.g. to open the asset's row in the prompt inspector). */
  onSelect: ((asset: LibraryAsset | null) => void) | null = null;
  private _selected: LibraryAsset | null = null;
  private _deleteArmed = false;

  constructor(
    private readonly _scene: Scene,
    private readonly _library: AssetLibrary,
    private readonly _elements: SelectionElements,
    /** Opens the prompt inspector on the asset. */
    private readonly _inspect: (asset: LibraryAsset) => void,
    /** Something visible changed (to render a frame). */
    private readonly _onChange: () => void,
  ) {
    _scene.onPointerObservable.add((info) => {
      if (info.type !== PointerEventTypes.POINTERTAP) return;
      const picked = info.pickInfo?.pickedMesh ?? _scene.pick(_scene.pointerX, _scene.pointerY)?.pickedMesh;
      this.select(_library.assetOfMesh(picked) ?? null);
    });
    _library.onAssetChangedObservable.add((asset) => {
      this._renderList();
      if (this._selected?.id === asset.id) this.select(_library.get(asset.id) ?? null);
    });
    _elements.select.addEventListener('change', () => this.select(_library.get(_elements.select.value) ?? null));
    _elements.refine.addEventListener('click', () => this._refine());
    _elements.exportButton.addEventListener('click', () => void this._export());
    _elements.inspect.addEventListener('click', () => this._selected && this._inspect(this._selected));
    _elements.deleteButton.addEventListener('click', () => void this._delete());
    _elements.deleteButton.addEventListener('blur', () => this._disarm());
    this._renderList();
    this.select(null);
  }

  get selected(): LibraryAsset | null {
    return this._selected;
  }

  select(asset: LibraryAsset | null): void {
    if (this._selected && this._selected !== asset && !this._selected.mesh.isDisposed()) {
      this._selected.mesh.renderOutline = false;
    }
    this._selected = asset;
    this._disarm();
    const { select, prompt, refine, exportButton, inspect, deleteButton, message } = this._elements;
    select.value = asset?.id ?? '';
    prompt.textContent = asset ? `${asset.prompt} (seed ${asset.seed}, ${asset.method})` : 'Click an asset, or pick one above.';
    for (const button of [exportButton, inspect, deleteButton]) button.disabled = asset === null;
    const refinement = this._library.refinement;
    refine.disabled = asset === null || !refinement.available;
    message.classList.remove('error');
    message.textContent = asset && !refinement.available ? `Refine is unavailable: ${refinement.reason}` : '';
    if (asset) {
      asset.mesh.renderOutline = true;
      asset.mesh.outlineColor = new Color3(1, 0.85, 0.2);
      asset.mesh.outlineWidth = 0.025;
    }
    this._onChange();
    this.onSelect?.(asset);
  }

  private _renderList(): void {
    const { select } = this._elements;
    const none = new Option(this._library.assets.length ? 'No asset selected' : 'No assets yet', '');
    select.replaceChildren(none, ...this._library.assets.map((asset, index) =>
      new Option(`${index + 1}. ${asset.prompt}`, asset.id)));
    select.value = this._selected?.id ?? '';
  }

  private _say(text: string, error = false): void {
    this._elements.message.textContent = text;
    this._elements.message.classList.toggle('error', error);
  }

  private _refine(): void {
    const asset = this._selected;
    if (!asset) return;
    try {
      this._library.regenerate(asset.id, { refine: QUICK_REFINE });
      this._say(`Refining with ${QUICK_REFINE.method.toUpperCase()} for ${QUICK_REFINE.steps} steps…`);
    } catch (error) {
      this._say(`Cannot refine: ${describeJobError(error)}`, true);
    }
  }

  private async _export(): Promise<void> {
    const asset = this._selected;
    if (!asset) return;
    try {
      this._say('Exporting…');
      const glb = await this._library.exportGlbAsync(asset.id);
      downloadBlob(glb, `${asset.prompt.replace(/[^\w-]+/g, '_') || 'asset'}.glb`);
      this._say(`Exported ${(glb.size / 1024).toFixed(0)} KiB as .glb.`);
    } catch (error) {
      this._say(`Export failed: ${describeJobError(error)}`, true);
    }
  }

  private async _delete(): Promise<void> {
    const asset = this._selected;
    if (!asset) return;
    if (!this._deleteArmed) {
      this._deleteArmed = true;
      this._elements.deleteButton.textContent = 'Press again to delete';
      return;
    }
    this.select(null);
    try {
      await this._library.removeAsync(asset.id);
      this._say(`Deleted "${asset.prompt}".`);
    } catch (error) {
      this._say(`Removed from the level, but not from storage: ${describeJobError(error)}`, true);
    }
  }

  private _disarm(): void {
    this._deleteArmed = false;
    this._elements.deleteButton.textContent = 'Delete';
  }
}
