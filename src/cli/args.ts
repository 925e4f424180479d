/**
 * Command line of `scaledreamer` (issue 6):
 *   scaledreamer generate "<prompt>" -o out.glb [--seed N] [--grid 64] [--refine asd|sds|csd --steps N [--eta E]
 *     [--guidance-scale G]] [--json] [--lenient] [--pack DIR] [--triplane FILE]
 * Parsed and checked here, before any model is loaded, so that every bad argument gets a one-line message. A new
 * option is one entry in `OPTIONS` (node:util parseArgs), one field in `GenerateArgs` and its check below.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_ETA, DEFAULT_GUIDANCE_SCALE, MAX_GUIDANCE_SCALE } from '../kernels/guidance-options.js';
import { DEFAULT_GRID_RESOLUTION, MAX_GRID_RESOLUTION, MIN_GRID_RESOLUTION } from '../mesh/marching-cubes.js';

/** Longer prompts are refused outright (the tokenizer's 24-token limit refuses most before this). */
export const MAX_PROMPT_CHARACTERS = 1000;
export const REFINE_METHODS = ['asd', 'sds', 'csd'] as const;
export type RefineMethod = (typeof REFINE_METHODS)[number];
export const DEFAULT_REFINE_STEPS = 100;
export const MAX_REFINE_STEPS = 10_000;

const GRID_RANGE = `${MIN_GRID_RESOLUTION}..${MAX_GRID_RESOLUTION}`;

export const USAGE = `Usage: scaledreamer generate "<prompt>" -o out.glb [options]

Options:
  -o, --output FILE      where to write the .glb (required)
  --seed N               random seed, integer >= 0 (default 0; recorded: the generator itself is deterministic)
  --grid N               marching-cubes grid points per axis, ${GRID_RANGE} (default ${DEFAULT_GRID_RESOLUTION})
  --refine asd|sds|csd   refine the triplane with score distillation before meshing
  --steps N              refinement steps, 1..${MAX_REFINE_STEPS} (default ${DEFAULT_REFINE_STEPS}; needs --refine)
  --eta E                ASD's time-shift ratio, 0..1 (default ${DEFAULT_ETA}; needs --refine)
  --guidance-scale G     classifier-free guidance scale, 0..${MAX_GUIDANCE_SCALE} (default asd ${DEFAULT_GUIDANCE_SCALE.asd}, sds ${DEFAULT_GUIDANCE_SCALE.sds},
                         csd ${DEFAULT_GUIDANCE_SCALE.csd}; needs --refine)
  --json                 print a machine-readable summary on stdout
  --lenient              map words outside the pack's vocabulary to <unk> (and report them) instead of failing
  --pack DIR             model pack folder (default: the package's models/default)
  --triplane FILE        mesh this raw float32 [3, C, R, R] triplane with the pack's decoder instead of generating
  -h, --help             show this help

Exit codes: 0 done, 1 failed (one line on stderr says why), 2 bad command line.`;

export interface GenerateArgs {
  readonly command: 'generate';
  readonly prompt: string;
  readonly output: string;
  readonly seed: number;
  readonly grid: number;
  /** eta and guidanceScale are null for the method's defaults. */
  readonly refine: {
    readonly method: RefineMethod;
    readonly steps: number;
    readonly eta: number | null;
    readonly guidanceScale: number | null;
  } | null;
  readonly json: boolean;
  /** Unknown words become `<unk>` instead of an error. */
  readonly lenient: boolean;
  readonly pack: string | null;
  readonly triplane: string | null;
}

export type CliArgs = GenerateArgs | { readonly command: 'help' };

/** A bad command line: exit code 2, the message printed without a stack trace. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

function integerOption(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be an integer in [${min}, ${max}], got "${text}"`);
  }
  return value;
}

function numberOption(name: string, text: string | undefined, min: number, max: number): number | null {
  if (text === undefined) return null;
  const value = Number(text);
  if (!text.trim() || !(value >= min && value <= max)) {
    throw new UsageError(`--${name} must be a number in [${min}, ${max}], got "${text}"`);
  }
  return value;
}

/** Every option, as node:util parseArgs takes them; numbers are strings here and checked below. */
const OPTIONS = {
  output: { type: 'string', short: 'o' },
  seed: { type: 'string' },
  grid: { type: 'string' },
  refine: { type: 'string' },
  steps: { type: 'string' },
  eta: { type: 'string' },
  'guidance-scale': { type: 'string' },
  json: { type: 'boolean' },
  lenient: { type: 'boolean' },
  pack: { type: 'string' },
  triplane: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/**
 * @throws {UsageError} naming the argument that is missing, unknown or out of range.
 */
export function parseCliArgs(argv: readonly string[]): CliArgs {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, strict: true, options: OPTIONS });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help) return { command: 'help' };
  const [command, prompt, ...extra] = positionals;
  if (command !== 'generate') {
    throw new UsageError(command === undefined ? 'missing command: generate' : `unknown command "${command}"`);
  }
  if (prompt === undefined) throw new UsageError('missing prompt: scaledreamer generate "<prompt>" -o out.glb');
  if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}" (quote the prompt)`);
  if (!prompt.trim()) throw new UsageError('the prompt is empty');
  if (prompt.length > MAX_PROMPT_CHARACTERS) {
    throw new UsageError(`the prompt has ${prompt.length} characters; at most ${MAX_PROMPT_CHARACTERS} are accepted`);
  }
  if (!values.output) throw new UsageError('missing -o/--output FILE');
  const grid = integerOption('grid', values.grid, DEFAULT_GRID_RESOLUTION, MIN_GRID_RESOLUTION, MAX_GRID_RESOLUTION);
  const seed = integerOption('seed', values.seed, 0, 0, 2 ** 32 - 1);
  let refine: GenerateArgs['refine'] = null;
  if (values.refine !== undefined) {
    const method = values.refine as RefineMethod;
    if (!REFINE_METHODS.includes(method)) {
      throw new UsageError(`--refine must be one of ${REFINE_METHODS.join(', ')}, got "${values.refine}"`);
    }
    refine = {
      method,
      steps: integerOption('steps', values.steps, DEFAULT_REFINE_STEPS, 1, MAX_REFINE_STEPS),
      eta: numberOption('eta', values.eta, 0, 1),
      guidanceScale: numberOption('guidance-scale', values['guidance-scale'], 0, MAX_GUIDANCE_SCALE),
    };
  } else {
    const needsRefine = (['steps', 'eta', 'guidance-scale'] as const).find((name) => values[name] !== undefined);
    if (needsRefine) throw new UsageError(`--${needsRefine} needs --refine asd|sds|csd`);
  }
  return {
    command: 'generate',
    prompt,
    output: values.output,
    seed,
    grid,
    refine,
    json: values.json ?? false,
    lenient: values.lenient ?? false,
    pack: values.pack ?? null,
    triplane: values.triplane ?? null,
  };
}
