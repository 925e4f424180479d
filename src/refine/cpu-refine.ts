/**
 * Refinement on the CPU with a model pack, in one call: the prior's sessions on the given onnxruntime (onnxruntime-node
 * in the CLI and tests, onnxruntime-web's WASM build in a worker), the CPU kernels, and the loop. The runtime is a
 * parameter so that this module imports none.
 */
import type { InferenceSession } from 'onnxruntime-web';
import { checkTriplane } from '../kernels/triplane-layout.js';
import type { PriorModels } from '../pack/model-pack.js';
import type { TriplaneDecoderWeights } from '../pack/triplane-decoder.js';
import type { EncodeOptions } from '../text/word-tokenizer.js';
import { CpuRefineKernels } from './cpu-kernels.js';
import { OnnxRefinePrior, type OnnxTensorConstructor } from './onnx-prior.js';
import { refineTriplane, type RefineCallbacks, type RefineResult } from './refine.js';
import { resolveRefinementOptions, type RefinementOptions } from './refine-options.js';

/** The parts of an onnxruntime module that refinement uses (`import * as ort from 'onnxruntime-node'`). */
export interface OnnxRuntime {
  readonly InferenceSession: {
    create(model: Uint8Array, options?: InferenceSession.SessionOptions): Promise<InferenceSession>;
  };
  readonly Tensor: OnnxTensorConstructor;
}

export interface CpuRefineSetup {
  readonly ort: OnnxRuntime;
  /** The pack's prior (text encoder, UNet, schedule, tokenizer). */
  readonly prior: PriorModels;
  /** The pack's decoder (frozen) and its renderer settings. */
  readonly decoder: TriplaneDecoderWeights;
  /** Passed to both sessions, e.g. `{ intraOpNumThreads: 1 }`. */
  readonly sessionOptions?: InferenceSession.SessionOptions;
  readonly encodeOptions?: EncodeOptions;
}

/**
 * Refines `planes` (`[3, C, R, R]` with the decoder's C and any R; not modified) for `prompt`; the result holds the
 * refined copy.
 * @throws {TypeError | RangeError} naming a bad option, or if `planes` is not [3, C, R, R], before the sessions are
 *   created.
 * @throws what refineTriplane throws.
 */
export async function refineTriplaneOnCpu(
  setup: CpuRefineSetup,
  planes: Float32Array,
  prompt: string,
  options: RefinementOptions = {},
  callbacks: RefineCallbacks = {},
): Promise<RefineResult> {
  const { ort, prior, decoder, sessionOptions = {} } = setup;
  const resolved = resolveRefinementOptions(options, {
    priorResolution: prior.resolution,
    samples: decoder.renderer.samples,
  });
  const shape = { ...decoder.shape, resolution: Math.round(Math.sqrt(planes.length / (3 * decoder.shape.channels))) };
  checkTriplane(shape, planes, decoder.weights);
  const textEncoder = await ort.InferenceSession.create(prior.textEncoder, sessionOptions);
  let unet: InferenceSession | null = null;
  try {
    unet = await ort.InferenceSession.create(prior.unet, sessionOptions);
    const refinePrior = new OnnxRefinePrior({
      textEncoder,
      unet,
      Tensor: ort.Tensor,
      tokenizer: prior.tokenizer,
      schedule: prior.schedule,
      resolution: prior.resolution,
      unconditionalPrompt: prior.text.unconditionalPrompt,
      ...(setup.encodeOptions ? { encodeOptions: setup.encodeOptions } : {}),
    });
    const kernels = new CpuRefineKernels(shape, planes, decoder.weights, {
      learningRate: resolved.learningRate,
      adamEpsilon: resolved.adamEpsilon,
      beta: decoder.renderer.beta,
    });
    return await refineTriplane({ kernels, prior: refinePrior, samples: decoder.renderer.samples }, prompt, resolved,
      callbacks);
  } finally {
    await Promise.all([textEncoder.release(), unet?.release()]);
  }
}
