/**
 * `scaledreamer` for Node: prompt -> triplane -> mesh -> .glb with the CPU kernels (bin/scaledreamer.js runs
 * {@link main} from dist/cli.js). Until the trainer exports the generator into the pack, `generate` meshes a saved
 * triplane given with --triplane; without one it says what is missing. Every expected failure is one line on
 * stderr and a non-zero exit code, never a stack trace.
 */
import { constants, existsSync } from 'node:fs';
import { access, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CpuTriplaneField } from '../kernels/triplane-cpu.js';
import { writeGlb } from '../mesh/glb.js';
import { positionBounds } from '../mesh/indexed-mesh.js';
import { meshTriplane } from '../mesh/triplane-mesh.js';
import { DecoderFileError, loadDecoder, type LoadedDecoder } from './decoder-file.js';
import { parseCliArgs, UsageError, USAGE, type GenerateArgs } from './args.js';

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

async function readDecoder(jsonPath: string): Promise<LoadedDecoder> {
  const text = new TextDecoder().decode(await readBytes(jsonPath, 'decoder'));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CliError(`${jsonPath} is not valid JSON: ${(error as Error).message}`);
  }
  return loadDecoder(json, await readBytes(join(dirname(jsonPath), 'decoder.bin'), 'decoder weights'));
}

/** A raw float32 [3, C, R, R] triplane; R is inferred from the size. */
async function readTriplane(path: string, channels: number): Promise<{ planes: Float32Array; resolution: number }> {
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
  return { planes, resolution };
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

async function generate(args: GenerateArgs, io: CliIo): Promise<void> {
  const start = performance.now();
  await checkWritable(args.output);
  if (args.refine) {
    throw new CliError(`--refine ${args.refine.method} is not available yet: in-browser/Node refinement comes with ` +
      'the generator (issue 6)');
  }
  const pack = args.pack ?? defaultPackDir();
  if (!args.triplane) {
    const manifest = join(pack, 'manifest.json');
    const files = JSON.parse(new TextDecoder().decode(await readBytes(manifest, 'pack manifest'))) as {
      files?: Record<string, unknown>;
    };
    if (!files.files?.['generator.onnx']) {
      throw new CliError(`the model pack ${pack} has no generator.onnx yet (python3 -m training.distill.export ` +
        'writes it); pass --triplane FILE to mesh a saved triplane');
    }
    throw new CliError('prompt -> triplane with generator.onnx is not wired up yet (issue 6); use --triplane FILE');
  }
  const loadStart = performance.now();
  const decoder = await readDecoder(args.decoder ?? join(pack, 'decoder.json'));
  const { planes, resolution } = await readTriplane(args.triplane, decoder.channels);
  const field = new CpuTriplaneField({ channels: decoder.channels, resolution, hidden: decoder.hidden }, planes,
    decoder.weights);
  const loadMs = performance.now() - loadStart;

  const { mesh, stats, decodeMs, marchingCubesMs } = meshTriplane(field, { resolution: args.grid });
  const writeStart = performance.now();
  try {
    await writeFile(args.output, writeGlb(mesh, { name: args.prompt.slice(0, 64) }));
  } catch (error) {
    throw new CliError(`cannot write ${args.output}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const writeMs = performance.now() - writeStart;
  const timings = {
    load_ms: loadMs,
    decode_ms: decodeMs,
    marching_cubes_ms: marchingCubesMs,
    write_ms: writeMs,
    total_ms: performance.now() - start,
  };
  const summary = {
    output: args.output,
    prompt: args.prompt,
    seed: args.seed,
    grid: args.grid,
    vertices: mesh.positions.length / 3,
    faces: mesh.indices.length / 3,
    bounds: positionBounds(mesh.positions),
    evaluated_points: stats.evaluatedPoints,
    unknown_words: [] as string[],
    timings: Object.fromEntries(Object.entries(timings).map(([key, ms]) => [key, Math.round(ms * 10) / 10])),
  };
  if (args.json) {
    io.stdout(`${JSON.stringify(summary)}\n`);
    return;
  }
  io.stdout(`wrote ${args.output}: ${summary.vertices} vertices, ${summary.faces} faces\n`);
  const timingLine = Object.entries(summary.timings).map(([key, ms]) => `${key.replace(/_ms$/, '')} ${ms} ms`);
  io.stdout(`${timingLine.join(', ')}\n`);
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
    if (error instanceof CliError || error instanceof DecoderFileError || error instanceof RangeError) {
      io.stderr(`scaledreamer: ${error.message}\n`);
      return EXIT_FAILURE;
    }
    throw error;
  }
}

/** Entry point of bin/scaledreamer.js. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  process.exitCode = await runCli(argv, {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  });
}
