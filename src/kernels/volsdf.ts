import {
  cameraFrame,
  CAMERA_FRAME_LENGTH,
  FRAME_EYE,
  FRAME_FORWARD,
  FRAME_LIGHT,
  FRAME_RIGHT,
  FRAME_TAN_HALF_FOV,
  FRAME_UP,
  type OrbitCamera,
} from './camera.js';
import { checkTriplaneBuffers, triplaneConstants, withTriplaneField, type TriplaneBuffers } from './triplane.js';
import triplaneFieldBackwardWgsl from './triplane-field-backward.wgsl';
import type { TriplaneShape } from './triplane-layout.js';
import volsdfBackwardWgsl from './volsdf-backward.wgsl';
import volsdfCommonWgsl from './volsdf-common.wgsl';
import { resolveVolsdfOptions, type ResolvedVolsdfOptions, type VolsdfOptions } from './volsdf-options.js';
import volsdfRenderWgsl from './volsdf-render.wgsl';

/** Invocations (pixels) per workgroup of the render and backward kernels; their WORKGROUP_SIZE override. */
export const VOLSDF_RENDER_WORKGROUP_SIZE = 64;
/** Most samples per ray of the backward kernel (MAX_SAMPLES in volsdf-backward.wgsl: its per-ray arrays). */
export const VOLSDF_BACKWARD_MAX_SAMPLES = 128;

/**
 * Layout of `RenderParams` in volsdf-common.wgsl: six vec4f (eye, forward, right, up, light, background), then
 * width, height, samples, use_jitter (u32), tan_half_fov, beta (f32) and decoder_gradients (u32); 124 bytes, padded
 * to 128.
 */
const RENDER_PARAMS_BYTE_SIZE = 128;
const RENDER_PARAMS_VEC4 = { eye: 0, forward: 4, right: 8, up: 12, light: 16, background: 20 } as const;
const RENDER_PARAMS_U32 = { width: 24, height: 25, samples: 26, useJitter: 27, decoderGradients: 30 } as const;
const RENDER_PARAMS_F32 = { tanHalfFov: 28, beta: 29 } as const;

type VolsdfKernel = 'render' | 'backward';

const KERNEL_WGSL: Record<VolsdfKernel, string> = {
  render: withTriplaneField(`${volsdfCommonWgsl}\n${volsdfRenderWgsl}`),
  backward: withTriplaneField(`${volsdfCommonWgsl}\n${triplaneFieldBackwardWgsl}\n${volsdfBackwardWgsl}`),
};

/** Pipelines per device (a lost device and its pipelines are collected together), then per kernel and shape. */
const pipelines = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

function volsdfPipeline(device: GPUDevice, kernel: VolsdfKernel, shape: TriplaneShape): GPUComputePipeline {
  let perShape = pipelines.get(device);
  if (!perShape) {
    perShape = new Map();
    pipelines.set(device, perShape);
  }
  const key = `${kernel} ${shape.channels}x${shape.resolution}x${shape.hidden}`;
  let pipeline = perShape.get(key);
  if (!pipeline) {
    pipeline = device.createComputePipeline({
      label: `volsdf ${key}`,
      layout: 'auto',
      compute: {
        module: device.createShaderModule({ label: `volsdf ${kernel}`, code: KERNEL_WGSL[kernel] }),
        entryPoint: 'main',
        constants: { ...triplaneConstants(shape), WORKGROUP_SIZE: VOLSDF_RENDER_WORKGROUP_SIZE },
      },
    });
    perShape.set(key, pipeline);
  }
  return pipeline;
}

/** Where {@link GpuVolsdfRenderer.backward} accumulates; buffers stay owned by the caller. */
export interface VolsdfGradientTargets {
  /** f32 `[3, C, R, R]`, accumulated into (zero it first for a fresh gradient); STORAGE usage. */
  readonly planes: GPUBuffer;
  /** f32 in decoder.bin order, accumulated into; null to skip the decoder's gradients. STORAGE usage. */
  readonly decoder: GPUBuffer | null;
}

/**
 * Renders a triplane field from orbit cameras on the GPU (volsdf-render.wgsl) and backpropagates image gradients
 * into its planes and decoder (volsdf-backward.wgsl). {@link CpuVolsdfRenderer} is its CPU twin. Owns its output
 * buffers ({@link pixels} `[3, H, W]`, {@link opacity} and {@link depth} `[H, W]`, f32, STORAGE | COPY_SRC) and
 * uniforms; release them with {@link dispose}.
 */
export class GpuVolsdfRenderer {
  readonly options: ResolvedVolsdfOptions;
  readonly pixels: GPUBuffer;
  readonly opacity: GPUBuffer;
  readonly depth: GPUBuffer;
  private readonly _uniforms: GPUBuffer;
  private readonly _uniformData = new ArrayBuffer(RENDER_PARAMS_BYTE_SIZE);
  /** Bound in place of the jitter or the decoder's gradient when there is none (a binding cannot be empty). */
  private readonly _placeholder: GPUBuffer;
  private readonly _frame = new Float64Array(CAMERA_FRAME_LENGTH);
  private _disposed = false;

  /**
   * @throws {RangeError} naming an option or shape field that is out of range, or a field buffer that is too small.
   * @throws {TypeError} if a field buffer lacks STORAGE usage.
   */
  constructor(
    readonly device: GPUDevice,
    readonly shape: TriplaneShape,
    readonly field: TriplaneBuffers,
    options: VolsdfOptions,
  ) {
    checkTriplaneBuffers(shape, field);
    this.options = resolveVolsdfOptions(options);
    const { width, height } = this.options;
    const maxWorkgroups = device.limits.maxComputeWorkgroupsPerDimension;
    if (Math.ceil((width * height) / VOLSDF_RENDER_WORKGROUP_SIZE) > maxWorkgroups) {
      throw new RangeError(`width * height must be at most ${maxWorkgroups * VOLSDF_RENDER_WORKGROUP_SIZE}`);
    }
    const output = (label: string, floats: number): GPUBuffer =>
      device.createBuffer({ label, size: floats * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
    this.pixels = output('volsdf pixels', 3 * width * height);
    this.opacity = output('volsdf opacity', width * height);
    this.depth = output('volsdf depth', width * height);
    this._uniforms = device.createBuffer({
      label: 'volsdf params',
      size: RENDER_PARAMS_BYTE_SIZE,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    this._placeholder = device.createBuffer({ label: 'volsdf placeholder', size: 16, usage: GPUBufferUsage.STORAGE });
  }

  /**
   * Renders one camera into {@link pixels}, {@link opacity} and {@link depth}; submits its own command buffer.
   * @param jitter f32 `[H W, S]` sample offsets in [0, 1) (STORAGE usage), or null for the fixed 0.5.
   * @throws {RangeError} if the camera is out of range or the jitter buffer is too small.
   * @throws {Error} after {@link dispose}.
   */
  render(camera: OrbitCamera, jitter: GPUBuffer | null = null): void {
    if (this._disposed) throw new Error('GpuVolsdfRenderer.render() called after dispose()');
    this._writeParams(camera, jitter, false);
    this._dispatch('render', [
      { binding: 3, resource: { buffer: jitter ?? this._placeholder } },
      { binding: 4, resource: { buffer: this.pixels } },
      { binding: 5, resource: { buffer: this.opacity } },
      { binding: 6, resource: { buffer: this.depth } },
    ]);
  }

  /**
   * Accumulates the gradients of `sum(pixels * upstream)` for one camera into `targets`; submits its own command
   * buffer. Use the camera and jitter of the render that `upstream` refers to. Float atomics make the summation
   * order, and so the last bits, vary from run to run.
   * @param upstream f32 `[3, H, W]`; STORAGE usage.
   * @throws {RangeError} if the camera is out of range, a buffer is too small, or samples exceeds
   *   {@link VOLSDF_BACKWARD_MAX_SAMPLES}.
   * @throws {Error} after {@link dispose}.
   */
  backward(
    camera: OrbitCamera,
    upstream: GPUBuffer,
    targets: VolsdfGradientTargets,
    jitter: GPUBuffer | null = null,
  ): void {
    if (this._disposed) throw new Error('GpuVolsdfRenderer.backward() called after dispose()');
    const { width, height, samples } = this.options;
    if (samples > VOLSDF_BACKWARD_MAX_SAMPLES) {
      throw new RangeError(`samples must be at most ${VOLSDF_BACKWARD_MAX_SAMPLES} for backward(), got ${samples}`);
    }
    const needs = (name: string, buffer: GPUBuffer, bytes: number): void => {
      if (buffer.size < bytes) throw new RangeError(`${name} holds ${buffer.size} bytes, fewer than ${bytes}`);
    };
    needs('upstream', upstream, 3 * width * height * 4);
    needs('targets.planes', targets.planes, this.field.planes.size);
    if (targets.decoder) needs('targets.decoder', targets.decoder, this.field.decoder.size);
    this._writeParams(camera, jitter, targets.decoder !== null);
    this._dispatch('backward', [
      { binding: 3, resource: { buffer: jitter ?? this._placeholder } },
      { binding: 4, resource: { buffer: upstream } },
      { binding: 7, resource: { buffer: targets.planes } },
      { binding: 8, resource: { buffer: targets.decoder ?? this._placeholder } },
    ]);
  }

  private _writeParams(camera: OrbitCamera, jitter: GPUBuffer | null, decoderGradients: boolean): void {
    const { width, height, samples, beta, background } = this.options;
    if (jitter && jitter.size < width * height * samples * 4) {
      throw new RangeError(`jitter holds ${jitter.size} bytes, fewer than width * height * samples * 4`);
    }
    const frame = cameraFrame(camera, this._frame);
    const f32 = new Float32Array(this._uniformData);
    const u32 = new Uint32Array(this._uniformData);
    const vec3 = (at: number, from: ArrayLike<number>, offset: number): void => {
      f32[at] = from[offset]!;
      f32[at + 1] = from[offset + 1]!;
      f32[at + 2] = from[offset + 2]!;
    };
    vec3(RENDER_PARAMS_VEC4.eye, frame, FRAME_EYE);
    vec3(RENDER_PARAMS_VEC4.forward, frame, FRAME_FORWARD);
    vec3(RENDER_PARAMS_VEC4.right, frame, FRAME_RIGHT);
    vec3(RENDER_PARAMS_VEC4.up, frame, FRAME_UP);
    vec3(RENDER_PARAMS_VEC4.light, frame, FRAME_LIGHT);
    vec3(RENDER_PARAMS_VEC4.background, background, 0);
    u32[RENDER_PARAMS_U32.width] = width;
    u32[RENDER_PARAMS_U32.height] = height;
    u32[RENDER_PARAMS_U32.samples] = samples;
    u32[RENDER_PARAMS_U32.useJitter] = jitter ? 1 : 0;
    u32[RENDER_PARAMS_U32.decoderGradients] = decoderGradients ? 1 : 0;
    f32[RENDER_PARAMS_F32.tanHalfFov] = frame[FRAME_TAN_HALF_FOV]!;
    f32[RENDER_PARAMS_F32.beta] = beta;
    this.device.queue.writeBuffer(this._uniforms, 0, this._uniformData);
  }

  /** One dispatch of `kernel` over the pixels, with the uniforms and field bound beside `entries`. */
  private _dispatch(kernel: VolsdfKernel, entries: GPUBindGroupEntry[]): void {
    const pipeline = volsdfPipeline(this.device, kernel, this.shape);
    const bindGroup = this.device.createBindGroup({
      label: `volsdf ${kernel}`,
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: this._uniforms } },
        { binding: 1, resource: { buffer: this.field.planes } },
        { binding: 2, resource: { buffer: this.field.decoder } },
        ...entries,
      ],
    });
    const encoder = this.device.createCommandEncoder({ label: `volsdf ${kernel}` });
    const pass = encoder.beginComputePass({ label: `volsdf ${kernel}` });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(Math.ceil((this.options.width * this.options.height) / VOLSDF_RENDER_WORKGROUP_SIZE));
    pass.end();
    this.device.queue.submit([encoder.finish()]);
  }

  /** Destroys the outputs and uniforms; the field buffers are left to their owner. Idempotent. */
  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    for (const buffer of [this.pixels, this.opacity, this.depth, this._uniforms, this._placeholder]) buffer.destroy();
  }
}
