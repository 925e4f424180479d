/**
 * Prompt -> coloured mesh in asset space, in Node: the model pack through src/pack, the tokenizer, the text encoder
 * and the generator in onnxruntime-node through the generation worker's own pipeline (GenerationPipeline.triplane),
 * then the CPU kernels. Used by `scaledreamer generate` and by `npm run bench`.
 */
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { CpuTriplaneField } from '../kernels/triplane-cpu.js';
import type { IndexedMesh } from '../mesh/indexed-mesh.js';
import type { MarchingCubesStats } from '../mesh/marching-cubes.js';
import { meshTriplane } from '../mesh/triplane-mesh.js';
import { loadModelPack, type GeneratorModels, type ModelPack } from '../pack/model-pack.js';
import { PackError } from '../pack/pack-error.js';
import type { TriplaneDecoderWeights } from '../pack/triplane-decoder.js';
import type { PackReader } from '../pack/pack-reader.js';
import { GenerationPipeline, type TensorConstructor } from '../workers/generation-pipeline.js';

/** How unknown words are handled (the tokenizer's modes): refused, or mapped to `<unk>` and reported. */
export type UnknownWordsMode = 'strict' | 'lenient';

/** Options of {@link NodeGenerator.create}. */
export interface NodeGeneratorOptions {
  /** onnxruntime-node's intra-op threads per session; default 1 (the decoder, not the models, is the long part). */
  threads?: number;
}

/** Milliseconds per stage of one prompt. */
export interface NodeStageTimings {
  /** Tokenizer and text_encoder.onnx. */
  readonly text_encode_ms: number;
  /** generator.onnx, and the triplane's checks. */
  readonly generator_ms: number;
  /** The triplane decoder at grid points and vertices (CPU kernels). */
  readonly decode_ms: number;
  /** Marching cubes itself, decoding excluded. */
  readonly marching_cubes_ms: number;
}

/** One prompt's mesh (asset space: glTF's axes), with what it took. */
export interface NodeGeneration {
  readonly mesh: IndexedMesh;
  readonly stats: MarchingCubesStats;
  /** Words that became `<unk>` (lenient mode); empty otherwise. */
  readonly unknownWords: readonly string[];
  readonly timings: NodeStageTimings;
}

/** A {@link PackReader} over the file system: null for a missing file, as fetch's 404. */
export const readPackFileFromDisk: PackReader = async (url) => {
  try {
    return new Uint8Array(await readFile(url));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
};

type OnnxRuntimeNode = typeof import('onnxruntime-node');

/** onnxruntime-node is a peer the CLI needs and the library does not: imported on first use. */
export async function importOnnxRuntime(): Promise<OnnxRuntimeNode> {
  try {
    return await import('onnxruntime-node');
  } catch (error) {
    throw new Error(`the CLI needs onnxruntime-node (npm install onnxruntime-node): ${(error as Error).message}`, {
      cause: error,
    });
  }
}

export class NodeGenerator {
  private _released = false;

  private constructor(
    readonly pack: ModelPack,
    private readonly _pipeline: GenerationPipeline,
    private readonly _release: () => Promise<void>,
  ) {}

  /**
   * Starts the two ONNX sessions on a pack from {@link loadPackFromDisk}; {@link release} releases the pack too.
   * @throws {Error} if onnxruntime-node is missing or a model fails to load.
   */
  static async create(pack: ModelPack, options: NodeGeneratorOptions = {}): Promise<NodeGenerator> {
    const { threads = 1 } = options;
    const generator = requireGenerator(pack);
    const ort = await importOnnxRuntime();
    const sessionOptions = { intraOpNumThreads: threads, interOpNumThreads: 1 };
    const textEncoder = await ort.InferenceSession.create(pack.prior.textEncoder, sessionOptions);
    const model = await ort.InferenceSession.create(generator.model, sessionOptions).catch(async (error) => {
      await textEncoder.release();
      throw error;
    });
    const pipeline = new GenerationPipeline(
      { textEncoder, generator: model, decoder: generator.decoder },
      ort.Tensor as unknown as TensorConstructor,
    );
    return new NodeGenerator(pack, pipeline, async () => {
      await Promise.all([textEncoder.release(), model.release()]);
    });
  }

  /** The pack's decoder: C, H, R and the weights. */
  get decoder(): TriplaneDecoderWeights {
    return requireGenerator(this.pack).decoder;
  }

  /**
   * Prompt -> triplane `[3, C, R, R]`: the tokenizer, then the pipeline's text encoder and generator.
   * @throws {UnknownWordsError} (strict mode) or {@link PromptTooLongError} from the tokenizer.
   * @throws {RangeError} if the generator's triplane holds NaN or Inf.
   */
  async triplane(prompt: string, unknownWords: UnknownWordsMode = 'strict'): Promise<{
    readonly planes: Float32Array;
    readonly unknownWords: readonly string[];
    readonly timings: Pick<NodeStageTimings, 'text_encode_ms' | 'generator_ms'>;
  }> {
    if (this._released) throw new Error('this NodeGenerator was released');
    const start = performance.now();
    const encoded = this.pack.prior.tokenizer.encode(prompt, { mode: unknownWords });
    const ids = BigInt64Array.from(encoded.ids, BigInt);
    const tokenizeMs = performance.now() - start;
    const { planes, encodeMs, generateMs } = await this._pipeline.triplane(ids);
    return {
      planes,
      unknownWords: encoded.unknownWords,
      timings: { text_encode_ms: tokenizeMs + encodeMs, generator_ms: generateMs },
    };
  }

  /**
   * Prompt -> triplane -> mesh.
   * @param grid marching-cubes grid points per axis.
   * @throws {UnknownWordsError} (strict mode) or {@link PromptTooLongError} from the tokenizer.
   * @throws {RangeError} if the generator's triplane holds NaN or Inf, or `grid` is out of range.
   */
  async generate(prompt: string, grid: number, unknownWords: UnknownWordsMode = 'strict'): Promise<NodeGeneration> {
    const made = await this.triplane(prompt, unknownWords);
    const { mesh, stats, timings } = meshPlanes(this.decoder, made.planes, grid);
    return { mesh, stats, unknownWords: made.unknownWords, timings: { ...made.timings, ...timings } };
  }

  /** Releases the ONNX sessions and the pack's bytes. Idempotent. */
  async release(): Promise<void> {
    if (this._released) return;
    this._released = true;
    this.pack.release();
    await this._release();
  }
}

/**
 * Loads and verifies the pack in the folder `dir` (test files skipped: their bytes are not needed).
 * @throws {PackError} naming the file at fault, or if the pack has no generator.
 */
export async function loadPackFromDisk(dir: string): Promise<ModelPack> {
  const url = pathToFileURL(dir.endsWith('/') ? dir : `${dir}/`);
  const pack = await loadModelPack(url, { read: readPackFileFromDisk, testFiles: 'skip' });
  requireGenerator(pack);
  return pack;
}

/**
 * Meshes a triplane `[3, C, R, R]` (any R) with a pack's decoder, in asset space.
 * @throws {RangeError} if `planes` does not hold 3 C R R values for some R >= 2, or `grid` is out of range.
 */
export function meshPlanes(
  decoder: TriplaneDecoderWeights,
  planes: Float32Array,
  grid: number,
): Pick<NodeGeneration, 'mesh' | 'stats'> & { timings: Pick<NodeStageTimings, 'decode_ms' | 'marching_cubes_ms'> } {
  const { shape, weights } = decoder;
  const resolution = Math.round(Math.sqrt(planes.length / (3 * shape.channels)));
  const field = new CpuTriplaneField({ ...shape, resolution }, planes, weights);
  const { mesh, stats, decodeMs, marchingCubesMs } = meshTriplane(field, { resolution: grid });
  return { mesh, stats, timings: { decode_ms: decodeMs, marching_cubes_ms: marchingCubesMs } };
}

function requireGenerator(pack: ModelPack): GeneratorModels {
  const generator = pack.generator;
  if (!generator) {
    throw new PackError('manifest.json', 'the pack has no generator (role generator.triplane); ' +
      '`python3 -m training.distill.export` writes one');
  }
  return generator;
}
