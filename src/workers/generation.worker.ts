/**
 * Module worker that turns tokenized prompts into Babylon-ready mesh arrays: text encoder and generator in
 * onnxruntime-web, then the CPU kernels (generation-pipeline.ts). One job at a time; the main thread's pool
 * (src/plugin/generation-pool.ts) queues the rest. Reached through comlink.
 */
import * as Comlink from 'comlink';
import { DEVICE_LOST_ERROR_NAME, type GenerationWorkerApi } from './generation-protocol.js';
import { GenerationRefiner } from './generation-refinement.js';
import { startGenerationPipeline, type StartedPipeline } from './generation-sessions.js';
import { readResourceCounts } from './resource-counters.js';

let started: StartedPipeline | undefined;
let refiner: GenerationRefiner | undefined;
let busy = false;
/** The last generation's triplane, kept for one refinement; null once refined (or before any generation). */
let lastPlanes: Float32Array | null = null;
/** Aborts the running refinement; null when none runs. */
let refinement: AbortController | null = null;
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
    refiner = new GenerationRefiner(started.prior, started.pipeline, models.decoder);
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
      lastPlanes = null;
      const run = started.pipeline.run(request, (stage) => void onStage(stage), (planes) => {
        if (request.keepTriplane) lastPlanes = planes;
      });
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

  async refine(request, models, onUpdate) {
    if (!started || !refiner) throw new Error('refine() before init()');
    if (busy) throw new Error('this worker is already running a job; the pool sends one at a time');
    const planes = lastPlanes;
    if (!planes) throw new Error('refine(): no generated triplane to refine (generate first; each is refined once)');
    busy = true;
    lastPlanes = null;
    const controller = new AbortController();
    refinement = controller;
    const current = started;
    try {
      if (deviceLostReason !== null) throw new GpuDeviceLostError(deviceLostReason);
      const run = refiner.refine(planes, request, models, controller.signal, async (update) => {
        const mesh = update.mesh;
        const transfers = mesh ? [mesh.positions.buffer, mesh.normals.buffer, mesh.colors.buffer, mesh.indices.buffer]
          : [];
        if (update.views) transfers.push(update.views.rgb.buffer);
        await onUpdate(Comlink.transfer(update, transfers));
      });
      const lost = current.deviceLost.then((reason) => Promise.reject(new GpuDeviceLostError(reason)));
      run.catch(() => {});
      return await Promise.race([run, lost]);
    } finally {
      busy = false;
      if (refinement === controller) refinement = null;
      (onUpdate as unknown as Comlink.Remote<unknown>)[Comlink.releaseProxy]?.();
    }
  },

  stopRefinement() {
    if (!refinement) return false;
    refinement.abort(new DOMException('the refinement was stopped', 'AbortError'));
    return true;
  },

  async release() {
    const current = started;
    const currentRefiner = refiner;
    started = undefined;
    refiner = undefined;
    await currentRefiner?.release();
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
