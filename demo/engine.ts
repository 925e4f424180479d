/**
 * The level's engine: Babylon's WebGPU engine when the browser has a WebGPU adapter, the WebGL engine otherwise (or
 * when `?engine=webgl` asks for it; `?engine=webgpu` fails instead of falling back). A canvas that has given out a
 * WebGPU context cannot give a WebGL one, so a failed WebGPU start gets a fresh canvas.
 */
import type { AbstractEngine } from '@babylonjs/core/Engines/abstractEngine.js';
import { Engine } from '@babylonjs/core/Engines/engine.js';
import { WebGPUEngine } from '@babylonjs/core/Engines/webgpuEngine.js';

export interface LevelEngine {
  readonly engine: AbstractEngine;
  readonly canvas: HTMLCanvasElement;
  readonly kind: 'WebGPU' | 'WebGL';
  /** Why WebGPU was not used; null when it was. */
  readonly fallbackReason: string | null;
}

/** How long a new WebGPU device must live before the level trusts it. */
const DEVICE_CHECK_MS = 300;

export async function createLevelEngine(canvas: HTMLCanvasElement): Promise<LevelEngine> {
  const wanted = new URLSearchParams(location.search).get('engine');
  let fallbackReason = 'the page asked for WebGL';
  if (wanted !== 'webgl') {
    let touched = false;
    try {
      if (!('gpu' in navigator)) throw new Error('this browser has no WebGPU');
      if (!(await WebGPUEngine.IsSupportedAsync)) throw new Error('no WebGPU adapter');
      touched = true;
      const engine = new WebGPUEngine(canvas, { antialias: true, adaptToDeviceRatio: true });
      await engine.initAsync();
      // Some software adapters (SwiftShader in headless Chromium) hand out a device that is lost at once, again and
      // again: give the device a moment, and use WebGL if it is lost.
      const lost = await new Promise<boolean>((resolve) => {
        const observer = engine.onContextLostObservable.addOnce(() => resolve(true));
        setTimeout(() => {
          engine.onContextLostObservable.remove(observer);
          resolve(false);
        }, DEVICE_CHECK_MS);
      });
      if (!lost) return { engine, canvas, kind: 'WebGPU', fallbackReason: null };
      engine.dispose();
      throw new Error('the WebGPU device was lost as soon as it started');
    } catch (error) {
      if (wanted === 'webgpu') throw error;
      fallbackReason = error instanceof Error ? error.message : String(error);
      if (touched) {
        const fresh = canvas.cloneNode() as HTMLCanvasElement;
        canvas.replaceWith(fresh);
        canvas = fresh;
      }
    }
  }
  const engine = new Engine(canvas, true, { adaptToDeviceRatio: true, stencil: true });
  return { engine, canvas, kind: 'WebGL', fallbackReason };
}
