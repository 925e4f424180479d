/**
 * Module worker that turns tokenized prompts into Babylon-ready mesh arrays: text encoder and generator in
 * onnxruntime-web, then the CPU kernels (generation-pipeline.ts). One job at a time; the main thread's pool
 * (src/plugin/generation-pool.ts) queues the rest. Reached through comlink.
 */
import * as Comlink from 'comlink';
import { DEVICE_LOST_ERROR_NAME, type GenerationWorkerApi } from './generation-protocol.js';
import { startGenerationPipeline, type StartedPipeline } from './generation-sessions.js';
import { readResourceCounts } from './resource-counters.js';

let started: StartedPipeline | undefined;
let busy = false;
/** Why the sessions' GPUDevice was lost; null while it lives (always, on WASM). */
let deviceLostReason: string | null = null;

/** Rejections of `generate` when the device is lost; its name is the protocol's contract with the pool. */
class GpuDeviceLostError extends Error {
  override readonly name = DEVICE_LOST_ERROR_NAME;
}

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
    void started.deviceLost.then((reason) => (deviceLostReason = reason));
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
      if (deviceLostReason !== null) throw new GpuDeviceLostError(deviceLostReason);
      // A lost device may make onnxruntime throw, hang or read back garbage: whichever comes first, the loss wins.
      const run = started.pipeline.run(request, (stage) => void onStage(stage));
      const lost = started.deviceLost.then((reason) => Promise.reject(new GpuDeviceLostError(reason)));
      run.catch(() => {});
      const result = await Promise.race([run, lost]);
      if (deviceLostReason !== null) throw new GpuDeviceLostError(deviceLostReason);
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

  resourceCounts() {
    return readResourceCounts();
  },

  loseDeviceForTesting() {
    return started?.destroyDevice() ?? false;
  },
};

Comlink.expose(api);
