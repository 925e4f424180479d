/**
 * The band workers of one CPU refinement (refine-band.worker.ts), started by the generation worker so that a step's
 * render and backward use the machine's other cores too (cpu-kernels.ts: option `bands`). They live for one
 * refinement and are terminated after it (counted as `bandWorker` in the worker's resource counts).
 *
 * A worker that fails to start is dropped (the refinement runs on the threads that did start; with none, on the
 * generation worker alone); one that dies mid-refinement rejects the step it was in, with a clear error, instead of
 * leaving it pending.
 */
import * as Comlink from 'comlink';
import type { BandRendererSetup, BandView } from '../refine/band-renderer.js';
import { MAX_REFINE_THREADS } from '../refine/refine-options.js';
import type { RemoteBandRenderer } from '../refine/cpu-kernels.js';
import type { RefineBandWorkerApi } from './refine-band-protocol.js';
import { countCreated, countReleased } from './resource-counters.js';

/**
 * The band workers to start for a refinement on `threads` threads (null: one per core, up to
 * {@link MAX_REFINE_THREADS}): `threads - 1`, none where workers cannot start workers.
 */
export function bandWorkerCount(threads: number | null): number {
  if (typeof Worker === 'undefined') return 0;
  const cores = globalThis.navigator?.hardwareConcurrency ?? 1;
  return Math.max(0, (threads ?? Math.min(cores, MAX_REFINE_THREADS)) - 1);
}

/** Raised by a band worker's calls once it died or was terminated. */
export class BandWorkerEndedError extends Error {
  override readonly name = 'BandWorkerEndedError';
}

class BandWorker implements RemoteBandRenderer {
  private readonly _api: Comlink.Remote<RefineBandWorkerApi>;
  /** Rejects once the worker ends; every call races it. */
  private readonly _ended: Promise<never>;
  private _end!: (reason: string) => void;
  private _alive = true;

  constructor(private readonly _worker: Worker) {
    countCreated('bandWorker');
    this._api = Comlink.wrap<RefineBandWorkerApi>(_worker);
    this._ended = new Promise<never>((_, reject) => {
      this._end = (reason) => reject(new BandWorkerEndedError(`refinement band worker ended: ${reason}`));
    });
    this._ended.catch(() => {}); // Observed through the calls.
    _worker.addEventListener('error', (event) => {
      event.preventDefault();
      this.terminate(event.message || 'its script failed to load or threw');
    });
  }

  setup(setup: BandRendererSetup, planes: Float32Array): Promise<void> {
    return this._call(() => this._api.setup(setup, planes));
  }

  render(views: readonly BandView[], planes: Float32Array): Promise<Float32Array[]> {
    return this._call(() => this._api.render(views, planes));
  }

  backward(upstreams: readonly Float32Array[]): Promise<Float32Array> {
    return this._call(() => this._api.backward(upstreams));
  }

  terminate(reason: string): void {
    if (!this._alive) return;
    this._alive = false;
    this._worker.terminate();
    this._api[Comlink.releaseProxy]();
    countReleased('bandWorker');
    this._end(reason);
  }

  private _call<T>(call: () => Promise<T>): Promise<T> {
    if (!this._alive) return this._ended;
    return Promise.race([call(), this._ended]);
  }
}

export class RefineBandWorkers {
  private constructor(private readonly _workers: readonly BandWorker[]) {}

  /** The workers that started, as the kernels' `bands`. */
  get bands(): readonly RemoteBandRenderer[] {
    return this._workers;
  }

  /**
   * Starts `count` band workers (module workers beside this script) and sets each one up with `setup` and `planes`;
   * those that fail to start are terminated and left out.
   */
  static async start(count: number, setup: BandRendererSetup, planes: Float32Array): Promise<RefineBandWorkers> {
    const started = await Promise.all(Array.from({ length: count }, async () => {
      let worker: BandWorker | null = null;
      try {
        // The literal `new Worker(new URL(...))` form is what bundlers recognise, so it stays literal.
        worker = new BandWorker(new Worker(new URL('./refine-band.worker.js', import.meta.url), {
          type: 'module',
          name: 'scaledreamer-refine-band',
        }));
        await worker.setup(setup, planes);
        return worker;
      } catch {
        worker?.terminate('it failed to start');
        return null;
      }
    }));
    return new RefineBandWorkers(started.filter((worker) => worker !== null));
  }

  /** Terminates every worker; their pending calls reject. Idempotent. */
  terminate(): void {
    for (const worker of this._workers) worker.terminate('the refinement ended');
  }
}
