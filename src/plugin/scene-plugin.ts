/**
 * `scene.addPlugin(plugin)`: added to Babylon's Scene the way Babylon adds its optional features (physics, layers):
 * the Scene type is augmented here, beside the code that fills it in, and `Scene.prototype` is patched by
 * {@link RegisterScenePlugins}, which runs once and which nothing runs on import (the package has no side effects).
 * A plugin becomes a scene component, so `scene.dispose()` disposes it.
 */
import { Scene } from '@babylonjs/core/scene.pure.js';
import type { ISceneComponent } from '@babylonjs/core/sceneComponent.js';

/** What `scene.addPlugin` accepts: anything that can make a scene component for itself. */
export interface ScenePlugin {
  /** The component's name: a scene holds at most one plugin of each name. */
  readonly name: string;
  /**
   * @internal Called once by `scene.addPlugin`: binds the plugin to `scene` and returns the component that the
   * scene disposes with itself.
   * @throws {Error} if the plugin cannot join `scene` (already in another scene, or disposed).
   */
  _createSceneComponent(scene: Scene): ISceneComponent;
}

declare module '@babylonjs/core/scene.pure.js' {
  interface Scene {
    /**
     * Adds a plugin (e.g. a ScaleDreamer from `createScaleDreamer`) to the scene; the scene disposes it with itself.
     * Adding the same plugin again does nothing.
     * @returns the plugin.
     * @throws {Error} if the scene holds another plugin of the same name, or the plugin cannot join this scene.
     */
    addPlugin<T extends ScenePlugin>(plugin: T): T;
  }
}

/** The component of a plugin, with the plugin it belongs to. */
export interface ScenePluginComponent extends ISceneComponent {
  readonly plugin: ScenePlugin;
}

let registered = false;

/**
 * Adds `addPlugin` to Babylon's Scene. Safe to call many times; only the first call has an effect.
 * `createScaleDreamer` calls it, so apps need not.
 */
export function RegisterScenePlugins(): void {
  if (registered) return;
  registered = true;
  Scene.prototype.addPlugin = function <T extends ScenePlugin>(this: Scene, plugin: T): T {
    if (typeof plugin !== 'object' || plugin === null || typeof plugin._createSceneComponent !== 'function') {
      throw new TypeError(`scene.addPlugin(plugin): plugin must be a scene plugin (e.g. from createScaleDreamer), ` +
        `got ${plugin === null ? 'null' : typeof plugin}`);
    }
    const existing = this._getComponent(plugin.name) as ScenePluginComponent | null;
    if (existing?.plugin === plugin) return plugin;
    if (existing) throw new Error(`scene.addPlugin(plugin): the scene already has a plugin named ${plugin.name}`);
    this._addComponent(plugin._createSceneComponent(this));
    return plugin;
  };
}

/** Takes `component` out of its scene's components (a plugin disposed on its own, before its scene). */
export function removeSceneComponent(scene: Scene, component: ISceneComponent): void {
  for (const list of [scene._components, scene._serializableComponents as ISceneComponent[]]) {
    const index = list.indexOf(component);
    if (index >= 0) list.splice(index, 1);
  }
}
