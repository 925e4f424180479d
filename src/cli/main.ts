/**
 * `scaledreamer` for Node: prompt -> text encoder -> generator -> triplane -> mesh -> .glb, with onnxruntime-node and
 * the CPU kernels on a model pack (bin/scaledreamer.js runs {@link main} from dist/cli.js). Every expected failure is
 * one line on stderr and a non-zero exit code, never a stack trace.
 */
import { constants, existsSync } from 'node:fs';
import { access, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeGlb } from '../mesh/glb.js';
import { positionBounds, type IndexedMesh } from '../mesh/indexed-mesh.js';
import type { MarchingCubesStats } from '../mesh/marching-cubes.js';
import type { ModelPack } from '../pack/model-pack.js';
import { PackError } from '../pack/pack-error.js';
import { refineTriplaneOnCpu } from '../refine/cpu-refine.js';
import { PromptTooLongError, UnknownWordsError } from '../text/word-tokenizer.js';
import { parseCliArgs, UsageError, USAGE, type GenerateArgs } from './args.js';
import { importOnnxRuntime, loadPackFromDisk, meshPlanes, NodeGenerator } from './node-generator.js';

/** A failure the user can act on: exit code 1, the message printed without a stack trace. */
export class CliError extends Error {
  override readonly name = 'CliError';
}

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** The default pack: models/default beside dist/ (built) or two levels up from src/cli/ (tests). */
function defaultPackDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, '..', 'models', 'default'), join(here, '..', '..', 'models', 'default')];
  return candidates.find((dir) => existsSync(join(dir, 'manifest.json'))) ?? candidates[0]!;
}

async function readBytes(path: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    throw new CliError(`cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

/** A raw float32 [3, C, R, R] triplane; R is inferred from the size. */
async function readTriplane(path: string, channels: number): Promise<Float32Array> {
  const bytes = await readBytes(path, 'triplane');
  const floats = bytes.length / 4;
  const resolution = Math.round(Math.sqrt(floats / (3 * channels)));
  if (bytes.length % 4 !== 0 || resolution < 2 || 3 * channels * resolution * resolution !== floats) {
    throw new CliError(`${path} holds ${bytes.length} bytes, not a float32 [3, ${channels}, R, R] triplane`);
  }
  const planes = new Float32Array(floats);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < floats; i++) {
    const value = view.getFloat32(4 * i, true);
    if (!Number.isFinite(value)) throw new CliError(`${path}: triplane value ${i} is ${value}; values must be finite`);
    planes[i] = value;
  }
  return planes;
}

/** Fails early, before any work, if the output cannot be written. */
async function checkWritable(output: string): Promise<void> {
  const path = resolve(output);
  const existing = await stat(path).catch(() => null);
  if (existing?.isDirectory()) throw new CliError(`cannot write ${output}: it is a directory`);
  try {
    await access(existing ? path : dirname(path), constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new CliError(`cannot write ${output}: ${existing ? 'the file' : `its folder ${dirname(path)}`} (${code})`);
  }
}

/** What `generate` made, before it is written. */
interface Made {
  readonly mesh: IndexedMesh;
  readonly stats: MarchingCubesStats;
  readonly unknownWords: readonly string[];
  readonly timings: Record<string, number>;
  readonly refined?: Refined | undefined;
}

interface Refined {
  readonly planes: Float32Array;
  /** The JSON summary's `refine`. */
  readonly summary: Record<string, unknown>;
  readonly refineMs: number;
}

/** --refine: score distillation of the planes against the pack's prior, on the CPU (src/refine, docs/refinement.md). */
async function refine(args: GenerateArgs, pack: ModelPack, planes: Float32Array): Promise<Refined> {
  const { method, steps, eta, guidanceScale } = args.refine!;
  const start = performance.now();
  const result = await refineTriplaneOnCpu({
    ort: await importOnnxRuntime(),
    prior: pack.prior,
    decoder: pack.generator!.decoder,
    sessionOptions: { intraOpNumThreads: 1, interOpNumThreads: 1 },
    encodeOptions: { mode: args.lenient ? 'lenient' : 'strict' },
  }, planes, args.prompt, {
    method,
    steps,
    seed: args.seed,
    ...(eta === null ? {} : { eta }),
    ...(guidanceScale === null ? {} : { guidanceScale }),
  });
  const { options } = result;
  const summary = { method, steps, eta: options.eta, guidance_scale: options.guidanceScale,
    resolution: options.resolution, final_loss: result.losses.at(-1)?.loss ?? null,
    ms_per_step: Math.round(result.msPerStep * 10) / 10 };
  return { planes: result.planes, summary, refineMs: performance.now() - start };
}

async function make(args: GenerateArgs, pack: ModelPack): Promise<Made> {
  const decoder = pack.generator!.decoder;
  if (args.triplane) {
    const readStart = performance.now();
    const planes = await readTriplane(args.triplane, decoder.shape.channels);
    const readMs = performance.now() - readStart;
    const refined = args.refine ? await refine(args, pack, planes) : undefined;
    const { mesh, stats, timings } = meshPlanes(decoder, refined?.planes ?? planes, args.grid);
    return { mesh, stats, unknownWords: [], refined,
      timings: { read_triplane_ms: readMs, ...(refined ? { refine_ms: refined.refineMs } : {}), ...timings } };
  }
  const sessionStart = performance.now();
  const generator = await NodeGenerator.create(pack);
  const sessionMs = performance.now() - sessionStart;
  try {
    if (args.refine) {
      const made = await generator.triplane(args.prompt, args.lenient ? 'lenient' : 'strict');
      const refined = await refine(args, pack, made.planes);
      const { mesh, stats, timings } = meshPlanes(decoder, refined.planes, args.grid);
      return { mesh, stats, unknownWords: made.unknownWords, refined,
        timings: { sessions_ms: sessionMs, ...made.timings, refine_ms: refined.refineMs, ...timings } };
    }
    const made = await generator.generate(args.prompt, args.grid, args.lenient ? 'lenient' : 'strict');
    return { ...made, timings: { sessions_ms: sessionMs, ...made.timings } };
  } finally {
    await generator.release();
  }
}

async function generate(args: GenerateArgs, io: CliIo): Promise<void> {
  const start = performance.now();
  await checkWritable(args.output);
  const packStart = performance.now();
  const pack = await loadPackFromDisk(args.pack ?? defaultPackDir());
  const packMs = performance.now() - packStart;
  const { mesh, stats, unknownWords, timings, refined } = await make(args, pack);

  const writeStart = performance.now();
  try {
    await writeFile(args.output, writeGlb(mesh, { name: args.prompt.slice(0, 64) }));
  } catch (error) {
    throw new CliError(`cannot write ${args.output}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const allTimings = { load_pack_ms: packMs, ...timings, write_ms: performance.now() - writeStart };
  const summary = {
    output: args.output,
    prompt: args.prompt,
    seed: args.seed,
    grid: args.grid,
    pack: pack.name,
    vertices: mesh.positions.length / 3,
    faces: mesh.indices.length / 3,
    bounds: positionBounds(mesh.positions),
    evaluated_points: stats.evaluatedPoints,
    unknown_words: unknownWords,
    ...(refined ? { refine: refined.summary } : {}),
    timings: roundTimings({ ...allTimings, total_ms: performance.now() - start }),
  };
  if (unknownWords.length && !args.json) {
    io.stderr(`scaledreamer: warning: unknown words became <unk>: ${unknownWords.join(', ')}\n`);
  }
  if (args.json) {
    io.stdout(`${JSON.stringify(summary)}\n`);
    return;
  }
  io.stdout(`wrote ${args.output}: ${summary.vertices} vertices, ${summary.faces} faces\n`);
  const timingLine = Object.entries(summary.timings).map(([key, ms]) => `${key.replace(/_ms$/, '')} ${ms} ms`);
  io.stdout(`${timingLine.join(', ')}\n`);
}

function roundTimings(timings: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(timings).map(([key, ms]) => [key, Math.round(ms * 10) / 10]));
}

/**
 * Runs the CLI and returns its exit code: 0, 1 for a failure the user can act on, 2 for a bad command line.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const args = parseCliArgs(argv);
    if (args.command === 'help') {
      io.stdout(`${USAGE}\n`);
      return EXIT_OK;
    }
    await generate(args, io);
    return EXIT_OK;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`scaledreamer: ${error.message}\n${USAGE}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof UnknownWordsError) {
      io.stderr(`scaledreamer: ${error.message} (--lenient maps them to <unk>)\n`);
      return EXIT_FAILURE;
    }
    if (isExpected(error)) {
      io.stderr(`scaledreamer: ${error.message}\n`);
      return EXIT_FAILURE;
    }
    // A bug or an environment problem: still one line; SCALEDREAMER_DEBUG=1 prints the stack.
    const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const stack = process.env.SCALEDREAMER_DEBUG && error instanceof Error ? `\n${error.stack}` : '';
    io.stderr(`scaledreamer: unexpected error: ${detail} (SCALEDREAMER_DEBUG=1 shows the stack)${stack}\n`);
    return EXIT_FAILURE;
  }
}

/** Failures with a message meant for the user. */
function isExpected(error: unknown): error is Error {
  return (
    error instanceof CliError ||
    error instanceof PackError ||
    error instanceof PromptTooLongError ||
    error instanceof RangeError
  );
}

/** Entry point of bin/scaledreamer.js. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  process.exitCode = await runCli(argv, {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  });
}
