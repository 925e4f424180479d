/**
 * The demo game level (`npm start`): walk around, type a prompt, and the asset appears in front of you. Assets are
 * kept in IndexedDB and come back on reload; the prompt inspector (a pane of Babylon's Inspector) lists them, edits
 * and regenerates them in place. See README.md, "Demo".
 *
 * `window.scaleDreamerDemo` holds the scene, the asset library and a promise of readiness, for the console and the
 * end-to-end test (test/browser/demo-level.test.ts).
 */
import type { AbstractEngine } from '@babylonjs/core/Engines/abstractEngine.js';
import type { Scene } from '@babylonjs/core/scene.js';
import type { InspectorToken } from '@babylonjs/inspector';
import { createScaleDreamer, type ScaleDreamer } from 'scaledreamer-babylon';
import {
  describeJobError,
  showPromptInspector,
  type PromptInspectorPanel,
} from 'scaledreamer-babylon/inspector';
import {
  AssetLibrary,
  AssetStore,
  type AssetPlacement,
  type LibraryAsset,
} from 'scaledreamer-babylon/persistence';
import { createLevelEngine } from './engine.js';
import { JobList } from './job-list.js';
import { createLevel, type Level } from './level.js';
import { PromptBox } from './prompt-box.js';
import { SelectionPanel } from './selection-panel.js';

/** Jobs that may run or wait at once; more are refused with a message (the plugin would queue up to 16). */
const MAX_PENDING_JOBS = 3;
/** How far ahead of the player a new asset stands, and how far apart assets stand. */
const SPAWN_DISTANCE = 4.5;
const SPACING = 2.2;
const EXAMPLES = ['a red wooden barrel', 'a purple crystal', 'a tall pink mushroom', 'a white icy mailbox',
  'a wooden bench'];

declare global {
  interface Window {
    scaleDreamerDemo?: {
      readonly scene: Scene;
      readonly level: Level;
      readonly engineKind: 'WebGPU' | 'WebGL';
      /** Why the WebGPU engine was not used; null when it was. */
      readonly engineFallbackReason: string | null;
      library?: AssetLibrary;
      scaleDreamer?: ScaleDreamer;
      /** Resolves once stored assets are restored and the prompt box is enabled. */
      ready?: Promise<void>;
      /** Opens (true) or closes (false) the prompt inspector; resolves when it is shown or hidden. */
      setInspector?: (open: boolean) => Promise<void>;
    };
  }
}

function element<T extends HTMLElement>(id: string, type: new () => T): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`#${id} is missing or not a ${type.name}`);
  return found;
}

const status = element('status', HTMLParagraphElement);
const storageAlert = element('storage-alert', HTMLParagraphElement);
const inspectorToggle = element('inspector-toggle', HTMLButtonElement);
const promptBox = new PromptBox({
  form: element('prompt-form', HTMLFormElement),
  input: element('prompt', HTMLInputElement),
  button: element('generate', HTMLButtonElement),
  suggestions: element('suggestions', HTMLUListElement),
  message: element('prompt-message', HTMLParagraphElement),
  examples: element('examples', HTMLDivElement),
}, (prompt) => onPrompt(prompt));
const jobs = new JobList(element('jobs', HTMLOListElement));

function showStorageProblem(text: string): void {
  storageAlert.hidden = false;
  storageAlert.textContent = text;
}

const { engine, canvas, kind: engineKind, fallbackReason } = await createLevelEngine(
  element('scene', HTMLCanvasElement));
const level = createLevel(engine, canvas);
const demo: NonNullable<Window['scaleDreamerDemo']> = {
  scene: level.scene,
  level,
  engineKind,
  engineFallbackReason: fallbackReason,
};
window.scaleDreamerDemo = demo;
const wake = startRenderLoop(engine, level, canvas);

let library: AssetLibrary | null = null;
let selection: SelectionPanel | null = null;
/** Where assets of running generate jobs will stand (kept free for them). */
const reserved = new Set<AssetPlacement>();

function onPrompt(prompt: string): void {
  if (!library) return;
  if (jobs.pending >= MAX_PENDING_JOBS) {
    promptBox.say(`Not started: ${jobs.pending} jobs are already running or waiting (at most ` +
      `${MAX_PENDING_JOBS}). Wait for one to finish, or cancel one.`, 'error');
    return;
  }
  const placement = freeSpot(library);
  try {
    const started = library.generate(prompt, { placement, seed: Math.floor(Math.random() * 100_000) });
    reserved.add(placement);
    promptBox.say(jobs.pending > 1 ? `Queued "${prompt}" behind ${jobs.pending - 1} other job(s).`
      : `Generating "${prompt}"…`);
    started.asset.then(
      (asset) => {
        const { vertices, timings, backend } = asset.metadata;
        status.textContent = `${prompt}: ${vertices} vertices in ${Math.round(timings.endToEndMs)} ms (${backend})`;
        if (jobs.pending === 0) promptBox.say(`Placed "${prompt}". Click an asset to select it.`);
        selection?.select(asset);
      },
      (error: unknown) => {
        status.textContent = `${prompt}: ${describeJobError(error)}`;
      },
    ).finally(() => reserved.delete(placement));
  } catch (error) {
    promptBox.say(`Cannot generate: ${describeJobError(error)}`, 'error');
  }
}

/** The spot in front of the player, or the nearest one beside it that no asset (or running job) takes. */
function freeSpot(assets: AssetLibrary): AssetPlacement {
  const taken = [...assets.assets.map((asset) => asset.placement), ...reserved];
  const ahead = level.spotInFront(SPAWN_DISTANCE);
  const right = { x: Math.cos(ahead.rotationY), z: -Math.sin(ahead.rotationY) };
  for (const offset of [0, 1, -1, 2, -2, 3, -3]) {
    const spot = { ...ahead, x: ahead.x + right.x * SPACING * offset, z: ahead.z + right.z * SPACING * offset };
    if (taken.every((other) => Math.hypot(other.x - spot.x, other.z - spot.z) >= SPACING * 0.9)) return spot;
  }
  return ahead;
}

/**
 * Renders while something moves (input anywhere on the page, the Inspector's included; inertia; new meshes) and skips
 * frames when the level is still, which leaves the CPU to the generation workers on small machines.
 */
function startRenderLoop(engine: AbstractEngine, level: Level, canvas: HTMLCanvasElement): (ms?: number) => void {
  let until = 0;
  const wake = (ms = 800): void => void (until = Math.max(until, performance.now() + ms));
  for (const type of ['pointerdown', 'pointermove', 'wheel', 'touchmove'] as const) {
    canvas.addEventListener(type, () => wake(), { passive: true });
  }
  // Keys held on the level (walking) keep it rendering, whether or not the browser repeats their keydown.
  const held = new Set<string>();
  canvas.addEventListener('keydown', (event) => held.add(event.code));
  canvas.addEventListener('keyup', (event) => held.delete(event.code));
  canvas.addEventListener('blur', () => held.clear());
  for (const type of ['keydown', 'pointerdown', 'input', 'change', 'wheel'] as const) {
    window.addEventListener(type, () => wake(1500), { capture: true, passive: true });
  }
  window.addEventListener('resize', () => {
    engine.resize();
    wake();
  });
  const camera = level.camera;
  engine.runRenderLoop(() => {
    const moving = camera.cameraDirection.lengthSquared() > 1e-8 || camera.cameraRotation.lengthSquared() > 1e-10;
    if (moving || held.size > 0 || performance.now() < until) level.scene.render();
  });
  wake(2000);
  return wake;
}

// The prompt inspector (Babylon's Inspector with our pane); its code loads on first use.
let inspector: InspectorToken | null = null;
let inspectorPanel: PromptInspectorPanel | null = null;
let inspectorOpening: Promise<void> | null = null;

async function setInspector(open: boolean): Promise<void> {
  await inspectorOpening;
  if (open === (inspector !== null) || !library) return;
  inspectorToggle.setAttribute('aria-pressed', String(open));
  if (!open) {
    const token = inspector;
    inspector = null;
    await token?.dispose();
    document.body.classList.remove('inspector-open');
    wake();
    return;
  }
  status.textContent = 'Opening the inspector…';
  const current = library;
  inspectorOpening = (async () => {
    try {
      inspector = await showPromptInspector(level.scene, {
        library: current,
        onPanel: (panel) => {
          inspectorPanel = panel;
          if (!panel) return;
          if (selection?.selected) panel.select(selection.selected.id);
          panel.onSelectObservable.add((asset) => selection?.select(asset));
        },
        inspectorOptions: {
          leftPaneDefaultWidth: 380,
          rightPaneDefaultWidth: 340,
          showThemeSelector: false,
          disableTeachingMoments: true,
        },
      });
      inspector.onDisposed.add(() => {
        inspector = null;
        inspectorPanel = null;
        inspectorToggle.setAttribute('aria-pressed', 'false');
        document.body.classList.remove('inspector-open');
      });
      document.body.classList.add('inspector-open');
      status.textContent = 'Inspector open: the ScaleDreamer pane lists your assets.';
    } catch (error) {
      inspectorToggle.setAttribute('aria-pressed', 'false');
      status.textContent = `The inspector could not open: ${describeJobError(error)}`;
    }
  })();
  await inspectorOpening;
  inspectorOpening = null;
}
demo.setInspector = setInspector;
inspectorToggle.addEventListener('click', () => void setInspector(inspector === null));
window.addEventListener('keydown', (event) => {
  if (event.altKey && event.code === 'KeyI') {
    event.preventDefault();
    void setInspector(inspector === null);
  }
});

async function start(): Promise<void> {
  status.textContent = `Loading the model pack… (${engineKind} engine${fallbackReason ? `: ${fallbackReason}` : ''})`;
  const scaleDreamer = await createScaleDreamer({ pack: './models/default/' });
  level.scene.addPlugin(scaleDreamer);
  demo.scaleDreamer = scaleDreamer;

  let store: AssetStore | null = null;
  try {
    store = await AssetStore.open();
  } catch (error) {
    showStorageProblem(`Assets will not be kept after this page closes: ${describeJobError(error)}`);
  }
  const assets = new AssetLibrary({ scene: level.scene, scaleDreamer, store });
  library = assets;
  demo.library = assets;
  assets.onStorageErrorObservable.add((error) => showStorageProblem(`Not saved: ${error.message}`));
  assets.onJobStartedObservable.add((job) => jobs.add(job));
  assets.onAssetChangedObservable.add((asset) => {
    if (assets.get(asset.id) === asset && !asset.mesh.isDisposed()) level.castShadows(asset.mesh);
    else level.refreshShadows();
    wake();
  });
  selection = new SelectionPanel(level.scene, assets, {
    select: element('asset-select', HTMLSelectElement),
    prompt: element('selected-prompt', HTMLParagraphElement),
    refine: element('refine', HTMLButtonElement),
    exportButton: element('export', HTMLButtonElement),
    inspect: element('inspect', HTMLButtonElement),
    deleteButton: element('delete', HTMLButtonElement),
    message: element('selection-message', HTMLParagraphElement),
  }, (asset) => void setInspector(true).then(() => inspectorPanel?.select(asset.id)), () => wake());
  selection.onSelect = (asset: LibraryAsset | null) => {
    if (asset) inspectorPanel?.select(asset.id);
  };

  let restoredText = '';
  try {
    const { restored, failed } = await assets.restoreAsync();
    if (restored > 0) restoredText = ` ${restored} saved ${restored === 1 ? 'asset' : 'assets'} restored.`;
    if (failed.length > 0) {
      showStorageProblem(`${failed.length} saved asset(s) could not be loaded: ` +
        failed.map(({ prompt, error }) => `"${prompt}" (${describeJobError(error)})`).join(', '));
    }
  } catch (error) {
    showStorageProblem(`Saved assets could not be read: ${describeJobError(error)}`);
  }
  promptBox.enable(scaleDreamer.pack.prior.tokenizer, EXAMPLES);
  promptBox.say('Type a prompt made of the pack\'s words, or pick an example.');
  status.textContent = `Starting the generation worker…${restoredText}`;
  const [worker] = await scaleDreamer.whenReadyAsync();
  const engineText = fallbackReason ? `${engineKind} engine (WebGPU: ${fallbackReason})` : `${engineKind} engine`;
  status.textContent = `Ready (${worker?.backend}): ${engineText}.${restoredText} Type a prompt made of the ` +
    'pack\'s words, e.g. "a red wooden barrel".';
}

demo.ready = start().catch((error: unknown) => {
  status.textContent = `ScaleDreamer could not start: ${describeJobError(error)}`;
  promptBox.say('The generator is unavailable; see the status line below.', 'error');
});
