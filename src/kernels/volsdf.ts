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
import type { TriplaneShape } from './triplane-layout.js';
import { resolveVolsdfOptions, type ResolvedVolsdfOptions, type VolsdfOptions } from './volsdf-options.js';
import volsdfRenderWgsl from './volsdf-render.wgsl';

/** Invocations (pixels) per workgroup of the render kernel; its WORKGROUP_SIZE override. */
export const VOLSDF_RENDER_WORKGROUP_SIZE = 64;

/**
 * Layout of `RenderParams` in volsdf-render.wgsl: six vec4f (eye, forward, right, up, light, background), then
 * width, height, samples, use_jitter (u32) and tan_half_fov, beta (f32); 120 bytes, padded to 128.
 */
const RENDER_PARAMS_BYTE_SIZE = 128;
const RENDER_PARAMS_VEC4 = { eye: 0, forward: 4, right: 8, up: 12, light: 16, background: 20 } as const;
const RENDER_PARAMS_U32 = { width: 24, height: 25, samples: 26, useJitter: 27 } as const;
const RENDER_PARAMS_F32 = { tanHalfFov: 28, beta: 29 } as const;

const pipelines = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

function renderPipeline(device: GPUDevice, shape: TriplaneShape): GPUComputePipeline {
  let perShape = pipelines.get(device);
  if (!perShape) {
    perShape = new Map();
    pipelines.set(device, perShape);
  }
  const key = `${shape.channels}x${shape.resolution}x${shape.hidden}`;
  let pipeline = perShape.get(key);
  if (!pipeline) {
    pipeline = device.createComputePipeline({
      label: `volsdf render ${key}`,
      layout: 'auto',
      compute: {
        module: device.createShaderModule({ label: 'volsdf render', code: withTriplaneField(volsdfRenderWgsl) }),
        entryPoint: 'main',
        constants: { ...triplaneConstants(shape), WORKGROUP_SIZE: VOLSDF_RENDER_WORKGROUP_SIZE },
      },
    });
    perShape.set(key, pipeline);
  }
  return pipeline;
}

/**
 * Renders a triplane field from orbit cameras on the GPU (volsdf-render.wgsl), forward only for now.
 * {@link CpuVolsdfRenderer} is its CPU twin. Owns its output buffers ({@link pixels} `[3, H, W]`, {@link opacity} and
 * {@link depth} `[H, W]`, f32, STORAGE | COPY_SRC) and uniforms; release them with {@link dispose}.
 */
export class GpuVolsdfRenderer {
  readonly options: ResolvedVolsdfOptions;
  readonly pixels: GPUBuffer;
  readonly opacity: GPUBuffer;
  readonly depth: GPUBuffer;
  private readonly _uniforms: GPUBuffer;
  private readonly _uniformData = new ArrayBuffer(RENDER_PARAMS_BYTE_SIZE);
  /** Bound in place of the jitter when there is none (a binding cannot be empty). */
  private readonly _noJitter: GPUBuffer;
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
    this._noJitter = device.createBuffer({ label: 'volsdf no jitter', size: 16, usage: GPUBufferUsage.STORAGE });
  }

  /**
   * Renders one camera into {@link pixels}, {@link opacity} and {@link depth}; submits its own command buffer.
   * @param jitter f32 `[H W, S]` sample offsets in [0, 1) (STORAGE usage), or null for the fixed 0.5.
   * @throws {RangeError} if the camera is out of range or the jitter buffer is too small.
   * @throws {Error} after {@link dispose}.
   */
  render(camera: OrbitCamera, jitter: GPUBuffer | null = null): void {
    if (this._disposed) throw new Error('GpuVolsdfRenderer.render() called after dispose()');
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
    f32[RENDER_PARAMS_F32.tanHalfFov] = frame[FRAME_TAN_HALF_FOV]!;
    f32[RENDER_PARAMS_F32.beta] = beta;
    this.device.queue.writeBuffer(this._uniforms, 0, this._uniformData);

    const pipeline = renderPipeline(this.device, this.shape);
    const bindGroup = this.device.createBindGroup({
      label: 'volsdf render',
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: this._uniforms } },
        { binding: 1, resource: { buffer: this.field.planes } },
        { binding: 2, resource: { buffer: this.field.decoder } },
        { binding: 3, resource: { buffer: jitter ?? this._noJitter } },
        { binding: 4, resource: { buffer: this.pixels } },
        { binding: 5, resource: { buffer: this.opacity } },
        { binding: 6, resource: { buffer: this.depth } },
      ],
    });
    const encoder = this.device.createCommandEncoder({ label: 'volsdf render' });
    const pass = encoder.beginComputePass({ label: 'volsdf render' });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(Math.ceil((width * height) / VOLSDF_RENDER_WORKGROUP_SIZE));
    pass.end();
    this.device.queue.submit([encoder.finish()]);
  }

  /** Destroys the outputs and uniforms; the field buffers are left to their owner. Idempotent. */
  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    for (const buffer of [this.pixels, this.opacity, this.depth, this._uniforms, this._noJitter]) buffer.destroy();
  }
}
