import { NullEngine } from '@babylonjs/core/Engines/nullEngine.js';
import { Scene } from '@babylonjs/core/scene.js';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  resolveGenerateOptions,
  resolveRefineOptions,
  resolveScaleDreamerOptions,
  type RefineOptions,
  type GenerateOptions,
  type ScaleDreamerOptions,
} from '../../src/plugin/scale-dreamer-options.js';
import {
  RegisterScenePlugins,
  removeSceneComponent,
  type ScenePlugin,
  type ScenePluginComponent,
} from '../../src/plugin/scene-plugin.js';

/** A minimal plugin that counts its disposals, the way ScaleDreamer ties its life to its component. */
class CountingPlugin implements ScenePlugin {
  disposals = 0;
  scene: Scene | null = null;
  constructor(readonly name = 'Counting') {}
  _createSceneComponent(scene: Scene): ScenePluginComponent {
    if (this.scene && this.scene !== scene) throw new Error('another scene');
    this.scene = scene;
    const component: ScenePluginComponent = {
      name: this.name,
      scene,
      plugin: this,
      register: () => {},
      rebuild: () => {},
      dispose: () => void this.disposals++,
    };
    return component;
  }
}

let engine: NullEngine;
beforeAll(() => {
  RegisterScenePlugins();
  RegisterScenePlugins(); // run-once: a second call changes nothing
  engine = new NullEngine();
});
afterEach(() => {
  for (const scene of [...engine.scenes]) scene.dispose();
});

describe('scene.addPlugin', () => {
  test('adds the plugin as a scene component that scene.dispose() disposes once', () => {
    const scene = new Scene(engine);
    const plugin = new CountingPlugin();
    expect(scene.addPlugin(plugin)).toBe(plugin);
    expect(scene.addPlugin(plugin)).toBe(plugin); // again: no second component
    expect(scene._components.filter((c) => c.name === 'Counting')).toHaveLength(1);
    scene.dispose();
    expect(plugin.disposals).toBe(1);
  });

  test('refuses a second plugin of the same name and anything that is not a plugin', () => {
    const scene = new Scene(engine);
    scene.addPlugin(new CountingPlugin());
    expect(() => scene.addPlugin(new CountingPlugin())).toThrow(/already has a plugin named Counting/);
    expect(() => scene.addPlugin({} as ScenePlugin)).toThrow(TypeError);
    expect(scene.addPlugin(new CountingPlugin('Other')).name).toBe('Other');
  });

  test('a removed component leaves room for a new plugin and is not disposed by the scene', () => {
    const scene = new Scene(engine);
    const first = new CountingPlugin();
    scene.addPlugin(first);
    removeSceneComponent(scene, scene._getComponent('Counting')!);
    const second = new CountingPlugin();
    scene.addPlugin(second);
    scene.dispose();
    expect([first.disposals, second.disposals]).toEqual([0, 1]);
  });
});

describe('options', () => {
  const pack = 'https://example.test/models/default/';
  const bad: [Partial<ScaleDreamerOptions>, RegExp][] = [
    [{ backend: 'cuda' as 'wasm' }, /options\.backend must be one of 'auto', 'webgpu', 'wasm', got "cuda"/],
    [{ workers: 0 }, /options\.workers must be an integer in \[1, 8\], got 0/],
    [{ workers: 2.5 }, /options\.workers must be an integer/],
    [{ maxQueuedJobs: -1 }, /options\.maxQueuedJobs must be an integer in \[0, 1024\]/],
    [{ threads: 64 }, /options\.threads must be an integer in \[1, 16\], got 64/],
  ];
  test.each(bad)('createScaleDreamer options %j: RangeError naming the option', (options, message) => {
    expect(() => resolveScaleDreamerOptions({ pack, ...options })).toThrow(RangeError);
    expect(() => resolveScaleDreamerOptions({ pack, ...options })).toThrow(message);
  });

  test('createScaleDreamer defaults, and type errors', () => {
    expect(resolveScaleDreamerOptions({ pack })).toMatchObject({
      backend: 'wasm',
      workers: 1,
      maxQueuedJobs: 16,
      threads: undefined,
    });
    expect(() => resolveScaleDreamerOptions({} as ScaleDreamerOptions)).toThrow(/options\.pack must be/);
    expect(() => resolveScaleDreamerOptions({ pack, createWorker: 1 as unknown as () => Worker })).toThrow(
      /options\.createWorker must be a function/,
    );
  });

  const badGenerate: [GenerateOptions, RegExp][] = [
    [{ gridSize: 4096 }, /options\.gridSize must be an integer in \[2, 256\], got 4096/],
    [{ gridSize: 0 }, /options\.gridSize must be an integer in \[2, 256\], got 0/],
    [{ seed: -1 }, /options\.seed must be an integer in \[0, 4294967295\], got -1/],
    [{ position: { x: 0, y: Number.NaN, z: 0 } }, /options\.position\.y must be a finite number, got NaN/],
    [{ unknownWords: 'loose' as 'strict' }, /options\.unknownWords must be 'strict' or 'lenient'/],
  ];
  test.each(badGenerate)('generate options %j: RangeError naming the option', (options, message) => {
    expect(() => resolveGenerateOptions(options)).toThrow(RangeError);
    expect(() => resolveGenerateOptions(options)).toThrow(message);
  });

  test('generate defaults', () => {
    expect(resolveGenerateOptions({})).toEqual({
      position: { x: 0, y: 0, z: 0 },
      seed: 0,
      gridSize: 64,
      unknownWords: 'strict',
      signal: undefined,
      refine: null,
    });
    expect(() => resolveGenerateOptions({ signal: {} as AbortSignal })).toThrow(TypeError);
    expect(() => resolveGenerateOptions({ refine: 'asd' as RefineOptions })).toThrow(/options\.refine must be an object/);
  });

  const context = { priorResolution: 64, samples: 48 };
  test('refine defaults: ASD, 100 steps, renders at 32, a remesh every 10 steps; the method picks the CFG', () => {
    expect(resolveRefineOptions({}, context)).toEqual({
      method: 'asd', steps: 100, eta: 0.1, guidanceScale: 7.5, resolution: 32, meshEvery: 10, threads: null,
    });
    expect(resolveRefineOptions({ threads: 1 }, context).threads).toBe(1);
    expect(resolveRefineOptions({ method: 'sds' }, context).guidanceScale).toBe(100);
    expect(resolveRefineOptions({}, { priorResolution: 48, samples: 48 }).resolution).toBe(24);
  });

  const badRefine: [RefineOptions, RegExp][] = [
    [{ method: 'vsd' as 'asd' }, /options\.refine\.method must be one of asd, sds, csd/],
    [{ steps: 0 }, /options\.refine\.steps must be an integer in \[1, 10000\], got 0/],
    [{ eta: 2 }, /options\.refine\.eta must be in \[0, 1\], got 2/],
    [{ guidanceScale: -1 }, /options\.refine\.guidanceScale must be in \[0, 200\], got -1/],
    [{ resolution: 30 }, /options\.refine\.resolution must divide the prior's resolution 64/],
    [{ meshEvery: 0 }, /options\.refine\.meshEvery must be an integer in \[1, 10000\], got 0/],
    [{ threads: 5 }, /options\.refine\.threads must be an integer in \[1, 4\], got 5/],
    [{ threads: 0 }, /options\.refine\.threads must be an integer in \[1, 4\], got 0/],
  ];
  test.each(badRefine)('refine options %j: RangeError naming the option', (refine, message) => {
    expect(() => resolveRefineOptions(refine, context)).toThrow(RangeError);
    expect(() => resolveRefineOptions(refine, context)).toThrow(message);
  });
});
