/**
 * manifest.json of a model pack (docs/model-pack.md, "manifest.json"): its structure, read into typed objects.
 * Whether the entries agree with each other and with the roles' contracts is checked by pack-contract.ts.
 */
import { JsonFields, type Dim } from './json-fields.js';

export const MANIFEST_FILE = 'manifest.json';
export const PACK_FORMAT = 'scaledreamer-model-pack';
/** The versions of the contract this loader reads; it rejects every other `format_version`. */
export const SUPPORTED_FORMAT_VERSIONS: readonly number[] = [1];

/** Element types of tensors, with their sizes in bytes. */
export const DTYPE_BYTES = { float32: 4, float16: 2, int64: 8, int32: 4 } as const;
export type TensorDtype = keyof typeof DTYPE_BYTES;
const DTYPES = Object.keys(DTYPE_BYTES) as TensorDtype[];

/** One input or output of an ONNX file, or a raw tensor file. */
export interface TensorSpec {
  readonly dtype: TensorDtype;
  readonly shape: readonly Dim[];
}

interface FileEntryBase {
  /** Path relative to the pack folder: the entry's key in `files`. */
  readonly path: string;
  /** What the file is for: `prior.unet`, `test.golden_tensor` ... */
  readonly role: string;
  readonly bytes: number;
  /** Lower-case hex of the SHA-256 of the file's bytes. */
  readonly sha256: string;
}

export interface OnnxFileEntry extends FileEntryBase {
  readonly format: 'onnx';
  readonly opset: number;
  readonly weightsDtype: 'float32' | 'float16';
  /** By name: a runtime binds by name, never by position. */
  readonly inputs: Readonly<Record<string, TensorSpec>>;
  readonly outputs: Readonly<Record<string, TensorSpec>>;
}

export interface JsonFileEntry extends FileEntryBase {
  readonly format: 'json';
}

/** A headerless little-endian C-order tensor. */
export interface RawFileEntry extends FileEntryBase {
  readonly format: 'raw';
  readonly dtype: TensorDtype;
  readonly shape: readonly number[];
}

export type PackFileEntry = OnnxFileEntry | JsonFileEntry | RawFileEntry;

/** The manifest's `prior` section: what a runtime needs to know that is not in the graphs. */
export interface PriorInfo {
  /** `<semver>+step<training step>`; packs with the same semver are drop-in replacements. */
  readonly version: string;
  /** R: images are R x R. */
  readonly resolution: number;
  readonly channels: 3;
  /** Pixels of `sample` are image * 2 - 1. */
  readonly pixelRange: readonly [-1, 1];
  readonly predictionType: 'epsilon';
  /** T. */
  readonly numTrainTimesteps: number;
  readonly betaSchedule: string;
  readonly camera: {
    /** k = 4: (sin az, cos az, el / 90, (dist - 2.9) / 0.3), docs/conventions.md. */
    readonly dim: 4;
    readonly vector: string;
    readonly convention: string;
  };
  readonly text: {
    /** The path of the `prior.tokenizer` file. */
    readonly tokenizer: string;
    /** L: ids per prompt. */
    readonly maxLength: number;
    /** D: width of the text encoder's `hidden`. */
    readonly hiddenDim: number;
    /** The prompt whose encoding is classifier-free guidance's unconditional input. */
    readonly unconditionalPrompt: string;
    /** View-dependent suffixes, appended to prompts exactly as in training. */
    readonly viewSuffixes: readonly string[];
  };
  readonly sampler: {
    readonly name: string;
    readonly steps: number;
    readonly guidanceScale: number;
    readonly timestepSpacing: string;
    readonly clipSample: boolean;
  };
}

export interface PackManifest {
  readonly name: string;
  readonly formatVersion: number;
  readonly prior: PriorInfo;
  /** Every file of the pack, in manifest order. */
  readonly files: readonly PackFileEntry[];
}

/**
 * Paths stay inside the pack: segments of letters, digits, '.', '_' and '-', none of them '.' or '..', so that a
 * manifest cannot make the loader read beside or above its folder, or anything but a plain path of the base URL.
 */
const SAFE_PATH = /^[\w.-]+(\/[\w.-]+)*$/;

/**
 * Reads manifest.json.
 * @throws {PackError} naming `manifest.json` and the field at fault: not JSON, a `format` other than
 *   `scaledreamer-model-pack`, an unsupported `format_version`, or a field of the wrong type or out of range.
 */
export function parseManifest(bytes: Uint8Array): PackManifest {
  const root = JsonFields.parse(MANIFEST_FILE, bytes);
  root.oneOf('format', [PACK_FORMAT]);
  const formatVersion = root.integer('format_version', 0);
  if (!SUPPORTED_FORMAT_VERSIONS.includes(formatVersion)) {
    const supported = SUPPORTED_FORMAT_VERSIONS.join(', ');
    root.fail('format_version', `${formatVersion} is not supported (this loader reads ${supported})`);
  }
  const files = root.object('files');
  return {
    name: root.string('name'),
    formatVersion,
    prior: parsePrior(root.object('prior')),
    files: files.keys().map((path) => parseFileEntry(files, path)),
  };
}

function parsePrior(prior: JsonFields): PriorInfo {
  const version = prior.string('version');
  if (!/^\d+\.\d+\.\d+(-[\w.-]+)?\+step\d+$/.test(version)) {
    prior.fail('version', `must be <semver>+step<training step>, got ${JSON.stringify(version)}`);
  }
  const pixelRange = prior.numbers('pixel_range');
  if (pixelRange.length !== 2 || pixelRange[0] !== -1 || pixelRange[1] !== 1) {
    prior.fail('pixel_range', `must be [-1, 1], got ${JSON.stringify(pixelRange)}`);
  }
  const camera = prior.object('camera');
  const text = prior.object('text');
  const sampler = prior.object('sampler');
  return {
    version,
    resolution: prior.integer('resolution', 1),
    channels: prior.oneOf('channels', [3]),
    pixelRange: [-1, 1],
    predictionType: prior.oneOf('prediction_type', ['epsilon']),
    numTrainTimesteps: prior.integer('num_train_timesteps', 1),
    betaSchedule: prior.string('beta_schedule'),
    camera: { dim: camera.oneOf('dim', [4]), vector: camera.string('vector'), convention: camera.string('convention') },
    text: {
      tokenizer: text.string('tokenizer'),
      maxLength: text.integer('max_length', 2),
      hiddenDim: text.integer('hidden_dim', 1),
      unconditionalPrompt: text.string('unconditional_prompt'),
      viewSuffixes: text.strings('view_suffixes'),
    },
    sampler: {
      name: sampler.string('name'),
      steps: sampler.integer('steps', 1),
      guidanceScale: sampler.number('guidance_scale'),
      timestepSpacing: sampler.string('timestep_spacing'),
      clipSample: sampler.boolean('clip_sample'),
    },
  };
}

function parseFileEntry(files: JsonFields, path: string): PackFileEntry {
  if (!SAFE_PATH.test(path) || path.split('/').some((segment) => segment === '.' || segment === '..')) {
    files.fail(path, 'is not a plain relative path inside the pack');
  }
  const entry = files.object(path);
  const sha256 = entry.string('sha256');
  if (!/^[0-9a-f]{64}$/.test(sha256)) entry.fail('sha256', `must be 64 lower-case hex digits, got "${sha256}"`);
  const base = { path, role: entry.string('role'), bytes: entry.integer('bytes', 0), sha256 };
  const format = entry.oneOf('format', ['onnx', 'json', 'raw']);
  switch (format) {
    case 'json':
      return { ...base, format };
    case 'raw': {
      const dtype = entry.oneOf('dtype', DTYPES);
      const shape = entry.shape('shape', true) as number[];
      const expected = shape.reduce((size, dim) => size * dim, DTYPE_BYTES[dtype]);
      if (base.bytes !== expected) {
        entry.fail('bytes', `is ${base.bytes}, but a ${dtype} tensor of shape [${shape.join(', ')}] has ${expected}`);
      }
      return { ...base, format, dtype, shape };
    }
    case 'onnx':
      return {
        ...base,
        format,
        opset: entry.integer('opset', 1),
        weightsDtype: entry.oneOf('weights_dtype', ['float32', 'float16']),
        inputs: parseTensorSpecs(entry.object('inputs')),
        outputs: parseTensorSpecs(entry.object('outputs')),
      };
  }
}

function parseTensorSpecs(specs: JsonFields): Record<string, TensorSpec> {
  // fromEntries defines own properties, so that even a tensor named "__proto__" stays data.
  return Object.fromEntries(
    specs.keys().map((name) => {
      const spec = specs.object(name);
      return [name, { dtype: spec.oneOf('dtype', DTYPES), shape: spec.shape('shape', false) }];
    }),
  );
}
