/**
 * RefineBandWorkers, the generation worker's band workers, over stand-in Workers that run the real band worker API
 * (refine-band-api.ts) behind a MessageChannel: a refinement through them matches one without, a worker that dies
 * mid-step rejects that step with a clear error instead of leaving it pending, one that fails to start is left out,
 * and every worker is terminated and counted.
 */
import * as Comlink from 'comlink';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { decoderLayout, planesLength } from '../../src/kernels/triplane-layout.js';
import { CpuRefineKernels } from '../../src/refine/cpu-kernels.js';
import { refineTriplane } from '../../src/refine/refine.js';
import { createRefineBandApi } from '../../src/workers/refine-band-api.js';
import { bandWorkerCount, RefineBandWorkers } from '../../src/workers/refine-band-workers.js';
import { readResourceCounts } from '../../src/workers/resource-counters.js';
import { ConstantImagePrior } from '../fixtures/constant-image-prior.js';
import { uniformArray } from '../fixtures/random.js';

const SHAPE = { channels: 4, resolution: 8, hidden: 8 };
const PLANES = uniformArray(Float32Array, planesLength(SHAPE), 1, -0.1, 0.1);
const DECODER = uniformArray(Float32Array, decoderLayout(SHAPE).length, 2, -0.3, 0.3);
const SETUP = { shape: SHAPE, decoder: DECODER, beta: 0.03 };
const OPTIONS = { resolution: 8, samples: 6, steps: 3, reportEvery: 1, seed: 5 };

/** A module worker running the band worker API; it can die instead of delivering its `dieAtMessage`-th message. */
class StandInWorker extends EventTarget {
  static made: StandInWorker[] = [];
  static dieAtMessage = Infinity;
  static neverStarts = false;
  terminated = false;
  private _messages = 0;
  private readonly _port: MessagePort;

  constructor(readonly url: URL, readonly options: WorkerOptions) {
    super();
    StandInWorker.made.push(this);
    const { port1, port2 } = new MessageChannel();
    this._port = port1;
    if (StandInWorker.neverStarts) setTimeout(() => this.die('SyntaxError: the script failed to load'), 0);
    else Comlink.expose(createRefineBandApi(), port2);
  }

  postMessage(message: unknown, transfer: Transferable[] = []): void {
    if (this.terminated) return;
    if (++this._messages === StandInWorker.dieAtMessage) {
      setTimeout(() => this.die('RangeError: out of memory'), 0);
      return;
    }
    this._port.postMessage(message, transfer);
  }

  override addEventListener(type: string, listener: EventListenerOrEventListenerObject | null): void {
    if (type === 'message') this._port.addEventListener(type, listener as EventListener);
    else super.addEventListener(type, listener);
  }

  override removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null): void {
    if (type === 'message') this._port.removeEventListener(type, listener as EventListener);
    else super.removeEventListener(type, listener);
  }

  start(): void {
    this._port.start();
  }

  terminate(): void {
    this.terminated = true;
    this._port.close();
  }

  die(message: string): void {
    this.dispatchEvent(Object.assign(new Event('error', { cancelable: true }), { message }));
  }
}

function liveBandWorkers(): number {
  const count = readResourceCounts()['bandWorker'] ?? { created: 0, released: 0 };
  return count.created - count.released;
}

async function refine(bands: RefineBandWorkers | null) {
  const kernels = new CpuRefineKernels(SHAPE, PLANES, DECODER, { beta: 0.03, bands: bands?.bands ?? [] });
  return refineTriplane({ kernels, prior: new ConstantImagePrior(), samples: 6 }, 'a barrel', OPTIONS);
}

describe('RefineBandWorkers', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    StandInWorker.made = [];
    StandInWorker.dieAtMessage = Infinity;
    StandInWorker.neverStarts = false;
  });

  test('bandWorkerCount: threads - 1, by default one per core up to 4 threads, none without Worker', () => {
    vi.stubGlobal('Worker', StandInWorker);
    expect(bandWorkerCount(3)).toBe(2);
    expect(bandWorkerCount(1)).toBe(0);
    vi.stubGlobal('navigator', { hardwareConcurrency: 8 });
    expect(bandWorkerCount(null)).toBe(3);
    vi.stubGlobal('navigator', { hardwareConcurrency: 2 });
    expect(bandWorkerCount(null)).toBe(1);
    vi.stubGlobal('Worker', undefined);
    expect(bandWorkerCount(4)).toBe(0);
  });

  test('two band workers: module workers beside the script, the same refinement as one thread, then terminated',
    async () => {
      vi.stubGlobal('Worker', StandInWorker);
      const before = liveBandWorkers();
      const workers = await RefineBandWorkers.start(2, SETUP, PLANES);
      expect(workers.bands).toHaveLength(2);
      expect(liveBandWorkers()).toBe(before + 2);
      expect(StandInWorker.made.map((w) => [w.url.pathname.split('/').at(-1), w.options.type]))
        .toEqual([['refine-band.worker.js', 'module'], ['refine-band.worker.js', 'module']]);
      const shared = await refine(workers);
      const alone = await refine(null);
      const scale = Math.max(...alone.planes.map((v, i) => Math.abs(v - PLANES[i]!)));
      alone.planes.forEach((v, i) => expect(Math.abs(shared.planes[i]! - v)).toBeLessThan(1e-3 * scale));
      workers.terminate();
      workers.terminate();
      expect(StandInWorker.made.every((w) => w.terminated)).toBe(true);
      expect(liveBandWorkers()).toBe(before);
    });

  test('a band worker that dies during a step rejects the step with its error', async () => {
    vi.stubGlobal('Worker', StandInWorker);
    // Messages: setup, then render and backward per step: the 5th is step 2's backward.
    StandInWorker.dieAtMessage = 5;
    const before = liveBandWorkers();
    const workers = await RefineBandWorkers.start(1, SETUP, PLANES);
    await expect(refine(workers)).rejects.toThrow(/refinement band worker ended: RangeError: out of memory/);
    expect(StandInWorker.made[0]!.terminated).toBe(true);
    // A later call fails at once too, rather than hanging.
    await expect(workers.bands[0]!.backward([])).rejects.toMatchObject({ name: 'BandWorkerEndedError' });
    workers.terminate();
    expect(liveBandWorkers()).toBe(before);
  });

  test('a band worker that fails to start is left out; the refinement runs without it', async () => {
    vi.stubGlobal('Worker', StandInWorker);
    StandInWorker.neverStarts = true;
    const before = liveBandWorkers();
    const workers = await RefineBandWorkers.start(1, SETUP, PLANES);
    expect(workers.bands).toHaveLength(0);
    expect(liveBandWorkers()).toBe(before);
    const result = await refine(workers);
    expect(result.planes.some((v, i) => v !== PLANES[i])).toBe(true);
  });
});
