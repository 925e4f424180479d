import guidanceCommonWgsl from './guidance-common.wgsl';
import guidanceGradientWgsl from './guidance-gradient.wgsl';
import guidanceNoisyWgsl from './guidance-noisy.wgsl';
import { createTensorBuffer } from './gpu-buffers.js';
import {
  checkGuidanceParameters,
  checkGuidanceSizes,
  COEFFICIENTS_PER_IMAGE,
  predictionsPerImage,
  type GuidanceMethod,
  type GuidanceSizes,
} from './guidance-options.js';

/** Invocations per workgroup of both guidance kernels (a power of two: the loss reduction halves it). */
export const GUIDANCE_WORKGROUP_SIZE = 64;

/** Layout of `GuidanceParams` in guidance-common.wgsl: five u32, three f32; 32 bytes. */
const GUIDANCE_PARAMS_BYTE_SIZE = 32;
const GUIDANCE_PARAMS_U32 = { batch: 0, renderResolution: 1, priorResolution: 2, factor: 3, method: 4 } as const;
const GUIDANCE_PARAMS_F32 = { guidanceScale: 5, upstreamScale: 6, inverseFactor: 7 } as const;
/** `method` values of guidance-common.wgsl (METHOD_*). */
const METHOD_CODES: Readonly<Record<GuidanceMethod, number>> = { asd: 0, sds: 1, csd: 2 };

type GuidanceKernel = 'noisy' | 'gradient';

const KERNEL_WGSL: Record<GuidanceKernel, string> = {
  noisy: `${guidanceCommonWgsl}\n${guidanceNoisyWgsl}`,
  gradient: `${guidanceCommonWgsl}\n${guidanceGradientWgsl}`,
};

/** Pipelines per device (a lost device and its pipelines are collected together), then per kernel. */
const pipelines = new WeakMap<GPUDevice, Map<GuidanceKernel, GPUComputePipeline>>();

function guidancePipeline(device: GPUDevice, kernel: GuidanceKernel): GPUComputePipeline {
  let perKernel = pipelines.get(device);
  if (!perKernel) {
    perKernel = new Map();
    pipelines.set(device, perKernel);
  }
  let pipeline = perKernel.get(kernel);
  if (!pipeline) {
    pipeline = device.createComputePipeline({
      label: `guidance ${kernel}`,
      layout: 'auto',
      compute: {
        module: device.createShaderModule({ label: `guidance ${kernel}`, code: KERNEL_WGSL[kernel] }),
        entryPoint: 'main',
        constants: { WORKGROUP_SIZE: GUIDANCE_WORKGROUP_SIZE },
      },
    });
    perKernel.set(kernel, pipeline);
  }
  return pipeline;
}

/** What a {@link GpuGuidance} computes; sizes are fixed per instance. */
export interface GpuGuidanceOptions extends GuidanceSizes {
  readonly method: GuidanceMethod;
  /** Classifier-free guidance scale s, in [0, 200] (ASD 7.5, SDS 100, CSD 1 in the paper). */
  readonly guidanceScale: number;
}

/**
 * The guidance step's kernels on the GPU (guidance-noisy.wgsl, guidance-gradient.wgsl); guidance-cpu.ts is the CPU
 * twin and guidance-options.ts describes the step. Owns {@link noise} and {@link coefficients} (written by
 * {@link writeStep}), {@link samples} (the prior's `sample` input), {@link upstream} (dL/drgb for the renderer's
 * backward) and the loss partials; release them with {@link dispose}. Each dispatch submits its own command buffer.
 */
export class GpuGuidance {
  readonly method: GuidanceMethod;
  readonly sizes: GuidanceSizes;
  readonly guidanceScale: number;
  /** f32 eps `[B, 3, R, R]`; STORAGE | COPY_DST. */
  readonly noise: GPUBuffer;
  /** f32 `[B, COEFFICIENTS_PER_IMAGE]`; STORAGE | COPY_DST. */
  readonly coefficients: GPUBuffer;
  /**
   * f32 `[K B, 3, R, R]`, the prior's `sample`; STORAGE | COPY_SRC | COPY_DST, padded to 16 bytes, so that
   * onnxruntime-web can take it as a tensor (`Tensor.fromGpuBuffer`).
   */
  readonly samples: GPUBuffer;
  /** f32 `[B, 3, r, r]`; STORAGE | COPY_SRC. */
  readonly upstream: GPUBuffer;
  private readonly _lossPartials: GPUBuffer;
  private readonly _groupsPerImage: number;
  private readonly _params: GPUBuffer;
  private _disposed = false;

  /**
   * @throws {RangeError} naming the option that is out of range.
   */
  constructor(
    readonly device: GPUDevice,
    options: GpuGuidanceOptions,
  ) {
    this.method = checkGuidanceParameters(options.method, options.guidanceScale);
    const factor = checkGuidanceSizes(options);
    const { batch, renderResolution: r, priorResolution: R } = options;
    this.sizes = { batch, renderResolution: r, priorResolution: R };
    this.guidanceScale = options.guidanceScale;
    const maxWorkgroups = device.limits.maxComputeWorkgroupsPerDimension;
    if (Math.ceil((batch * 3 * R * R) / GUIDANCE_WORKGROUP_SIZE) > maxWorkgroups) {
      throw new RangeError(`batch * 3 * priorResolution^2 must be at most ${maxWorkgroups * GUIDANCE_WORKGROUP_SIZE}`);
    }
    this._groupsPerImage = Math.ceil((3 * r * r) / GUIDANCE_WORKGROUP_SIZE);
    const buffer = (label: string, floats: number, usage: number): GPUBuffer =>
      device.createBuffer({ label, size: floats * 4, usage: GPUBufferUsage.STORAGE | usage });
    this.noise = buffer('guidance noise', batch * 3 * R * R, GPUBufferUsage.COPY_DST);
    this.coefficients = buffer('guidance coefficients', batch * COEFFICIENTS_PER_IMAGE, GPUBufferUsage.COPY_DST);
    const sampleFloats = predictionsPerImage(this.method) * batch * 3 * R * R;
    this.samples = createTensorBuffer(device, sampleFloats, 'guidance samples');
    this.upstream = buffer('guidance upstream', batch * 3 * r * r, GPUBufferUsage.COPY_SRC);
    this._lossPartials = buffer('guidance loss partials', batch * this._groupsPerImage, GPUBufferUsage.COPY_SRC);
    this._params = device.createBuffer({
      label: 'guidance params',
      size: GUIDANCE_PARAMS_BYTE_SIZE,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    const data = new ArrayBuffer(GUIDANCE_PARAMS_BYTE_SIZE);
    const u32 = new Uint32Array(data);
    const f32 = new Float32Array(data);
    u32[GUIDANCE_PARAMS_U32.batch] = batch;
    u32[GUIDANCE_PARAMS_U32.renderResolution] = r;
    u32[GUIDANCE_PARAMS_U32.priorResolution] = R;
    u32[GUIDANCE_PARAMS_U32.factor] = factor;
    u32[GUIDANCE_PARAMS_U32.method] = METHOD_CODES[this.method];
    f32[GUIDANCE_PARAMS_F32.guidanceScale] = options.guidanceScale;
    f32[GUIDANCE_PARAMS_F32.upstreamScale] = 2 / batch;
    f32[GUIDANCE_PARAMS_F32.inverseFactor] = 1 / factor;
    device.queue.writeBuffer(this._params, 0, data);
  }

  /**
   * Uploads one step's host data (guidance-options.ts, step 1).
   * @param noise eps `[B, 3, R, R]`.
   * @param coefficients `[B, COEFFICIENTS_PER_IMAGE]` from guidanceCoefficients.
   * @throws {RangeError} if a length is wrong.
   * @throws {Error} after {@link dispose}.
   */
  writeStep(noise: Float32Array<ArrayBuffer>, coefficients: Float32Array<ArrayBuffer>): void {
    this._checkLive('writeStep');
    const { batch, priorResolution: R } = this.sizes;
    if (noise.length !== batch * 3 * R * R) {
      throw new RangeError(`noise must hold ${batch * 3 * R * R} floats, got ${noise.length}`);
    }
    if (coefficients.length !== batch * COEFFICIENTS_PER_IMAGE) {
      throw new RangeError(`coefficients must hold ${batch * COEFFICIENTS_PER_IMAGE} floats, got ${coefficients.length}`);
    }
    this.device.queue.writeBuffer(this.noise, 0, noise);
    this.device.queue.writeBuffer(this.coefficients, 0, coefficients);
  }

  /**
   * Step 2: writes {@link samples} from the renders.
   * @param rgb f32 `[B, 3, r, r]` in [0, 1]; STORAGE usage.
   * @throws {RangeError} if `rgb` is too small.
   * @throws {Error} after {@link dispose}.
   */
  noisySamples(rgb: GPUBuffer): void {
    this._checkLive('noisySamples');
    const { batch, renderResolution: r, priorResolution: R } = this.sizes;
    checkSize('rgb', rgb, batch * 3 * r * r);
    this._dispatch('noisy', [rgb, this.noise, this.samples], Math.ceil((batch * 3 * R * R) / GUIDANCE_WORKGROUP_SIZE),
      1);
  }

  /**
   * Step 4: writes {@link upstream} and the loss partials from the prior's predictions.
   * @param predictions f32 `[K B, 3, R, R]`, the prior's `noise` for {@link samples}; STORAGE usage.
   * @throws {RangeError} if `predictions` is too small.
   * @throws {Error} after {@link dispose}.
   */
  gradient(predictions: GPUBuffer): void {
    this._checkLive('gradient');
    const { batch, priorResolution: R } = this.sizes;
    checkSize('predictions', predictions, predictionsPerImage(this.method) * batch * 3 * R * R);
    this._dispatch('gradient', [predictions, this.noise, this.upstream, this._lossPartials], this._groupsPerImage,
      batch);
  }

  /**
   * Reads back the per-image losses 0.5 sum(g^2) of the last {@link gradient} (their mean is guidance.py's loss).
   * @throws {Error} after {@link dispose}.
   */
  async readLosses(): Promise<Float64Array> {
    this._checkLive('readLosses');
    const { batch } = this.sizes;
    const count = batch * this._groupsPerImage;
    const staging = this.device.createBuffer({
      label: 'guidance loss readback',
      size: count * 4,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    try {
      const encoder = this.device.createCommandEncoder({ label: 'guidance loss readback' });
      encoder.copyBufferToBuffer(this._lossPartials, 0, staging, 0, count * 4);
      this.device.queue.submit([encoder.finish()]);
      await staging.mapAsync(GPUMapMode.READ);
      const partials = new Float32Array(staging.getMappedRange());
      const losses = new Float64Array(batch);
      for (let i = 0; i < count; i++) losses[Math.floor(i / this._groupsPerImage)]! += partials[i]!;
      staging.unmap();
      return losses;
    } finally {
      staging.destroy();
    }
  }

  private _checkLive(method: string): void {
    if (this._disposed) throw new Error(`GpuGuidance.${method}() called after dispose()`);
  }

  private _dispatch(kernel: GuidanceKernel, buffers: GPUBuffer[], groupsX: number, groupsY: number): void {
    const pipeline = guidancePipeline(this.device, kernel);
    const bindGroup = this.device.createBindGroup({
      label: `guidance ${kernel}`,
      layout: pipeline.getBindGroupLayout(0),
      entries: [this._params, this.coefficients, ...buffers].map((buffer, binding) => ({
        binding,
        resource: { buffer },
      })),
    });
    const encoder = this.device.createCommandEncoder({ label: `guidance ${kernel}` });
    const pass = encoder.beginComputePass({ label: `guidance ${kernel}` });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(groupsX, groupsY);
    pass.end();
    this.device.queue.submit([encoder.finish()]);
  }

  /** Destroys the buffers this instance created; those passed in stay with their owners. Idempotent. */
  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    for (const buffer of [this.noise, this.coefficients, this.samples, this.upstream, this._lossPartials,
      this._params]) {
      buffer.destroy();
    }
  }
}

function checkSize(name: string, buffer: GPUBuffer, floats: number): void {
  if (!(buffer.usage & GPUBufferUsage.STORAGE)) throw new TypeError(`${name} needs STORAGE usage`);
  if (buffer.size < floats * 4) throw new RangeError(`${name} holds ${buffer.size} bytes, fewer than ${floats * 4}`);
}
