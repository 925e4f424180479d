/**
 * The roles of a pack's files and what each role's manifest entry must declare (docs/model-pack.md, "Files of the
 * prior"; the generator's files: docs/triplane.md): formats, input and output names, dtypes, and fixed dimensions
 * that agree with the `prior` section. Checked on the manifest alone, before any other file is read.
 */
import { fieldPath, type Dim } from './json-fields.js';
import {
  MANIFEST_FILE,
  type JsonFileEntry,
  type OnnxFileEntry,
  type PackFileEntry,
  type PackManifest,
  type RawFileEntry,
  type TensorDtype,
} from './manifest.js';
import { PackError } from './pack-error.js';

/** The roles this loader knows, by the name of the {@link PackEntries} field that receives the entry. */
export const PACK_ROLES = {
  textEncoder: 'prior.text_encoder',
  unet: 'prior.unet',
  schedule: 'prior.schedule',
  tokenizer: 'prior.tokenizer',
  generator: 'generator.triplane',
  decoder: 'generator.decoder',
  decoderWeights: 'generator.decoder_weights',
} as const;

/** Roles for tests only: a runtime may skip loading these files. */
export const TEST_ROLE_PREFIX = 'test.';
const TEST_ROLE_FORMATS: Readonly<Record<string, PackFileEntry['format']>> = {
  'test.golden_index': 'json',
  'test.golden_tensor': 'raw',
  'test.tokenizer_vectors': 'json',
};

/** The manifest entries of the files a runtime uses, by role. */
export interface PackEntries {
  readonly textEncoder: OnnxFileEntry;
  readonly unet: OnnxFileEntry;
  readonly schedule: JsonFileEntry;
  readonly tokenizer: JsonFileEntry;
  /** All three generator files, or none of them. */
  readonly generator: {
    readonly model: OnnxFileEntry;
    readonly decoder: JsonFileEntry;
    readonly decoderWeights: RawFileEntry;
  } | null;
}

/**
 * A dimension the contract expects: the symbolic batch, a number (and the manifest field it comes from), or any
 * fixed size that a later check ties to another file.
 */
type ExpectedDim = 'batch' | 'fixed' | { readonly value: number; readonly from: string };
interface ExpectedTensor {
  readonly dtype: TensorDtype;
  readonly shape: readonly ExpectedDim[];
}
type ExpectedTensors = Readonly<Record<string, ExpectedTensor>>;

/** `files["unet.onnx"]`: where an entry sits in manifest.json, for messages. */
export function entryField(path: string): string {
  return fieldPath('files', path);
}

function fail(reason: string): never {
  throw new PackError(MANIFEST_FILE, reason);
}

/**
 * Finds the entry of every known role and checks it against the contract.
 * @throws {PackError} naming `manifest.json` and the field at fault: a required role (`prior.text_encoder`,
 *   `prior.unet`, `prior.schedule`, `prior.tokenizer`) missing or claimed twice, a format, an input or output name,
 *   a dtype or a fixed dimension that differs from the contract, or only some of the generator's files.
 */
export function checkPackContract(manifest: PackManifest): PackEntries {
  // Files of other roles (a later contract's optional files) are only verified, not interpreted.
  const known: ReadonlySet<string> = new Set(Object.values(PACK_ROLES));
  const byRole = new Map<string, PackFileEntry>();
  for (const entry of manifest.files) {
    const expectedFormat = TEST_ROLE_FORMATS[entry.role];
    if (expectedFormat) checkFormat(entry, expectedFormat);
    if (!known.has(entry.role)) continue;
    const other = byRole.get(entry.role);
    if (other) fail(`${entryField(entry.path)}.role is "${entry.role}", which ${entryField(other.path)} has too`);
    byRole.set(entry.role, entry);
  }
  const required = (role: string): PackFileEntry => byRole.get(role) ?? fail(`files has no file of role "${role}"`);

  const { prior } = manifest;
  const L = { value: prior.text.maxLength, from: 'prior.text.max_length' };
  const D = { value: prior.text.hiddenDim, from: 'prior.text.hidden_dim' };
  const R = { value: prior.resolution, from: 'prior.resolution' };
  const C = { value: prior.channels, from: 'prior.channels' };
  const K = { value: prior.camera.dim, from: 'prior.camera.dim' };

  const textEncoder = onnx(required(PACK_ROLES.textEncoder));
  checkTensors(textEncoder, 'inputs', { input_ids: { dtype: 'int64', shape: ['batch', L] } });
  checkTensors(textEncoder, 'outputs', { hidden: { dtype: 'float32', shape: ['batch', L, D] } });

  const unet = onnx(required(PACK_ROLES.unet));
  checkTensors(unet, 'inputs', {
    sample: { dtype: 'float32', shape: ['batch', C, R, R] },
    timestep: { dtype: 'float32', shape: ['batch'] },
    encoder_hidden_states: { dtype: 'float32', shape: ['batch', L, D] },
    camera: { dtype: 'float32', shape: ['batch', K] },
  });
  checkTensors(unet, 'outputs', { noise: { dtype: 'float32', shape: ['batch', C, R, R] } });

  const schedule = json(required(PACK_ROLES.schedule));
  const tokenizer = json(required(PACK_ROLES.tokenizer));
  if (prior.text.tokenizer !== tokenizer.path) {
    fail(`prior.text.tokenizer is "${prior.text.tokenizer}", but the ${PACK_ROLES.tokenizer} file is ` +
      `"${tokenizer.path}"`);
  }
  return { textEncoder, unet, schedule, tokenizer, generator: generatorEntries(byRole, L, D) };
}

function generatorEntries(
  byRole: ReadonlyMap<string, PackFileEntry>,
  L: ExpectedDim,
  D: ExpectedDim,
): PackEntries['generator'] {
  const roles = [PACK_ROLES.generator, PACK_ROLES.decoder, PACK_ROLES.decoderWeights];
  const present = roles.filter((role) => byRole.has(role));
  if (present.length === 0) return null;
  if (present.length < roles.length) {
    const missing = roles.filter((role) => !byRole.has(role));
    const names = missing.map((role) => `"${role}"`).join(', ');
    fail(`files has a generator (${present.join(', ')}) but no file of role ${names}`);
  }
  const model = onnx(byRole.get(PACK_ROLES.generator)!);
  checkTensors(model, 'inputs', { text_states: { dtype: 'float32', shape: ['batch', L, D] } });
  // [batch, 3, C, R, R]: C is tied to decoder.json once it is read; the planes are square.
  checkTensors(model, 'outputs', {
    triplane: { dtype: 'float32', shape: ['batch', { value: 3, from: 'docs/triplane.md' }, 'fixed', 'fixed', 'fixed'] },
  });
  const [, , , rows, columns] = model.outputs['triplane']!.shape;
  if (rows !== columns) {
    fail(`${entryField(model.path)}.outputs.triplane.shape has ${rows} x ${columns} planes; they must be square`);
  }
  const decoderWeights = raw(byRole.get(PACK_ROLES.decoderWeights)!);
  if (decoderWeights.dtype !== 'float32') {
    fail(`${entryField(decoderWeights.path)}.dtype must be "float32", got "${decoderWeights.dtype}"`);
  }
  return { model, decoder: json(byRole.get(PACK_ROLES.decoder)!), decoderWeights };
}

function checkFormat(entry: PackFileEntry, format: PackFileEntry['format']): void {
  if (entry.format !== format) {
    fail(`${entryField(entry.path)}.format must be "${format}" for role ${entry.role}, got "${entry.format}"`);
  }
}

function onnx(entry: PackFileEntry): OnnxFileEntry {
  checkFormat(entry, 'onnx');
  return entry as OnnxFileEntry;
}

function json(entry: PackFileEntry): JsonFileEntry {
  checkFormat(entry, 'json');
  return entry as JsonFileEntry;
}

function raw(entry: PackFileEntry): RawFileEntry {
  checkFormat(entry, 'raw');
  return entry as RawFileEntry;
}

function checkTensors(entry: OnnxFileEntry, kind: 'inputs' | 'outputs', expected: ExpectedTensors): void {
  const declared = entry[kind];
  const field = `${entryField(entry.path)}.${kind}`;
  const names = Object.keys(expected);
  for (const name of names) {
    if (!Object.hasOwn(declared, name)) fail(`${field} has no "${name}" (${entry.role} ${kind}: ${names.join(', ')})`);
  }
  for (const name of Object.keys(declared)) {
    if (!Object.hasOwn(expected, name)) {
      fail(`${field} has "${name}", which is not one of the ${entry.role} ${kind} (${names.join(', ')})`);
    }
  }
  for (const [name, { dtype, shape }] of Object.entries(expected)) {
    const spec = declared[name]!;
    const at = fieldPath(field, name);
    if (spec.dtype !== dtype) fail(`${at}.dtype is "${spec.dtype}"; the contract says "${dtype}"`);
    if (spec.shape.length !== shape.length) {
      const declared = `[${spec.shape.join(', ')}]`;
      fail(`${at}.shape ${declared} has ${spec.shape.length} dimensions; the contract has ${shape.length}`);
    }
    shape.forEach((want, i) => checkDim(`${at}.shape[${i}]`, spec.shape[i]!, want));
  }
}

function checkDim(at: string, dim: Dim, want: ExpectedDim): void {
  if (want === 'batch') {
    if (typeof dim !== 'string') fail(`${at} is ${dim}; the batch dimension must be symbolic (a name)`);
  } else if (want === 'fixed') {
    if (typeof dim !== 'number' || dim < 1) fail(`${at} is ${JSON.stringify(dim)}; it must be a fixed size >= 1`);
  } else if (dim !== want.value) {
    fail(`${at} is ${JSON.stringify(dim)}; the contract says ${want.value} (${want.from})`);
  }
}
