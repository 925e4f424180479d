/**
 * What crosses between a refinement (the generation worker's CpuRefineKernels) and a band worker
 * (refine-band.worker.ts): structured-cloneable, with the returned pixels and gradients transferred.
 */
import type { BandRendererSetup, BandView } from '../refine/band-renderer.js';

export interface RefineBandWorkerApi {
  /** Makes the worker's band renderer (a copy of the planes `[3, C, R, R]`); called once, first. */
  setup(setup: BandRendererSetup, planes: Float32Array): void;
  /** BandRenderer.render on `planes` (the refinement's current ones). */
  render(views: readonly BandView[], planes: Float32Array): Float32Array[];
  /** BandRenderer.backward into a zeroed planes' gradient, which it returns. */
  backward(upstreams: readonly Float32Array[]): Float32Array;
}
