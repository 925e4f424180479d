/**
 * Prompt ids -> mesh, given two ONNX sessions and the triplane decoder:
 *
 * 1. text_encoder.onnx: `input_ids` int64 `[1, L]` -> `hidden` float32 `[1, L, D]`;
 * 2. generator.onnx: `text_states` (= hidden) -> `triplane` float32 `[1, 3, C, R, R]`;
 * 3. marching cubes over the triplane's SDF with the CPU kernels, vertex colours from its albedo
 *    (docs/triplane.md, src/mesh/triplane-mesh.ts);
 * 4. asset space -> grounded Babylon space (src/mesh/babylon-space.ts).
 *
 * Independent of where it runs: generation.worker.ts gives it onnxruntime-web sessions, the Node tests give it
 * onnxruntime-node's (both implement onnxruntime-common's API, which onnxruntime-web re-exports).
 */
import type { InferenceSession, Tensor } from 'onnxruntime-web';
import { CpuTriplaneField } from '../kernels/triplane-cpu.js';
import { planesLength, type TriplaneShape } from '../kernels/triplane-layout.js';
import { toBabylonSpace, type BabylonMeshArrays } from '../mesh/babylon-space.js';
import { meshTriplane } from '../mesh/triplane-mesh.js';
import type { GeneratedMeshData, GenerationRequest, WorkerStage } from './generation-protocol.js';

/** The ONNX names of the pack contract (docs/model-pack.md, docs/runtime-pack-loader.md). */
export const TEXT_ENCODER_INPUT = 'input_ids';
export const TEXT_ENCODER_OUTPUT = 'hidden';
export const GENERATOR_INPUT = 'text_states';
export const GENERATOR_OUTPUT = 'triplane';

/** The tensor constructor of the onnxruntime build that made the sessions (tensors must come from the same one). */
export type TensorConstructor = new (type: 'int64', data: BigInt64Array, dims: readonly number[]) => Tensor;

/** The pipeline's models. */
export interface GenerationSessions {
  readonly textEncoder: InferenceSession;
  readonly generator: InferenceSession;
  /** C, H and R, and the decoder's weights in decoder.bin order. */
  readonly decoder: { readonly shape: TriplaneShape; readonly weights: Float32Array };
}

export class GenerationPipeline {
  constructor(
    private readonly _sessions: GenerationSessions,
    private readonly _Tensor: TensorConstructor,
  ) {}

  /**
   * Runs the four steps for one prompt.
   * @param onStage called as each stage starts.
   * @param onPlanes called with the generated triplane `[3, C, R, R]` before it is meshed (the worker keeps it for
   *   refinement).
   * @throws {RangeError} if `inputIds` is empty, a model lacks its output or gives the wrong size, the triplane
   *   holds NaN or Inf, or `gridSize` is outside marching cubes' range (the plugin checks it before sending).
   */
  async run(
    request: GenerationRequest,
    onStage: (stage: WorkerStage) => void = () => {},
    onPlanes: (planes: Float32Array) => void = () => {},
  ): Promise<GeneratedMeshData> {
    const { gridSize } = request;
    const start = performance.now();
    const { planes, encodeMs, generateMs } = await this.triplane(request.inputIds, onStage);
    onPlanes(planes);

    // 3 and 4. Mesh on the CPU kernels, in Babylon space.
    onStage('meshing');
    const meshed = this.mesh(planes, gridSize);
    const end = performance.now();
    return {
      ...meshed.arrays,
      evaluatedPoints: meshed.evaluatedPoints,
      timings: {
        encodeMs,
        generateMs,
        decodeMs: meshed.decodeMs,
        marchingCubesMs: meshed.marchingCubesMs,
        convertMs: meshed.convertMs,
        totalMs: end - start,
      },
    };
  }

  /**
   * Steps 3 and 4 alone, planes `[3, C, R, R]` -> grounded Babylon arrays: shared by {@link run} and refinement's
   * remeshes (generation.worker.ts).
   * @throws {RangeError} if `gridSize` is outside marching cubes' range.
   */
  mesh(planes: Float32Array, gridSize: number): {
    readonly arrays: BabylonMeshArrays;
    readonly evaluatedPoints: number;
    readonly decodeMs: number;
    readonly marchingCubesMs: number;
    readonly convertMs: number;
  } {
    const { decoder } = this._sessions;
    const field = new CpuTriplaneField(decoder.shape, planes, decoder.weights);
    const meshed = meshTriplane(field, { resolution: gridSize });
    const convertStart = performance.now();
    const arrays = toBabylonSpace(meshed.mesh);
    return {
      arrays,
      evaluatedPoints: meshed.stats.evaluatedPoints,
      decodeMs: meshed.decodeMs,
      marchingCubesMs: meshed.marchingCubesMs,
      convertMs: performance.now() - convertStart,
    };
  }

  /**
   * Steps 1 and 2 alone, prompt ids -> triplane `[3, C, R, R]`: shared by {@link run} and the Node CLI
   * (src/cli/node-generator.ts), which meshes in asset space.
   * @param onStage called with `'encoding'`, then `'generating'`.
   * @throws {RangeError} if `inputIds` is empty, a model lacks its output or gives the wrong size, or the triplane
   *   holds NaN or Inf.
   */
  async triplane(
    inputIds: BigInt64Array<ArrayBuffer>,
    onStage: (stage: WorkerStage) => void = () => {},
  ): Promise<{ readonly planes: Float32Array; readonly encodeMs: number; readonly generateMs: number }> {
    const { textEncoder, generator, decoder } = this._sessions;
    if (inputIds.length === 0) throw new RangeError('inputIds must hold at least one id');
    const start = performance.now();

    // 1. Text encoding. The output may stay on the GPU (WebGPU sessions): it only feeds the generator.
    onStage('encoding');
    const ids = new this._Tensor('int64', inputIds, [1, inputIds.length]);
    const encoded = await textEncoder.run({ [TEXT_ENCODER_INPUT]: ids });
    const hidden = output(encoded, TEXT_ENCODER_OUTPUT, 'text_encoder.onnx');
    const encodedAt = performance.now();

    // 2. Triplane.
    onStage('generating');
    let planes: Float32Array;
    try {
      const generated = await generator.run({ [GENERATOR_INPUT]: hidden });
      const triplane = output(generated, GENERATOR_OUTPUT, 'generator.onnx');
      try {
        planes = (await triplane.getData()) as Float32Array;
      } finally {
        triplane.dispose();
      }
    } finally {
      hidden.dispose();
    }
    const expected = planesLength(decoder.shape);
    if (planes.length !== expected) {
      const { channels: c, resolution: r } = decoder.shape;
      throw new RangeError(`generator.onnx's triplane has ${planes.length} values; [1, 3, ${c}, ${r}, ${r}] needs ` +
        `${expected}`);
    }
    for (let i = 0; i < planes.length; i++) {
      if (!Number.isFinite(planes[i]!)) throw new RangeError(`generator.onnx's triplane value ${i} is ${planes[i]}`);
    }
    return { planes, encodeMs: encodedAt - start, generateMs: performance.now() - encodedAt };
  }
}

/** @throws {RangeError} if the model has no output called `name`. */
function output(results: InferenceSession.OnnxValueMapType, name: string, model: string): Tensor {
  const tensor = results[name];
  if (!tensor) throw new RangeError(`${model} has no output "${name}" (outputs: ${Object.keys(results).join(', ')})`);
  return tensor as Tensor;
}
