/**
 * The WGSL kernels (GpuRefineKernels) for a prior with CPU tensors (`RefinePrior<Float32Array, Float32Array>`, such
 * as OnnxRefinePrior or a test's stand-in): each step reads the `sample` rows back and uploads the `noise`
 * predictions, the round trip that a GPU prior on the kernels' device (gpu-prior.ts) avoids.
 */
import { createTensorBuffer, readFloat32Buffer } from '../kernels/gpu-buffers.js';
import type { GpuRefineKernels } from './gpu-kernels.js';
import type { RefineKernels } from './refine-backend.js';
import type { RefineStepPlan } from './step-plan.js';

export class GpuKernelsWithCpuTensors implements RefineKernels<Float32Array, Float32Array> {
  /** The uploaded predictions; made by the first update (the sizes are fixed for a run). */
  private _predictions: GPUBuffer | null = null;
  private _disposed = false;

  /** @param kernels owned from now on: {@link dispose} disposes them. */
  constructor(readonly kernels: GpuRefineKernels) {}

  async renderSamples(plan: RefineStepPlan): Promise<Float32Array> {
    this._checkLive('renderSamples');
    const samples = await this.kernels.renderSamples(plan);
    const floats = plan.prior.prompts.length * 3 * plan.sizes.priorResolution ** 2;
    return readFloat32Buffer(this.kernels.device, samples, floats);
  }

  async update(plan: RefineStepPlan, predictions: Float32Array, readLosses: boolean): Promise<Float64Array | null> {
    this._checkLive('update');
    const { device } = this.kernels;
    this._predictions ??= createTensorBuffer(device, predictions.length, 'refine predictions');
    if (this._predictions.size < predictions.byteLength) {
      throw new RangeError(`predictions hold ${predictions.length} floats; the run's first held fewer`);
    }
    device.queue.writeBuffer(this._predictions, 0, predictions as Float32Array<ArrayBuffer>);
    return this.kernels.update(plan, this._predictions, readLosses);
  }

  readViews(): Promise<Float32Array> {
    return this.kernels.readViews();
  }

  readPlanes(): Promise<Float32Array> {
    return this.kernels.readPlanes();
  }

  /** Disposes the kernels and the predictions buffer. Idempotent. */
  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    this.kernels.dispose();
    this._predictions?.destroy();
  }

  private _checkLive(method: string): void {
    if (this._disposed) throw new Error(`GpuKernelsWithCpuTensors.${method}() called after dispose()`);
  }
}
