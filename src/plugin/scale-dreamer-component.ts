/**
 * The scene component of a ScaleDreamer plugin: what ties the plugin's life to its scene (`scene.dispose()` calls
 * {@link ScaleDreamerSceneComponent.dispose}, which disposes the plugin: jobs cancelled, workers ended).
 */
import type { Scene } from '@babylonjs/core/scene.pure.js';
import type { ScenePlugin, ScenePluginComponent } from './scene-plugin.js';

/** The component's name in `scene._components`, like Babylon's `SceneComponentConstants.NAME_*`. */
export const SCALEDREAMER_COMPONENT_NAME = 'ScaleDreamer';

export class ScaleDreamerSceneComponent implements ScenePluginComponent {
  readonly name = SCALEDREAMER_COMPONENT_NAME;

  constructor(
    readonly scene: Scene,
    readonly plugin: ScenePlugin & { dispose(): void },
  ) {}

  /** Nothing to hook into the render loop: meshes arrive from workers, not from frames. */
  register(): void {}

  /** Nothing to rebuild after a lost context: generated meshes are ordinary meshes, which Babylon rebuilds. */
  rebuild(): void {}

  /** Disposes the plugin. */
  dispose(): void {
    this.plugin.dispose();
  }
}
