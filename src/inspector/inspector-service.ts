/**
 * The prompt inspector inside Babylon's Inspector (v2): a service definition whose factory adds a side pane
 * (IShellService.addSidePane) holding a {@link PromptInspectorPanel}, and that ties the pane's open row to the
 * Inspector's selection (ISelectionService) both ways, so that opening a row shows the mesh's properties and
 * picking a generated mesh in the scene explorer opens its row.
 *
 * @babylonjs/inspector and React are optional peer dependencies loaded on first use (dynamic imports), so that apps
 * import this module, and the library, without pulling the Inspector in.
 */
import type { InspectorToken } from '@babylonjs/inspector';
import type { Scene } from '@babylonjs/core/scene.pure.js';
import type { LibraryAsset } from '../persistence/asset-library.js';
import { PromptInspectorPanel, type PromptInspectorPanelOptions } from './prompt-inspector-panel.js';

/** The side pane's key in the Inspector shell. */
export const PROMPT_INSPECTOR_PANE_KEY = 'ScaleDreamer Prompt Inspector';

/** Options of {@link showPromptInspector}. */
export interface PromptInspectorOptions extends PromptInspectorPanelOptions {
  /** Open the prompt inspector's pane when the Inspector shows. Default true. */
  readonly selectPane?: boolean;
  /**
   * Which side pane holds it. Default `'left'`, beside the scene explorer: opening a row selects its mesh, and the
   * Inspector then shows the mesh's properties in the right pane (a pane on the right would be switched away from).
   */
  readonly side?: 'left' | 'right';
  /** Called with the panel once it exists (e.g. to open a row), and with null when the Inspector closes. */
  readonly onPanel?: (panel: PromptInspectorPanel | null) => void;
  /** Further Inspector options (layout, theme, other services), passed to `ShowInspector` as they are. */
  readonly inspectorOptions?: Record<string, unknown>;
}

/** What this module needs of the Inspector's shell and selection services (their types come from the Inspector). */
interface ShellService {
  addSidePane(pane: {
    key: string;
    title: string;
    icon: () => unknown;
    content: () => unknown;
    horizontalLocation: 'left' | 'right';
    verticalLocation: 'top' | 'bottom';
    keepMounted?: boolean;
    teachingMoment?: boolean;
    order?: number;
  }): { dispose(): void };
  readonly sidePanes: readonly { readonly key: string; select(): void }[];
}
interface SelectionService {
  selectedEntity: object | null;
  readonly onSelectedEntityChanged: { add(callback: () => void): unknown; remove(observer: unknown): boolean };
}

/** A service definition for `ShowInspector(scene, { serviceDefinitions: [...] })`, as the Inspector types it. */
export interface PromptInspectorServiceDefinition {
  readonly friendlyName: string;
  readonly consumes: readonly symbol[];
  readonly factory: (...services: never[]) => { dispose(): void };
}

/**
 * Loads the Inspector and React, and makes the prompt inspector's service definition, for apps that call
 * `ShowInspector` themselves with other services too.
 * @throws {Error} if @babylonjs/inspector (and its React peers) are not installed.
 */
export async function createPromptInspectorServiceAsync(
  options: PromptInspectorOptions,
): Promise<PromptInspectorServiceDefinition> {
  const [inspector, reactModule] = await Promise.all([loadInspector(), import('react')]);
  // React is CommonJS: bundlers (and Node) give a dynamic import of it a `default` export holding module.exports,
  // and only some also copy its members out as named exports.
  const React = (reactModule as unknown as { default?: typeof reactModule }).default ?? reactModule;
  const { ShellServiceIdentity, SelectionServiceIdentity } = inspector;

  function Icon() {
    // A spark: four-pointed star, in the pane tab's text colour.
    return React.createElement('svg', { width: 20, height: 20, viewBox: '0 0 20 20', 'aria-hidden': true },
      React.createElement('path', {
        d: 'M10 1.5 L12 8 L18.5 10 L12 12 L10 18.5 L8 12 L1.5 10 L8 8 Z',
        fill: 'currentColor',
      }));
  }

  return {
    friendlyName: 'ScaleDreamer prompt inspector',
    consumes: [ShellServiceIdentity, SelectionServiceIdentity],
    factory: (...services: never[]) => {
      const [shell, selection] = services as unknown as [ShellService, SelectionService];
      const panel = new PromptInspectorPanel(options);

      // The pane's React content hosts the panel's element; the panel outlives re-mounts (keepMounted keeps the
      // loss plot and half-typed prompts when the user switches tabs).
      function Content() {
        const host = React.useRef<HTMLDivElement>(null);
        React.useEffect(() => {
          host.current?.append(panel.element);
          return () => panel.element.remove();
        }, []);
        return React.createElement('div', { ref: host, style: { height: '100%', overflowY: 'auto' } });
      }

      const pane = shell.addSidePane({
        key: PROMPT_INSPECTOR_PANE_KEY,
        title: 'ScaleDreamer assets',
        icon: Icon,
        content: Content,
        horizontalLocation: options.side ?? 'left',
        verticalLocation: 'top',
        keepMounted: true,
        teachingMoment: false,
        order: -1,
      });

      // Row -> Inspector selection, and Inspector selection -> row (only for generated meshes).
      let syncing = false;
      const onRow = panel.onSelectObservable.add((asset: LibraryAsset | null) => {
        if (syncing || !asset) return;
        syncing = true;
        selection.selectedEntity = asset.mesh;
        syncing = false;
      });
      const onSelection = selection.onSelectedEntityChanged.add(() => {
        if (syncing) return;
        const asset = options.library.assetOfMesh(selection.selectedEntity as never);
        if (!asset) return;
        syncing = true;
        panel.select(asset.id);
        syncing = false;
      });

      // A regenerated asset has a new mesh: keep the Inspector on it if it showed the old one.
      const onAsset = options.library.onAssetChangedObservable.add((asset: LibraryAsset) => {
        if (panel.selected !== asset.id || options.library.get(asset.id) !== asset) return;
        const shown = selection.selectedEntity;
        if (shown === asset.mesh || (shown !== null && !(shown as { isDisposed?: () => boolean }).isDisposed?.())) {
          return;
        }
        syncing = true;
        selection.selectedEntity = asset.mesh;
        syncing = false;
      });

      if (options.selectPane ?? true) {
        queueMicrotask(() => shell.sidePanes.find((candidate) => candidate.key === PROMPT_INSPECTOR_PANE_KEY)?.select());
      }
      options.onPanel?.(panel);
      return {
        dispose: () => {
          selection.onSelectedEntityChanged.remove(onSelection);
          options.library.onAssetChangedObservable.remove(onAsset);
          panel.onSelectObservable.remove(onRow);
          pane.dispose();
          panel.dispose();
          options.onPanel?.(null);
        },
      };
    },
  };
}

/**
 * Shows Babylon's Inspector for `scene` with the prompt inspector's pane open. Resolves with the Inspector's token
 * (`dispose()` hides it).
 * @throws {Error} if @babylonjs/inspector (and its React peers) are not installed.
 */
export async function showPromptInspector(scene: Scene, options: PromptInspectorOptions): Promise<InspectorToken> {
  const [inspector, service] = await Promise.all([loadInspector(), createPromptInspectorServiceAsync(options)]);
  return inspector.ShowInspector(scene as never, {
    ...options.inspectorOptions,
    serviceDefinitions: [service as never],
  });
}

async function loadInspector(): Promise<typeof import('@babylonjs/inspector')> {
  try {
    // The Inspector's mesh properties read occlusion-query fields, which exist only once this side-effect module
    // has run; tree-shaken apps may not have loaded it.
    await import('@babylonjs/core/Engines/AbstractEngine/abstractEngine.query.js');
    return await import('@babylonjs/inspector');
  } catch (error) {
    throw new Error('the prompt inspector needs @babylonjs/inspector 9 and its peers (React, Fluent UI): ' +
      'npm install @babylonjs/inspector', { cause: error });
  }
}
