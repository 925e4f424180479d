/**
 * {@link RefinePrior} on onnxruntime-web/webgpu sessions that run on the WGSL kernels' GPUDevice, with the prior's
 * tensors left on the GPU: the `sample` rows are GpuRefineKernels' buffer (`Tensor.fromGpuBuffer`), the text states
 * are encoded once per prompt into GPU buffers and copied into each step's `encoder_hidden_states` on the GPU, and
 * the UNet's `noise` stays in onnxruntime's output buffer, which the guidance kernel reads. Only the rows' timesteps
 * and cameras (a few floats) go up as CPU tensors. onnx-prior.ts is the CPU-tensor twin.
 *
 * Both sessions must be created on the kernels' device (`executionProviders: [{ name: 'webgpu', device }]`; a buffer
 * from another device gives wrong results silently) with their outputs on the GPU: `preferredOutputLocation:
 * { hidden: 'gpu-buffer' }` for the text encoder and `{ noise: 'gpu-buffer' }` for the UNet.
 */
import type { Tensor } from 'onnxruntime-web';
import { createTensorBuffer } from '../kernels/gpu-buffers.js';
import {
  sessionOutput,
  TEXT_ENCODER_INPUT,
  TEXT_ENCODER_OUTPUT,
  UNET_INPUTS,
  UNET_OUTPUT,
  type OnnxRefinePriorParts,
  type OnnxTensorConstructor,
} from './onnx-prior.js';
import type { RefinePrior } from './refine-backend.js';
import type { PriorRows } from './step-plan.js';
import { CAMERA_VECTOR_SIZE } from './views.js';

/** The Tensor class of onnxruntime-web/webgpu (the build that made the sessions). */
export interface GpuTensorConstructor extends OnnxTensorConstructor {
  fromGpuBuffer(buffer: GPUBuffer, options: { dataType: 'float32'; dims: readonly number[] }): Tensor;
}

export interface GpuRefinePriorParts extends Omit<OnnxRefinePriorParts, 'Tensor'> {
  /** The device of the sessions and of the kernels whose buffers are fed to them. */
  readonly device: GPUDevice;
  readonly Tensor: GpuTensorConstructor;
}

/** Thrown when a session's output is not where this prior needs it (on the GPU). */
export class GpuPriorSessionError extends Error {
  override readonly name = 'GpuPriorSessionError';
}

export class GpuRefinePrior implements RefinePrior<GPUBuffer, GPUBuffer> {
  readonly resolution: number;
  readonly numTrainTimesteps: number;
  readonly alphasCumprod: ArrayLike<number>;
  readonly unconditionalPrompt: string;
  /** Text states `[L, D]` per prompt, on the GPU. */
  private readonly _states = new Map<string, GPUBuffer>();
  /** L D, known after the first encoding. */
  private _stateFloats = 0;
  /** `encoder_hidden_states` `[N, L, D]` of a step, made for the first N seen (the rows are fixed for a run). */
  private _textRows: { readonly rows: number; readonly buffer: GPUBuffer } | null = null;
  /** The last prediction: onnxruntime's output, held until the next {@link predictNoise} or {@link dispose}. */
  private _noise: Tensor | null = null;
  private _disposed = false;

  constructor(private readonly _parts: GpuRefinePriorParts) {
    this.resolution = _parts.resolution;
    this.numTrainTimesteps = _parts.schedule.numTrainTimesteps;
    this.alphasCumprod = _parts.schedule.alphasCumprod;
    this.unconditionalPrompt = _parts.unconditionalPrompt;
  }

  /** @throws {GpuPriorSessionError} if the text encoder's `hidden` is not on the GPU. */
  async prepare(prompts: readonly string[]): Promise<void> {
    this._checkLive('prepare');
    const missing = [...new Set(prompts)].filter((prompt) => !this._states.has(prompt));
    if (missing.length === 0) return;
    const { tokenizer, textEncoder, Tensor, device, encodeOptions = {} } = this._parts;
    const ids = tokenizer.encodeBatch(missing, encodeOptions);
    const results = await textEncoder.run({
      [TEXT_ENCODER_INPUT]: new Tensor('int64', ids, [missing.length, tokenizer.maxLength]),
    });
    const hidden = sessionOutput(results, TEXT_ENCODER_OUTPUT, 'text_encoder.onnx');
    try {
      const source = onGpu(hidden, 'text_encoder.onnx', TEXT_ENCODER_OUTPUT);
      const floats = hidden.size / missing.length;
      const encoder = device.createCommandEncoder({ label: 'prior text states' });
      for (const [i, prompt] of missing.entries()) {
        const state = createTensorBuffer(device, floats, `prior text state "${prompt}"`);
        this._states.set(prompt, state);
        encoder.copyBufferToBuffer(source, i * floats * 4, state, 0, floats * 4);
      }
      device.queue.submit([encoder.finish()]);
      this._stateFloats = floats;
    } finally {
      // The copies were submitted first: onnxruntime may reuse the buffer for later work only.
      hidden.dispose();
    }
  }

  /**
   * The UNet's `noise` for the rows, as onnxruntime's output buffer (f32 `[N, 3, R, R]`, STORAGE usage): valid
   * until the next call or {@link dispose}, which release it.
   * @param sample f32 `[N, 3, R, R]` on the sessions' device, STORAGE | COPY_SRC | COPY_DST (GpuRefineKernels').
   * @throws {RangeError} if `sample` is too small, or the UNet's output has the wrong size.
   * @throws {GpuPriorSessionError} if the UNet's `noise` is not on the GPU.
   */
  async predictNoise(sample: GPUBuffer, rows: PriorRows): Promise<GPUBuffer> {
    this._checkLive('predictNoise');
    const { unet, Tensor, tokenizer } = this._parts;
    const n = rows.prompts.length;
    const R = this.resolution;
    if (sample.size < n * 3 * R * R * 4) {
      throw new RangeError(`sample must hold ${n} * 3 * ${R} * ${R} floats, got a buffer of ${sample.size} bytes`);
    }
    await this.prepare(rows.prompts);
    this._releaseNoise();
    const L = tokenizer.maxLength;
    const results = await unet.run({
      [UNET_INPUTS.sample]: Tensor.fromGpuBuffer(sample, { dataType: 'float32', dims: [n, 3, R, R] }),
      [UNET_INPUTS.timestep]: new Tensor('float32', rows.timesteps, [n]),
      [UNET_INPUTS.text]: Tensor.fromGpuBuffer(this._writeTextRows(rows.prompts), {
        dataType: 'float32',
        dims: [n, L, this._stateFloats / L],
      }),
      [UNET_INPUTS.camera]: new Tensor('float32', rows.cameras, [n, CAMERA_VECTOR_SIZE]),
    });
    const noise = sessionOutput(results, UNET_OUTPUT, 'unet.onnx');
    this._noise = noise;
    const buffer = onGpu(noise, 'unet.onnx', UNET_OUTPUT);
    if (noise.size !== n * 3 * R * R) {
      throw new RangeError(`unet.onnx's noise has ${noise.size} values; the sample has ${n * 3 * R * R}`);
    }
    return buffer;
  }

  /** Releases the last prediction and destroys the text buffers; the sessions stay the caller's. Idempotent. */
  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    this._releaseNoise();
    for (const state of this._states.values()) state.destroy();
    this._states.clear();
    this._textRows?.buffer.destroy();
    this._textRows = null;
  }

  /** Copies the rows' text states into the step's `encoder_hidden_states` buffer, on the GPU. */
  private _writeTextRows(prompts: readonly string[]): GPUBuffer {
    const { device } = this._parts;
    const bytes = this._stateFloats * 4;
    if (this._textRows?.rows !== prompts.length) {
      this._textRows?.buffer.destroy();
      this._textRows = {
        rows: prompts.length,
        buffer: createTensorBuffer(device, prompts.length * this._stateFloats, 'prior text rows'),
      };
    }
    const { buffer } = this._textRows;
    const encoder = device.createCommandEncoder({ label: 'prior text rows' });
    prompts.forEach((prompt, row) =>
      encoder.copyBufferToBuffer(this._states.get(prompt)!, 0, buffer, row * bytes, bytes));
    device.queue.submit([encoder.finish()]);
    return buffer;
  }

  private _releaseNoise(): void {
    this._noise?.dispose();
    this._noise = null;
  }

  private _checkLive(method: string): void {
    if (this._disposed) throw new Error(`GpuRefinePrior.${method}() called after dispose()`);
  }
}

/** @throws {GpuPriorSessionError} unless `tensor` is in a GPU buffer. */
function onGpu(tensor: Tensor, model: string, name: string): GPUBuffer {
  if (tensor.location !== 'gpu-buffer') {
    throw new GpuPriorSessionError(`${model}'s "${name}" is on the ${tensor.location}, not the GPU: create its ` +
      `session with preferredOutputLocation: { ${name}: 'gpu-buffer' } on the kernels' device`);
  }
  return tensor.gpuBuffer as GPUBuffer;
}
