/**
 * {@link RefinePrior} on onnxruntime sessions with CPU tensors: onnxruntime-node (the CLI, tests) or
 * onnxruntime-web's WASM build (a worker). Sessions and the Tensor constructor come from the caller, so that this
 * file imports no runtime (only onnxruntime-common's types, which onnxruntime-web re-exports).
 */
import type { InferenceSession, Tensor } from 'onnxruntime-web';
import type { EncodeOptions, WordTokenizer } from '../text/word-tokenizer.js';
import type { RefinePrior } from './refine-backend.js';
import type { PriorRows } from './step-plan.js';
import { CAMERA_VECTOR_SIZE } from './views.js';

/** The pack contract's names (docs/model-pack.md). */
export const TEXT_ENCODER_INPUT = 'input_ids';
export const TEXT_ENCODER_OUTPUT = 'hidden';
export const UNET_INPUTS = { sample: 'sample', timestep: 'timestep', text: 'encoder_hidden_states', camera: 'camera' };
export const UNET_OUTPUT = 'noise';

/** The Tensor class of the onnxruntime build that made the sessions (tensors must come from the same one). */
export interface OnnxTensorConstructor {
  new (type: 'int64', data: BigInt64Array, dims: readonly number[]): Tensor;
  new (type: 'float32', data: Float32Array, dims: readonly number[]): Tensor;
}

export interface OnnxRefinePriorParts {
  /** text_encoder.onnx: `input_ids` int64 `[N, L]` -> `hidden` float32 `[N, L, D]`. */
  readonly textEncoder: InferenceSession;
  /** unet.onnx: `sample`, `timestep`, `encoder_hidden_states`, `camera` -> `noise`. */
  readonly unet: InferenceSession;
  readonly Tensor: OnnxTensorConstructor;
  readonly tokenizer: WordTokenizer;
  /** The pack's schedule (its T and alphas_cumprod). */
  readonly schedule: { readonly numTrainTimesteps: number; readonly alphasCumprod: ArrayLike<number> };
  /** The pack's `prior.resolution` and `prior.text.unconditional_prompt`. */
  readonly resolution: number;
  readonly unconditionalPrompt: string;
  /** How prompts are tokenized (strict by default, as generation). */
  readonly encodeOptions?: EncodeOptions;
}

export class OnnxRefinePrior implements RefinePrior<Float32Array, Float32Array> {
  readonly resolution: number;
  readonly numTrainTimesteps: number;
  readonly alphasCumprod: ArrayLike<number>;
  readonly unconditionalPrompt: string;
  /** Text states `[L, D]` per prompt. */
  private readonly _states = new Map<string, Float32Array>();

  constructor(private readonly _parts: OnnxRefinePriorParts) {
    this.resolution = _parts.resolution;
    this.numTrainTimesteps = _parts.schedule.numTrainTimesteps;
    this.alphasCumprod = _parts.schedule.alphasCumprod;
    this.unconditionalPrompt = _parts.unconditionalPrompt;
  }

  async prepare(prompts: readonly string[]): Promise<void> {
    const missing = [...new Set(prompts)].filter((prompt) => !this._states.has(prompt));
    if (missing.length === 0) return;
    const { tokenizer, textEncoder, Tensor, encodeOptions = {} } = this._parts;
    const ids = tokenizer.encodeBatch(missing, encodeOptions);
    const results = await textEncoder.run({
      [TEXT_ENCODER_INPUT]: new Tensor('int64', ids, [missing.length, tokenizer.maxLength]),
    });
    const hidden = sessionOutput(results, TEXT_ENCODER_OUTPUT, 'text_encoder.onnx');
    const data = (await hidden.getData()) as Float32Array;
    const size = data.length / missing.length;
    missing.forEach((prompt, i) => this._states.set(prompt, data.slice(i * size, (i + 1) * size)));
    hidden.dispose();
  }

  async predictNoise(sample: Float32Array, rows: PriorRows): Promise<Float32Array> {
    const { unet, Tensor } = this._parts;
    const n = rows.prompts.length;
    const R = this.resolution;
    if (sample.length !== n * 3 * R * R) {
      throw new RangeError(`sample must hold ${n} * 3 * ${R} * ${R} floats, got ${sample.length}`);
    }
    await this.prepare(rows.prompts);
    const first = this._states.get(rows.prompts[0]!)!;
    const text = new Float32Array(n * first.length);
    rows.prompts.forEach((prompt, i) => text.set(this._states.get(prompt)!, i * first.length));
    const { maxLength } = this._parts.tokenizer;
    const results = await unet.run({
      [UNET_INPUTS.sample]: new Tensor('float32', sample, [n, 3, R, R]),
      [UNET_INPUTS.timestep]: new Tensor('float32', rows.timesteps, [n]),
      [UNET_INPUTS.text]: new Tensor('float32', text, [n, maxLength, first.length / maxLength]),
      [UNET_INPUTS.camera]: new Tensor('float32', rows.cameras, [n, CAMERA_VECTOR_SIZE]),
    });
    const noise = sessionOutput(results, UNET_OUTPUT, 'unet.onnx');
    const data = (await noise.getData()) as Float32Array;
    noise.dispose();
    if (data.length !== sample.length) {
      throw new RangeError(`unet.onnx's noise has ${data.length} values; the sample has ${sample.length}`);
    }
    return data;
  }
}

/** @throws {RangeError} if the model has no output called `name`. */
export function sessionOutput(results: InferenceSession.OnnxValueMapType, name: string, model: string): Tensor {
  const tensor = results[name];
  if (!tensor) throw new RangeError(`${model} has no output "${name}" (outputs: ${Object.keys(results).join(', ')})`);
  return tensor as Tensor;
}
