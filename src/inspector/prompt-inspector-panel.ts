/**
 * The prompt inspector's content: every generated asset of an {@link AssetLibrary} with what made it (prompt, seed,
 * method, timings, pack), its prompt editable and regenerated in place, refinement controls with a live loss plot,
 * export and delete. Plain DOM (native inputs and buttons, so keyboards and screen readers work as usual), so that
 * it can live in Babylon's Inspector side pane (inspector-service.ts) or anywhere else; its colours come from the
 * Fluent theme variables of the Inspector when it is inside one.
 */
import { Observable } from '@babylonjs/core/Misc/observable.js';
import type { GenerationProgress } from '../plugin/generation-job.js';
import type { RefineOptions } from '../plugin/scale-dreamer-options.js';
import type { AssetJob, AssetLibrary, LibraryAsset } from '../persistence/asset-library.js';
import { describeJobError, progressFraction, progressText } from './job-progress.js';
import { LossPlot } from './loss-plot.js';
import { PriorViews } from './prior-views.js';
import { checkPrompt, type PromptVocabulary } from './prompt-words.js';

/** Options of {@link PromptInspectorPanel}. */
export interface PromptInspectorPanelOptions {
  readonly library: AssetLibrary;
}

/** The refinement methods and the ranges of their settings (as the plugin checks them). */
const REFINE_METHODS = ['asd', 'sds', 'csd'] as const;
const REFINE_DEFAULTS = { method: 'asd', steps: 50, eta: 0.1, guidanceScale: 7.5 } as const;

let nextPanelId = 1;

export class PromptInspectorPanel {
  /** The panel's root; put it where it should show. */
  readonly element: HTMLElement;
  /** Fires with the asset whose row the user opened (null when closed), e.g. to select its mesh in the scene. */
  readonly onSelectObservable: Observable<LibraryAsset | null>;
  private readonly _library: AssetLibrary;
  private readonly _vocabulary: PromptVocabulary;
  private readonly _rows = new Map<string, AssetRow>();
  private readonly _list: HTMLUListElement;
  private readonly _summary: HTMLElement;
  private readonly _storageAlert: HTMLElement;
  private readonly _empty: HTMLElement;
  private readonly _idPrefix = `sd-inspector-${nextPanelId++}`;
  private readonly _unsubscribe: (() => void)[] = [];
  private _selected: string | null = null;
  private _disposed = false;

  constructor(options: PromptInspectorPanelOptions) {
    this._library = options.library;
    this._vocabulary = options.library.scaleDreamer.pack.prior.tokenizer;
    this.onSelectObservable = new Observable<LibraryAsset | null>();
    injectStyles();

    this._summary = el('p', { className: 'sd-summary' });
    this._summary.setAttribute('aria-live', 'polite');
    this._storageAlert = el('p', { className: 'sd-alert', hidden: true });
    this._storageAlert.setAttribute('role', 'alert');
    this._empty = el('p', { className: 'sd-empty' }, 'No generated assets yet: type a prompt in the level.');
    this._list = el('ul', { className: 'sd-assets' });
    this._list.setAttribute('aria-label', 'Generated assets');
    this.element = el('div', { className: 'sd-inspector' }, this._summary, this._storageAlert, this._empty, this._list);
    this.element.setAttribute('role', 'region');
    this.element.setAttribute('aria-label', 'ScaleDreamer prompt inspector');

    const changed = this._library.onAssetChangedObservable.add((asset) => this._update(asset));
    const started = this._library.onJobStartedObservable.add((job) => this._jobStarted(job));
    const storage = this._library.onStorageErrorObservable.add((error) => {
      this._storageAlert.hidden = false;
      this._storageAlert.textContent = `Not saved: ${error.message}`;
    });
    this._unsubscribe.push(
      () => this._library.onAssetChangedObservable.remove(changed),
      () => this._library.onJobStartedObservable.remove(started),
      () => this._library.onStorageErrorObservable.remove(storage),
    );
    for (const asset of this._library.assets) this._update(asset);
    for (const asset of this._library.assets) if (asset.pendingJob) this._jobStarted(asset.pendingJob);
    this._renderSummary();
  }

  /** The open row's asset id; null when none. */
  get selected(): string | null {
    return this._selected;
  }

  /** Opens the asset's row (closing the others) and scrolls it into view; null closes all. */
  select(id: string | null): void {
    if (id === this._selected || (id !== null && !this._rows.has(id))) return;
    this._selected = id;
    for (const [rowId, row] of this._rows) row.setExpanded(rowId === id);
    const row = id === null ? undefined : this._rows.get(id);
    row?.element.scrollIntoView({ block: 'nearest' });
    this.onSelectObservable.notifyObservers(id === null ? null : (this._library.get(id) ?? null));
  }

  /** Leaves the library alone; removes the element from the page. Idempotent. */
  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    for (const unsubscribe of this._unsubscribe) unsubscribe();
    for (const row of this._rows.values()) row.dispose();
    this._rows.clear();
    this.onSelectObservable.clear();
    this.element.remove();
  }

  private _update(asset: LibraryAsset): void {
    const present = this._library.get(asset.id) === asset;
    let row = this._rows.get(asset.id);
    if (!present) {
      if (row && !this._library.get(asset.id)) {
        row.dispose();
        row.element.remove();
        this._rows.delete(asset.id);
        if (this._selected === asset.id) this.select(null);
      }
      this._renderSummary();
      return;
    }
    if (!row) {
      row = new AssetRow(`${this._idPrefix}-${this._rows.size}-${asset.id.slice(0, 8)}`, this._library,
        this._vocabulary, (id) => this.select(this._selected === id ? null : id));
      this._rows.set(asset.id, row);
      this._list.append(row.element);
    }
    row.render(asset);
    this._renderSummary();
  }

  private _jobStarted(job: AssetJob): void {
    if (job.assetId !== null) this._rows.get(job.assetId)?.trackJob(job);
  }

  private _renderSummary(): void {
    const count = this._rows.size;
    const pack = this._library.scaleDreamer.pack;
    const storage = this._library.isPersistent ? 'kept in this browser' : 'not saved (no storage)';
    this._summary.textContent = `${count} ${count === 1 ? 'asset' : 'assets'} · pack "${pack.name}" ` +
      `(prior ${pack.prior.version}) · ${storage}`;
    this._empty.hidden = count > 0;
  }
}

/** One asset's row: a header button that opens its details, and the details. */
class AssetRow {
  readonly element: HTMLLIElement;
  private readonly _header: HTMLButtonElement;
  private readonly _title: HTMLSpanElement;
  private readonly _badges: HTMLSpanElement;
  private readonly _details: HTMLDivElement;
  private readonly _facts: HTMLDListElement;
  private readonly _prompt: HTMLInputElement;
  private readonly _promptMessage: HTMLElement;
  private readonly _seed: HTMLInputElement;
  private readonly _regenerate: HTMLButtonElement;
  private readonly _progress: HTMLProgressElement;
  private readonly _progressText: HTMLElement;
  private readonly _cancel: HTMLButtonElement;
  private readonly _refineButton: HTMLButtonElement;
  private readonly _refineReason: HTMLElement;
  private readonly _refineInputs: { method: HTMLSelectElement; steps: HTMLInputElement; eta: HTMLInputElement;
    guidanceScale: HTMLInputElement };
  private readonly _lossPlot = new LossPlot();
  private readonly _views = new PriorViews();
  private readonly _delete: HTMLButtonElement;
  private readonly _message: HTMLElement;
  private _asset: LibraryAsset | null = null;
  private _job: AssetJob | null = null;
  private _shownUpdatedAt = -1;
  private _deleteArmed = false;

  constructor(
    id: string,
    private readonly _library: AssetLibrary,
    private readonly _vocabulary: PromptVocabulary,
    toggle: (assetId: string) => void,
  ) {
    this._title = el('span', { className: 'sd-asset-prompt' });
    this._badges = el('span', { className: 'sd-asset-badges' });
    this._header = el('button', { type: 'button', className: 'sd-asset-header' }, this._title, this._badges);
    this._header.setAttribute('aria-expanded', 'false');
    this._header.setAttribute('aria-controls', `${id}-details`);
    this._header.addEventListener('click', () => this._asset && toggle(this._asset.id));

    this._facts = el('dl', { className: 'sd-facts' });

    this._prompt = el('input', { id: `${id}-prompt`, name: 'prompt', autocomplete: 'off', spellcheck: false });
    this._promptMessage = el('p', { id: `${id}-prompt-message`, className: 'sd-field-message' });
    this._promptMessage.setAttribute('aria-live', 'polite');
    this._prompt.setAttribute('aria-describedby', this._promptMessage.id);
    this._prompt.addEventListener('input', () => this._checkPrompt());
    this._seed = el('input', { id: `${id}-seed`, name: 'seed', type: 'number', min: '0', max: String(2 ** 32 - 1),
      step: '1', inputMode: 'numeric' });
    this._regenerate = el('button', { type: 'submit' }, 'Regenerate');
    const form = el('form', { className: 'sd-regenerate' },
      el('label', { htmlFor: this._prompt.id }, 'Prompt'), this._prompt, this._promptMessage,
      el('div', { className: 'sd-inline' },
        el('label', { htmlFor: this._seed.id }, 'Seed'), this._seed, this._regenerate));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      this._run(null);
    });

    this._progress = el('progress', { max: 1, value: 0 });
    this._progress.setAttribute('aria-label', 'Job progress');
    this._progressText = el('span', { className: 'sd-progress-text' });
    this._cancel = el('button', { type: 'button', disabled: true }, 'Cancel');
    this._cancel.addEventListener('click', () => this._job?.job.cancel());
    const job = el('div', { className: 'sd-job' }, this._progress, this._progressText, this._cancel);

    const method = el('select', { id: `${id}-method` },
      ...REFINE_METHODS.map((name) => el('option', { value: name }, name.toUpperCase())));
    method.value = REFINE_DEFAULTS.method;
    const number = (name: string, value: number, min: number, max: number, step: number): HTMLInputElement =>
      el('input', { id: `${id}-${name}`, type: 'number', value: String(value), min: String(min), max: String(max),
        step: String(step) });
    this._refineInputs = {
      method,
      steps: number('steps', REFINE_DEFAULTS.steps, 1, 10000, 1),
      eta: number('eta', REFINE_DEFAULTS.eta, 0, 1, 0.01),
      guidanceScale: number('cfg', REFINE_DEFAULTS.guidanceScale, 0, 200, 0.5),
    };
    this._refineButton = el('button', { type: 'submit' }, 'Refine');
    this._refineReason = el('p', { id: `${id}-refine-reason`, className: 'sd-field-message' });
    const labelled = (text: string, input: HTMLElement): HTMLElement =>
      el('div', { className: 'sd-inline' }, el('label', { htmlFor: input.id }, text), input);
    const refine = el('form', { className: 'sd-refine' },
      el('fieldset', {},
        el('legend', {}, 'Refine'),
        labelled('Method', method),
        labelled('Steps', this._refineInputs.steps),
        labelled('Eta', this._refineInputs.eta),
        labelled('CFG', this._refineInputs.guidanceScale),
        this._refineButton, this._refineReason, this._lossPlot.canvas, this._views.element));
    refine.addEventListener('submit', (event) => {
      event.preventDefault();
      this._run(this._refineOptions());
    });

    const exportButton = el('button', { type: 'button' }, 'Export .glb');
    exportButton.addEventListener('click', () => void this._export());
    this._delete = el('button', { type: 'button', className: 'sd-danger' }, 'Delete');
    this._delete.addEventListener('click', () => void this._remove());
    this._delete.addEventListener('blur', () => this._disarmDelete());
    this._message = el('p', { className: 'sd-field-message' });
    this._message.setAttribute('role', 'status');

    this._details = el('div', { id: `${id}-details`, className: 'sd-asset-details', hidden: true },
      this._facts, form, job, refine, el('div', { className: 'sd-actions' }, exportButton, this._delete),
      this._message);
    this.element = el('li', { className: 'sd-asset' }, this._header, this._details);
  }

  render(asset: LibraryAsset): void {
    this._asset = asset;
    this.element.dataset.assetId = asset.id;
    this._title.textContent = asset.prompt;
    const save = { saving: 'saving…', saved: 'saved', failed: 'NOT SAVED', 'not-persisted': 'not saved' }[
      asset.saveState];
    this._badges.textContent = `${asset.method} · seed ${asset.seed} · ${save}`;
    this.element.classList.toggle('sd-unsaved', asset.saveState === 'failed');
    if (asset.updatedAt !== this._shownUpdatedAt) {
      // A new mesh (or the first render): the editable fields show what made it, unless the user is typing.
      this._shownUpdatedAt = asset.updatedAt;
      if (document.activeElement !== this._prompt) this._prompt.value = asset.prompt;
      if (document.activeElement !== this._seed) this._seed.value = String(asset.seed);
      this._checkPrompt();
    }
    const { metadata } = asset;
    const t = metadata.timings;
    const ms = (value: number | undefined): string => (value === undefined ? '–' : `${Math.round(value)} ms`);
    const facts: [string, string][] = [
      ['Method', asset.method],
      ['Seed', String(asset.seed)],
      ['Mesh', `${metadata.vertices} vertices, ${metadata.faces} faces (grid ${metadata.gridSize})`],
      ['Ran on', metadata.fallbackReason ? `${metadata.backend} (${metadata.fallbackReason})` : metadata.backend],
      ['Pack', `${metadata.pack.name}, prior ${metadata.pack.version}`],
      ['Timings', `${ms(t.endToEndMs)} in all: wait ${ms(t.waitMs)}, encode ${ms(t.encodeMs)}, generate ` +
        `${ms(t.generateMs)}, mesh ${ms((t.decodeMs ?? 0) + (t.marchingCubesMs ?? 0))}, build ${ms(t.buildMs)}`],
      ['Made', `${new Date(asset.createdAt).toLocaleString()}${asset.restored ? ' (restored from storage)' : ''}`],
    ];
    if (metadata.unknownWords.length > 0) facts.push(['Unknown words', metadata.unknownWords.join(', ')]);
    if (asset.saveError) facts.push(['Storage', asset.saveError.message]);
    this._facts.replaceChildren(...facts.flatMap(([term, value]) => [el('dt', {}, term), el('dd', {}, value)]));
    this._renderRefinement();
    if (asset.pendingJob && asset.pendingJob !== this._job) this.trackJob(asset.pendingJob);
  }

  setExpanded(expanded: boolean): void {
    this._header.setAttribute('aria-expanded', String(expanded));
    this._details.hidden = !expanded;
    this.element.classList.toggle('sd-selected', expanded);
  }

  /** Shows the job's progress (and, for refinement, its loss) in this row until it ends. */
  trackJob(job: AssetJob): void {
    this._job = job;
    this._cancel.disabled = false;
    this._progress.value = 0;
    this._progressText.textContent = 'queued';
    if (job.kind === 'refine') {
      this._lossPlot.clear();
      this._views.clear();
    }
    job.job.onProgressObservable.add((progress: GenerationProgress) => {
      if (this._job !== job) return;
      this._progress.value = progressFraction(progress, job.kind === 'refine');
      this._progressText.textContent = progressText(progress);
      if (progress.loss !== null) this._lossPlot.push(progress.step, progress.steps, progress.loss);
      if (progress.views) this._views.show(progress.views, progress.step);
    });
    job.asset.then(
      () => this._jobEnded(job, `${job.kind === 'refine' ? 'Refined' : 'Regenerated'} in place.`),
      (error: unknown) => this._jobEnded(job, `${job.kind === 'refine' ? 'Refinement' : 'Regeneration'} ` +
        `${describeJobError(error)}`),
    );
  }

  dispose(): void {
    this._job = null;
  }

  private _jobEnded(job: AssetJob, message: string): void {
    if (this._job !== job) return;
    this._job = null;
    this._cancel.disabled = true;
    this._progress.value = 0;
    this._progressText.textContent = '';
    this._message.textContent = message;
  }

  private _checkPrompt(): boolean {
    const { problem } = checkPrompt(this._prompt.value, this._vocabulary);
    this._prompt.setAttribute('aria-invalid', String(problem !== null));
    this._promptMessage.textContent = problem ?? '';
    this._regenerate.setAttribute('aria-disabled', String(problem !== null));
    return problem === null;
  }

  private _renderRefinement(): void {
    const { available, reason } = this._library.refinement;
    this._refineButton.disabled = !available;
    this._refineReason.textContent = available ? '' : `Refinement is unavailable: ${reason}`;
    if (available) this._refineButton.removeAttribute('aria-describedby');
    else this._refineButton.setAttribute('aria-describedby', this._refineReason.id);
    for (const input of Object.values(this._refineInputs)) input.disabled = !available;
  }

  private _refineOptions(): RefineOptions {
    const { method, steps, eta, guidanceScale } = this._refineInputs;
    return {
      method: method.value as RefineOptions['method'] & string,
      steps: steps.valueAsNumber,
      eta: eta.valueAsNumber,
      guidanceScale: guidanceScale.valueAsNumber,
    };
  }

  /** Regenerates (refine null) or refines the asset with the fields' prompt and seed; errors go to the row. */
  private _run(refine: RefineOptions | null): void {
    const asset = this._asset;
    if (!asset) return;
    if (!this._checkPrompt()) {
      this._prompt.focus();
      return;
    }
    const seed = this._seed.valueAsNumber;
    if (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 32 - 1) {
      this._message.textContent = `The seed must be a whole number from 0 to ${2 ** 32 - 1}.`;
      this._seed.focus();
      return;
    }
    try {
      this._message.textContent = '';
      this._library.regenerate(asset.id, { prompt: this._prompt.value.trim(), seed, ...(refine ? { refine } : {}) });
    } catch (error) {
      this._message.textContent = `Cannot ${refine ? 'refine' : 'regenerate'}: ${describeJobError(error)}`;
    }
  }

  private async _export(): Promise<void> {
    const asset = this._asset;
    if (!asset) return;
    try {
      this._message.textContent = 'Exporting…';
      const glb = await this._library.exportGlbAsync(asset.id);
      downloadBlob(glb, `${asset.prompt.replace(/[^\w-]+/g, '_') || 'asset'}.glb`);
      this._message.textContent = `Exported ${(glb.size / 1024).toFixed(0)} KiB as .glb.`;
    } catch (error) {
      this._message.textContent = `Export failed: ${describeJobError(error)}`;
    }
  }

  /** The first press arms the button; the second deletes (a mis-press must not lose an asset). */
  private async _remove(): Promise<void> {
    const asset = this._asset;
    if (!asset) return;
    if (!this._deleteArmed) {
      this._deleteArmed = true;
      this._delete.textContent = 'Press again to delete';
      return;
    }
    this._disarmDelete();
    try {
      await this._library.removeAsync(asset.id);
    } catch (error) {
      this._message.textContent = `Removed from the level, but not from storage: ${describeJobError(error)}`;
    }
  }

  private _disarmDelete(): void {
    this._deleteArmed = false;
    this._delete.textContent = 'Delete';
  }
}

/** Saves `blob` as a download named `name`. */
export function downloadBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = el('a', { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

type Props<K extends keyof HTMLElementTagNameMap> = Partial<
  Pick<HTMLElementTagNameMap[K], Extract<keyof HTMLElementTagNameMap[K], string>>
>;

/** A DOM element with properties and children. */
function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props<K> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  Object.assign(element, props);
  element.append(...children);
  return element;
}

const STYLE_ID = 'scaledreamer-inspector-styles';

/**
 * The panel's styles, once per document. Colours are the Fluent tokens that Babylon's Inspector defines (so the
 * panel follows its light or dark theme), with dark fallbacks elsewhere.
 */
function injectStyles(): void {
  if (document.getElementById(STYLE_ID)) return;
  const style = document.createElement('style');
  style.id = STYLE_ID;
  style.textContent = `
.sd-inspector { font: 13px/1.4 var(--fontFamilyBase, system-ui, sans-serif);
  color: var(--colorNeutralForeground1, #e8eaed); padding: 8px; box-sizing: border-box; }
.sd-inspector * { box-sizing: border-box; }
.sd-inspector .sd-summary { margin: 0 0 8px; color: var(--colorNeutralForeground2, #c5c8ce); }
.sd-inspector .sd-alert { margin: 0 0 8px; padding: 6px 8px; border-radius: 4px;
  background: var(--colorPaletteRedBackground2, #5c1f1f); color: var(--colorPaletteRedForeground1, #ffd7d7); }
.sd-inspector .sd-empty { color: var(--colorNeutralForeground3, #9aa0a6); }
.sd-inspector .sd-assets { list-style: none; margin: 0; padding: 0; }
.sd-inspector .sd-asset { border: 1px solid var(--colorNeutralStroke2, #3c4043); border-radius: 4px; margin: 0 0 6px; }
.sd-inspector .sd-asset.sd-selected { border-color: var(--colorBrandStroke1, #6ea8fe); }
.sd-inspector .sd-asset.sd-unsaved { border-color: var(--colorPaletteRedBorder2, #e06c6c); }
.sd-inspector .sd-asset-header { display: flex; flex-direction: column; align-items: flex-start; width: 100%;
  padding: 6px 8px; background: none; border: 0; color: inherit; font: inherit; text-align: left; cursor: pointer; }
.sd-inspector .sd-asset-prompt { font-weight: 600; overflow-wrap: anywhere; }
.sd-inspector .sd-asset-badges { color: var(--colorNeutralForeground3, #9aa0a6); font-size: 12px; }
.sd-inspector .sd-asset-details { padding: 0 8px 8px; }
.sd-inspector dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 8px; margin: 0 0 8px; }
.sd-inspector dt { color: var(--colorNeutralForeground3, #9aa0a6); }
.sd-inspector dd { margin: 0; overflow-wrap: anywhere; }
.sd-inspector label { display: block; margin: 4px 0 2px; }
.sd-inspector .sd-inline { display: flex; gap: 6px; align-items: center; margin: 4px 0; }
.sd-inspector .sd-inline label { margin: 0; min-width: 4.5em; }
.sd-inspector input, .sd-inspector select, .sd-inspector button { font: inherit; color: inherit;
  background: var(--colorNeutralBackground1, #202124); border: 1px solid var(--colorNeutralStroke1, #5f6368);
  border-radius: 4px; padding: 3px 6px; }
.sd-inspector input[name=prompt] { width: 100%; }
.sd-inspector input[type=number] { width: 7em; }
.sd-inspector input[aria-invalid=true] { border-color: var(--colorPaletteRedBorder2, #e06c6c); }
.sd-inspector button { cursor: pointer; }
.sd-inspector button:disabled { opacity: 0.5; cursor: not-allowed; }
.sd-inspector :focus-visible { outline: 2px solid var(--colorStrokeFocus2, #8ab4f8); outline-offset: 1px; }
.sd-inspector .sd-field-message { min-height: 1.4em; margin: 2px 0; font-size: 12px;
  color: var(--colorNeutralForeground2, #c5c8ce); }
.sd-inspector input[aria-invalid=true] + .sd-field-message { color: var(--colorPaletteRedForeground1, #ff9d9d); }
.sd-inspector .sd-job { display: grid; grid-template-columns: 1fr auto; gap: 2px 6px; align-items: center;
  margin: 6px 0; min-height: 3em; }
.sd-inspector .sd-job progress { width: 100%; }
.sd-inspector .sd-progress-text { grid-column: 1; font-size: 12px; min-height: 1.4em; }
.sd-inspector .sd-job button { grid-column: 2; grid-row: 1 / span 2; }
.sd-inspector fieldset { border: 1px solid var(--colorNeutralStroke2, #3c4043); border-radius: 4px; margin: 6px 0;
  padding: 4px 8px 8px; }
.sd-inspector .sd-loss-plot { display: block; margin-top: 4px; max-width: 100%;
  color: var(--colorNeutralForeground2, #c5c8ce); border-color: var(--colorNeutralStroke2, #5f6368); }
.sd-inspector .sd-views-canvas { display: block; margin-top: 4px; max-width: 100%; image-rendering: pixelated; }
.sd-inspector .sd-views { font-size: 12px; color: var(--colorNeutralForeground3, #9aa0a6); }
.sd-inspector .sd-actions { display: flex; gap: 6px; margin-top: 6px; }
.sd-inspector .sd-danger { border-color: var(--colorPaletteRedBorder2, #e06c6c); }
`;
  document.head.append(style);
}
