/**
 * Module worker that turns tokenized prompts into Babylon-ready mesh arrays: text encoder and generator in
 * onnxruntime-web, then the CPU kernels (generation-pipeline.ts). One job at a time; the main thread's pool
 * (src/plugin/generation-pool.ts) queues the rest. Reached through comlink.
 */
import * as Comlink from 'comlink';
import type { GenerationWorkerApi } from './generation-protocol.js';
import { startGenerationPipeline, type StartedPipeline } from './generation-sessions.js';

let started: StartedPipeline | undefined;
let busy = false;

/** Holds the named Web Lock until the worker ends; resolves true once it is held, false without Web Locks. */
function holdLifeLock(name: string): Promise<boolean> {
  if (!('locks' in navigator)) return Promise.resolve(false);
  return new Promise((held, fail) => {
    navigator.locks.request(name, () => {
      held(true);
      // Never settles: the lock goes when the worker does.
      return new Promise<never>(() => {});
    }).catch(fail);
  });
}

const api: GenerationWorkerApi = {
  holdLifeLock,

  async init(models, config) {
    if (started) throw new Error('init() was already called on this worker');
    const start = performance.now();
    started = await startGenerationPipeline(models, config.backend, config.threads);
    return {
      backend: started.backend,
      adapter: started.adapter,
      fallbackReason: started.fallbackReason,
      sessionMs: performance.now() - start,
      crossOriginIsolated: self.crossOriginIsolated,
    };
  },

  async generate(request, onStage) {
    if (!started) throw new Error('generate() before init()');
    if (busy) throw new Error('this worker is already running a job; the pool sends one at a time');
    busy = true;
    try {
      const result = await started.pipeline.run(request, (stage) => void onStage(stage));
      const transfers = [result.positions.buffer, result.normals.buffer, result.colors.buffer, result.indices.buffer];
      return Comlink.transfer(result, transfers);
    } finally {
      busy = false;
      (onStage as unknown as Comlink.Remote<unknown>)[Comlink.releaseProxy]?.();
    }
  },

  async release() {
    const current = started;
    started = undefined;
    await current?.release();
  },
};

Comlink.expose(api);
