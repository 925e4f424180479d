import triplaneDecodeWgsl from './triplane-decode.wgsl';
import triplaneFieldWgsl from './triplane-field.wgsl';
import { decoderLayout, planesLength, type TriplaneShape } from './triplane-layout.js';

/** Invocations per workgroup of the decode kernel; its WORKGROUP_SIZE override. */
export const TRIPLANE_DECODE_WORKGROUP_SIZE = 64;
/** Largest C and H that triplane-field.wgsl's private arrays hold (MAX_CHANNELS, MAX_HIDDEN there). */
export const TRIPLANE_MAX_CHANNELS = 64;
export const TRIPLANE_MAX_HIDDEN = 64;

/** Byte size of `DecodeParams` in triplane-decode.wgsl (one u32, padded to a uniform block's 16 bytes). */
const DECODE_PARAMS_BYTE_SIZE = 16;

/** A field's tensors on the GPU; the buffers stay owned by the caller. */
export interface TriplaneBuffers {
  /** f32 `[3, C, R, R]`; needs STORAGE usage. */
  readonly planes: GPUBuffer;
  /** f32 decoder weights in decoder.bin order; needs STORAGE usage. */
  readonly decoder: GPUBuffer;
}

/**
 * Checks a shape against the WGSL limits and the buffers against the shape.
 * @throws {RangeError} naming the shape field or buffer that does not fit.
 * @throws {TypeError} if a buffer lacks STORAGE usage.
 */
export function checkTriplaneBuffers(shape: TriplaneShape, buffers: TriplaneBuffers): void {
  const { channels, resolution, hidden } = shape;
  if (!Number.isInteger(channels) || channels < 1 || channels > TRIPLANE_MAX_CHANNELS) {
    throw new RangeError(`shape.channels must be an integer in [1, ${TRIPLANE_MAX_CHANNELS}], got ${channels}`);
  }
  if (!Number.isInteger(hidden) || hidden < 1 || hidden > TRIPLANE_MAX_HIDDEN) {
    throw new RangeError(`shape.hidden must be an integer in [1, ${TRIPLANE_MAX_HIDDEN}], got ${hidden}`);
  }
  if (!Number.isInteger(resolution) || resolution < 2) {
    throw new RangeError(`shape.resolution must be an integer >= 2, got ${resolution}`);
  }
  const sizes = { planes: planesLength(shape) * 4, decoder: decoderLayout(shape).length * 4 };
  for (const name of ['planes', 'decoder'] as const) {
    const buffer = buffers[name];
    if (!(buffer.usage & GPUBufferUsage.STORAGE)) throw new TypeError(`buffers.${name} needs STORAGE usage`);
    if (buffer.size < sizes[name]) {
      throw new RangeError(`buffers.${name} holds ${buffer.size} bytes, fewer than the shape needs (${sizes[name]})`);
    }
  }
}

/** The override constants that size triplane-field.wgsl for a shape. */
export function triplaneConstants(shape: TriplaneShape): Record<string, number> {
  return { CHANNELS: shape.channels, RESOLUTION: shape.resolution, HIDDEN: shape.hidden };
}

/** A kernel's WGSL: the shared field code followed by the kernel's own. */
export function withTriplaneField(kernelWgsl: string): string {
  return `${triplaneFieldWgsl}\n${kernelWgsl}`;
}

/** Pipelines per device (a lost device and its pipelines are collected together), then per shape. */
const pipelines = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

function decodePipeline(device: GPUDevice, shape: TriplaneShape): GPUComputePipeline {
  let perShape = pipelines.get(device);
  if (!perShape) {
    perShape = new Map();
    pipelines.set(device, perShape);
  }
  const key = `${shape.channels}x${shape.resolution}x${shape.hidden}`;
  let pipeline = perShape.get(key);
  if (!pipeline) {
    pipeline = device.createComputePipeline({
      label: `triplane decode ${key}`,
      layout: 'auto',
      compute: {
        module: device.createShaderModule({ label: 'triplane decode', code: withTriplaneField(triplaneDecodeWgsl) }),
        entryPoint: 'main',
        constants: { ...triplaneConstants(shape), WORKGROUP_SIZE: TRIPLANE_DECODE_WORKGROUP_SIZE },
      },
    });
    perShape.set(key, pipeline);
  }
  return pipeline;
}

/** Where {@link GpuTriplaneDecoder.decode} reads points and writes results; buffers stay owned by the caller. */
export interface TriplaneDecodeTarget {
  /** f32 `[N, 3]`; STORAGE usage. */
  readonly points: GPUBuffer;
  /** f32 `[N]`, written; STORAGE usage. */
  readonly sdf: GPUBuffer;
  /** f32 `[N, 3]`, written; STORAGE usage. */
  readonly albedo: GPUBuffer;
}

/**
 * Decodes SDF and albedo for batches of points on the GPU (triplane-decode.wgsl). {@link decodeTriplaneCpu} is its
 * CPU twin. Owns its uniform buffer; release it with {@link dispose}.
 */
export class GpuTriplaneDecoder {
  private readonly _uniforms: GPUBuffer;
  private readonly _uniformData = new Uint32Array(DECODE_PARAMS_BYTE_SIZE / 4);
  private _disposed = false;

  /**
   * @throws {RangeError} if the shape exceeds the kernel's limits or a buffer is too small.
   * @throws {TypeError} if a buffer lacks STORAGE usage.
   */
  constructor(
    readonly device: GPUDevice,
    readonly shape: TriplaneShape,
    readonly field: TriplaneBuffers,
  ) {
    checkTriplaneBuffers(shape, field);
    this._uniforms = device.createBuffer({
      label: 'triplane decode params',
      size: DECODE_PARAMS_BYTE_SIZE,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
  }

  /**
   * Decodes `count` points; submits its own command buffer.
   * @throws {RangeError} if `count` is not a positive integer within one dispatch, or a buffer is too small.
   * @throws {Error} after {@link dispose}.
   */
  decode(target: TriplaneDecodeTarget, count: number): void {
    if (this._disposed) throw new Error('GpuTriplaneDecoder.decode() called after dispose()');
    const workgroups = Math.ceil(count / TRIPLANE_DECODE_WORKGROUP_SIZE);
    const maxWorkgroups = this.device.limits.maxComputeWorkgroupsPerDimension;
    if (!Number.isInteger(count) || count < 1 || workgroups > maxWorkgroups) {
      const max = maxWorkgroups * TRIPLANE_DECODE_WORKGROUP_SIZE;
      throw new RangeError(`count must be an integer in [1, ${max}], got ${count}`);
    }
    const sizes = { points: 12 * count, sdf: 4 * count, albedo: 12 * count };
    for (const name of ['points', 'sdf', 'albedo'] as const) {
      if (target[name].size < sizes[name]) {
        throw new RangeError(`target.${name} holds ${target[name].size} bytes, fewer than ${sizes[name]}`);
      }
    }
    this._uniformData[0] = count;
    this.device.queue.writeBuffer(this._uniforms, 0, this._uniformData);
    const pipeline = decodePipeline(this.device, this.shape);
    const bindGroup = this.device.createBindGroup({
      label: 'triplane decode',
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: this._uniforms } },
        { binding: 1, resource: { buffer: this.field.planes } },
        { binding: 2, resource: { buffer: this.field.decoder } },
        { binding: 3, resource: { buffer: target.points } },
        { binding: 4, resource: { buffer: target.sdf } },
        { binding: 5, resource: { buffer: target.albedo } },
      ],
    });
    const encoder = this.device.createCommandEncoder({ label: 'triplane decode' });
    const pass = encoder.beginComputePass({ label: 'triplane decode' });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(workgroups);
    pass.end();
    this.device.queue.submit([encoder.finish()]);
  }

  /** Destroys the uniform buffer; the field and target buffers are left to their owners. Idempotent. */
  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    this._uniforms.destroy();
  }
}
