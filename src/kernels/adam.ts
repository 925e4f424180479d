import adamWgsl from './adam.wgsl';
import { adamStepScalars, resolveAdamOptions, type AdamOptions, type ResolvedAdamOptions } from './adam-options.js';

/** Invocations per workgroup; passed to adam.wgsl as its WORKGROUP_SIZE override. */
export const ADAM_WORKGROUP_SIZE = 64;

/** Byte size of `AdamUniforms` in adam.wgsl: five f32 followed by the u32 element count. */
const ADAM_UNIFORMS_BYTE_SIZE = 24;
const ADAM_UNIFORMS_COUNT_INDEX = 5;

// Pipelines belong to a device; a WeakMap lets a lost device and its pipeline be collected together.
const pipelines = new WeakMap<GPUDevice, GPUComputePipeline>();

function adamPipeline(device: GPUDevice): GPUComputePipeline {
  let pipeline = pipelines.get(device);
  if (!pipeline) {
    pipeline = device.createComputePipeline({
      label: 'adam',
      layout: 'auto',
      compute: {
        module: device.createShaderModule({ label: 'adam', code: adamWgsl }),
        entryPoint: 'main',
        constants: { WORKGROUP_SIZE: ADAM_WORKGROUP_SIZE },
      },
    });
    pipelines.set(device, pipeline);
  }
  return pipeline;
}

/** The buffers an optimizer updates; they stay owned by the caller. */
export interface AdamTarget {
  /** f32 parameters, updated in place; needs STORAGE usage. */
  readonly params: GPUBuffer;
  /** f32 gradients of the current step, written by the caller before each {@link GpuAdam.step}; needs STORAGE usage. */
  readonly grads: GPUBuffer;
}

/**
 * Adam on the GPU for `count` f32 parameters. Owns its moment buffers and uniforms; release them with
 * {@link dispose}. {@link CpuAdam} is its CPU twin.
 */
export class GpuAdam {
  private readonly _options: ResolvedAdamOptions;
  private readonly _uniformData = new ArrayBuffer(ADAM_UNIFORMS_BYTE_SIZE);
  private readonly _uniforms: GPUBuffer;
  private readonly _expAvg: GPUBuffer;
  private readonly _expAvgSq: GPUBuffer;
  private readonly _bindGroup: GPUBindGroup;
  private readonly _workgroups: number;
  private _stepCount = 0;
  private _disposed = false;

  /**
   * @throws {RangeError} if `count` is not a positive integer, exceeds one dispatch or the target buffers, or an
   *   option is out of range.
   * @throws {TypeError} if a target buffer lacks STORAGE usage.
   */
  constructor(
    readonly device: GPUDevice,
    target: AdamTarget,
    readonly count: number,
    options?: AdamOptions,
  ) {
    this._options = resolveAdamOptions(options);
    this._workgroups = Math.ceil(count / ADAM_WORKGROUP_SIZE);
    const maxWorkgroups = device.limits.maxComputeWorkgroupsPerDimension;
    if (!Number.isInteger(count) || count < 1 || this._workgroups > maxWorkgroups) {
      throw new RangeError(`count must be an integer in [1, ${maxWorkgroups * ADAM_WORKGROUP_SIZE}], got ${count}`);
    }
    for (const name of ['params', 'grads'] as const) {
      const buffer = target[name];
      if (!(buffer.usage & GPUBufferUsage.STORAGE)) throw new TypeError(`target.${name} needs STORAGE usage`);
      if (buffer.size < count * 4) {
        throw new RangeError(`target.${name} holds ${buffer.size} bytes, fewer than count * 4 = ${count * 4}`);
      }
    }

    // New GPU buffers are zero-filled, which is Adam's initial state for both moments.
    const moment = (label: string): GPUBuffer =>
      device.createBuffer({ label, size: count * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
    this._expAvg = moment('adam exp_avg');
    this._expAvgSq = moment('adam exp_avg_sq');
    this._uniforms = device.createBuffer({
      label: 'adam uniforms',
      size: ADAM_UNIFORMS_BYTE_SIZE,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    new Uint32Array(this._uniformData)[ADAM_UNIFORMS_COUNT_INDEX] = count;

    const pipeline = adamPipeline(device);
    this._bindGroup = device.createBindGroup({
      label: 'adam',
      layout: pipeline.getBindGroupLayout(0),
      entries: [this._uniforms, target.params, target.grads, this._expAvg, this._expAvgSq].map((buffer, binding) => ({
        binding,
        resource: { buffer },
      })),
    });
  }

  /** Number of steps taken so far. */
  get stepCount(): number {
    return this._stepCount;
  }

  /**
   * Applies one Adam step with the current contents of `target.grads`. Submits its own command buffer, so that the
   * uniforms written for this step are the ones it reads.
   * @throws {Error} after {@link dispose}.
   */
  step(): void {
    if (this._disposed) throw new Error('GpuAdam.step() called after dispose()');
    this._stepCount += 1;
    const { beta1, beta2, epsilon } = this._options;
    const { stepSize, biasCorrection2Sqrt } = adamStepScalars(this._options, this._stepCount);
    new Float32Array(this._uniformData, 0, ADAM_UNIFORMS_COUNT_INDEX).set([
      stepSize,
      biasCorrection2Sqrt,
      beta1,
      beta2,
      epsilon,
    ]);
    this.device.queue.writeBuffer(this._uniforms, 0, this._uniformData);

    const encoder = this.device.createCommandEncoder({ label: 'adam step' });
    const pass = encoder.beginComputePass({ label: 'adam step' });
    pass.setPipeline(adamPipeline(this.device));
    pass.setBindGroup(0, this._bindGroup);
    pass.dispatchWorkgroups(this._workgroups);
    pass.end();
    this.device.queue.submit([encoder.finish()]);
  }

  /** Destroys the moment and uniform buffers; the target buffers are left to their owner. Idempotent. */
  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    this._expAvg.destroy();
    this._expAvgSq.destroy();
    this._uniforms.destroy();
  }
}
