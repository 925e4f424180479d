/**
 * Loading a model pack (docs/model-pack.md; API: docs/runtime-pack-loader.md): read manifest.json, check it against
 * the contract, read every file it lists and check its size and SHA-256, then parse what the runtime needs.
 * Nothing here depends on Node or on a browser: files come through a {@link PackReader}.
 */
import type { WordTokenizer } from '../text/word-tokenizer.js';
import { JsonFields } from './json-fields.js';
import { MANIFEST_FILE, parseManifest, type PackFileEntry, type PackManifest, type PriorInfo } from './manifest.js';
import { parseNoiseSchedule, type NoiseSchedule } from './noise-schedule.js';
import { checkPackContract, TEST_ROLE_PREFIX } from './pack-contract.js';
import { PackError } from './pack-error.js';
import { fetchPackFile, type PackReader } from './pack-reader.js';
import { sha256Hex, subtleCrypto } from './sha256.js';
import { parseTriplaneDecoder, type TriplaneDecoderWeights } from './triplane-decoder.js';
import { parseVocab } from './vocab.js';

/** Options of {@link loadModelPack}. */
export interface LoadModelPackOptions {
  /**
   * Reads one file by URL. Default: `fetch` (browsers; Node for http(s) URLs), where 404 means a missing file.
   * Required for `file:` URLs, which Node's fetch cannot read, e.g.
   * `async (url) => new Uint8Array(await readFile(url))` (returning null for ENOENT makes "missing" errors exact).
   */
  read?: PackReader;
  /**
   * Files whose role starts with `test.` (golden vectors, tokenizer vectors, ~0.3 MB in the default pack):
   * - `'verify'` (default): read and check them like every other file;
   * - `'skip'`: neither read nor check them, only their manifest entries; {@link ModelPack.file} refuses them.
   */
  testFiles?: 'verify' | 'skip';
}

/** The prior: the manifest's `prior` section with its files, read and checked. */
export interface PriorModels extends PriorInfo {
  /** text_encoder.onnx: `input_ids` int64 `[batch, L]` -> `hidden` float32 `[batch, L, D]`. */
  readonly textEncoder: Uint8Array<ArrayBuffer>;
  /**
   * unet.onnx: `sample` `[batch, 3, R, R]`, `timestep` `[batch]`, `encoder_hidden_states` `[batch, L, D]`,
   * `camera` `[batch, 4]` -> `noise` `[batch, 3, R, R]`, all float32.
   */
  readonly unet: Uint8Array<ArrayBuffer>;
  readonly schedule: NoiseSchedule;
  readonly tokenizer: WordTokenizer;
}

/** The prompt-to-triplane generator (docs/triplane.md), when the pack has one. */
export interface GeneratorModels {
  /**
   * generator.onnx: `text_states` float32 `[batch, L, D]` (the text encoder's `hidden`) -> `triplane` float32
   * `[batch, 3, C, R, R]`.
   */
  readonly model: Uint8Array<ArrayBuffer>;
  readonly decoder: TriplaneDecoderWeights;
}

/**
 * A loaded, verified model pack. The ONNX bytes are the pack's own: pass a copy (`bytes.slice()`) to anything that
 * transfers or detaches its argument (ComputeWorker.runModel does). {@link release} drops the bytes.
 */
export class ModelPack {
  private _contents: { readonly prior: PriorModels; readonly generator: GeneratorModels | null } | null;
  private _files: ReadonlyMap<string, Uint8Array<ArrayBuffer>> | null;

  /** @internal Made by {@link loadModelPack}. */
  constructor(
    /** The pack's folder URL, ending in '/'. */
    readonly url: URL,
    readonly manifest: PackManifest,
    prior: PriorModels,
    generator: GeneratorModels | null,
    files: ReadonlyMap<string, Uint8Array<ArrayBuffer>>,
  ) {
    this._contents = { prior, generator };
    this._files = files;
  }

  /** The manifest's `name`. */
  get name(): string {
    return this.manifest.name;
  }

  /** @throws {Error} after {@link release}. */
  get prior(): PriorModels {
    return this._live().contents.prior;
  }

  /** Null when the pack has no generator files. @throws {Error} after {@link release}. */
  get generator(): GeneratorModels | null {
    return this._live().contents.generator;
  }

  /**
   * The verified bytes of any file that manifest.json lists (test files included, unless they were skipped).
   * @param path as manifest.json lists it, e.g. `"golden/prior.json"`.
   * @throws {RangeError} if the manifest does not list `path`, or its test file was skipped.
   * @throws {Error} after {@link release}.
   */
  file(path: string): Uint8Array<ArrayBuffer> {
    const bytes = this._live().files.get(path);
    if (!bytes) {
      const listed = this.manifest.files.some((entry) => entry.path === path);
      const why = listed ? 'was skipped (testFiles: "skip")' : 'is not in the manifest';
      throw new RangeError(`path ${JSON.stringify(path)} ${why}`);
    }
    return bytes;
  }

  /** Drops the pack's bytes so that they can be garbage-collected; later uses throw. Idempotent. */
  release(): void {
    this._contents = null;
    this._files = null;
  }

  private _live() {
    if (!this._contents || !this._files) throw new Error(`the model pack ${this.url} was released`);
    return { contents: this._contents, files: this._files };
  }
}

/**
 * Loads and verifies the model pack in the folder at `base`.
 *
 * 1. Reads manifest.json and checks it: format, `format_version`, fields, and each role's contract (input and output
 *    names, dtypes, fixed dimensions against the `prior` section). Nothing else is read if this fails.
 * 2. Reads every listed file at once and checks its size and SHA-256 (WebCrypto).
 * 3. Parses schedule.json, vocab.json and, when present, the generator's decoder.json and decoder.bin, checking
 *    them against the manifest; every other JSON file must parse.
 *
 * The ONNX graphs themselves are not opened (that needs an ONNX runtime); the parity test checks them against
 * their entries.
 *
 * @param base the pack's folder: a URL, or a string resolved against the page's URL in a browser (in Node, pass
 *   `pathToFileURL(folder)` and `options.read`). A missing final '/' is added.
 * @throws {TypeError} if `base` is not a usable URL, an option has the wrong type, or `base` is a `file:` URL and
 *   `options.read` is not given.
 * @throws {Error} if there is no `crypto.subtle` (browsers outside secure contexts).
 * @throws {PackError} naming the file and what is wrong: missing, unreadable, the wrong size, a SHA-256 mismatch
 *   (with both hashes), an unsupported `format_version`, or a field that breaks the contract (named).
 */
export async function loadModelPack(base: string | URL, options: LoadModelPackOptions = {}): Promise<ModelPack> {
  const url = packUrl(base);
  const { read = fetchPackFile, testFiles = 'verify' } = options;
  if (typeof read !== 'function') throw new TypeError(`options.read must be a function, got ${typeof read}`);
  if (testFiles !== 'verify' && testFiles !== 'skip') {
    throw new TypeError(`options.testFiles must be 'verify' or 'skip', got ${JSON.stringify(testFiles)}`);
  }
  if (url.protocol === 'file:' && options.read === undefined) {
    throw new TypeError(`options.read is required for the file: URL ${url} (fetch cannot read files)`);
  }
  const subtle = subtleCrypto();

  // 1. The manifest alone.
  const manifest = parseManifest(await readFile(read, url, MANIFEST_FILE));
  const entries = checkPackContract(manifest);

  // 2. Every file, in parallel; of several failures, the first in manifest order is reported.
  const wanted = manifest.files.filter((entry) => testFiles === 'verify' || !entry.role.startsWith(TEST_ROLE_PREFIX));
  const settled = await Promise.allSettled(wanted.map((entry) => readVerified(read, url, entry, subtle)));
  const files = new Map<string, Uint8Array<ArrayBuffer>>();
  settled.forEach((result, i) => {
    if (result.status === 'rejected') throw result.reason;
    files.set(wanted[i]!.path, result.value);
  });
  const bytesOf = (entry: PackFileEntry): Uint8Array<ArrayBuffer> => files.get(entry.path)!;

  // 3. Contents.
  const parsed = new Set([entries.schedule.path, entries.tokenizer.path, entries.generator?.decoder.path]);
  for (const entry of wanted) {
    if (entry.format === 'json' && !parsed.has(entry.path)) JsonFields.parse(entry.path, bytesOf(entry));
  }
  const prior: PriorModels = {
    ...manifest.prior,
    textEncoder: bytesOf(entries.textEncoder),
    unet: bytesOf(entries.unet),
    schedule: parseNoiseSchedule(entries.schedule.path, bytesOf(entries.schedule), manifest.prior),
    tokenizer: parseVocab(entries.tokenizer.path, bytesOf(entries.tokenizer), manifest.prior),
  };
  const generator = entries.generator && {
    model: bytesOf(entries.generator.model),
    decoder: parseTriplaneDecoder(
      { path: entries.generator.decoder.path, bytes: bytesOf(entries.generator.decoder) },
      { entry: entries.generator.decoderWeights, bytes: bytesOf(entries.generator.decoderWeights) },
      entries.generator.model,
    ),
  };
  return new ModelPack(url, manifest, prior, generator, files);
}

function packUrl(base: string | URL): URL {
  if (typeof base !== 'string' && !(base instanceof URL)) {
    throw new TypeError(`base must be a URL or a string, got ${typeof base}`);
  }
  let url: URL;
  try {
    url = new URL(base, globalThis.location?.href);
  } catch (error) {
    throw new TypeError(`base must be an absolute URL (or relative to the page in a browser), got "${base}"`, {
      cause: error,
    });
  }
  // Files resolve against a folder only with the slash: "manifest.json" against ".../default" is ".../manifest.json".
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

/** @throws {PackError} if the file is missing or the reader fails. */
async function readFile(read: PackReader, base: URL, path: string): Promise<Uint8Array<ArrayBuffer>> {
  let bytes: Uint8Array<ArrayBuffer> | null;
  try {
    bytes = await read(new URL(path, base));
  } catch (error) {
    throw new PackError(path, `could not be read from ${base} (${(error as Error).message})`, { cause: error });
  }
  if (bytes === null) {
    const reason = path === MANIFEST_FILE ? `is missing from ${base}` : 'is listed in manifest.json but missing';
    throw new PackError(path, reason);
  }
  if (!(bytes instanceof Uint8Array)) throw new TypeError('options.read must resolve to a Uint8Array or null');
  // Each file owns its buffer, so that transferring one (bytes.buffer) cannot detach another.
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
}

/** @throws {PackError} if the file is missing, unreadable, of the wrong size, or its SHA-256 differs. */
async function readVerified(
  read: PackReader,
  base: URL,
  entry: PackFileEntry,
  subtle: SubtleCrypto,
): Promise<Uint8Array<ArrayBuffer>> {
  const bytes = await readFile(read, base, entry.path);
  if (bytes.byteLength !== entry.bytes) {
    throw new PackError(entry.path, `has ${bytes.byteLength} bytes; manifest.json says ${entry.bytes}`);
  }
  const sha256 = await sha256Hex(subtle, bytes);
  if (sha256 !== entry.sha256) {
    throw new PackError(entry.path, `sha256 mismatch: the file's is ${sha256}, manifest.json says ${entry.sha256}`);
  }
  return bytes;
}
