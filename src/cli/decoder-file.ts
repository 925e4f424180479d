/**
 * The pack's decoder.json + decoder.bin (docs/triplane.md; written by training/distill/export.py): checked and
 * turned into the flat decoder array and renderer defaults that the kernels take. The CLI's own minimal reader until
 * the pack loader (src/pack) covers the generator's files; no Node APIs.
 */
import { decoderLayout, DECODER_OUTPUTS, DECODER_TENSOR_NAMES, SPHERE_RADIUS } from '../kernels/triplane-layout.js';

export const DECODER_FORMAT = 'scaledreamer-triplane-decoder';
export const DECODER_FORMAT_VERSION = 1;

/** A decoder ready for the kernels. */
export interface LoadedDecoder {
  readonly channels: number;
  readonly hidden: number;
  /** Flat, in decoder.bin order. */
  readonly weights: Float32Array<ArrayBuffer>;
  /** The renderer parameters trained with this decoder. */
  readonly renderer: { readonly samples: number; readonly beta: number };
}

/** A decoder file that does not follow the contract; the message names the file and the key. */
export class DecoderFileError extends Error {
  override readonly name = 'DecoderFileError';
}

interface DecoderJson {
  format?: unknown;
  version?: unknown;
  channels?: unknown;
  hidden?: unknown;
  activation?: unknown;
  sphere_radius?: unknown;
  dtype?: unknown;
  byte_order?: unknown;
  tensors?: Record<string, { offset?: unknown; shape?: unknown }>;
  renderer?: { samples?: unknown; beta?: unknown };
}

/**
 * Checks decoder.json against decoder.bin and returns the weights.
 * @param json the parsed decoder.json.
 * @param bin decoder.bin's bytes.
 * @throws {DecoderFileError} naming the key or tensor that breaks the contract.
 */
export function loadDecoder(json: unknown, bin: Uint8Array): LoadedDecoder {
  const fail = (message: string): never => {
    throw new DecoderFileError(`decoder.json: ${message}`);
  };
  if (typeof json !== 'object' || json === null) return fail('is not a JSON object');
  const meta = json as DecoderJson;
  if (meta.format !== DECODER_FORMAT) fail(`format must be "${DECODER_FORMAT}", got ${JSON.stringify(meta.format)}`);
  if (meta.version !== DECODER_FORMAT_VERSION) {
    fail(`version ${JSON.stringify(meta.version)} is not supported (expected ${DECODER_FORMAT_VERSION})`);
  }
  const positiveInteger = (key: 'channels' | 'hidden'): number => {
    const value = meta[key];
    return typeof value === 'number' && Number.isInteger(value) && value > 0
      ? value
      : fail(`${key} must be a positive integer, got ${JSON.stringify(value)}`);
  };
  const channels = positiveInteger('channels');
  const hidden = positiveInteger('hidden');
  if (meta.activation !== 'silu') fail(`activation must be "silu", got ${JSON.stringify(meta.activation)}`);
  if (meta.sphere_radius !== SPHERE_RADIUS) {
    fail(`sphere_radius must be ${SPHERE_RADIUS}, got ${JSON.stringify(meta.sphere_radius)}`);
  }
  if (meta.dtype !== 'float32') fail(`dtype must be "float32", got ${JSON.stringify(meta.dtype)}`);
  if (meta.byte_order !== 'little') fail(`byte_order must be "little", got ${JSON.stringify(meta.byte_order)}`);
  const samples = meta.renderer?.samples;
  const beta = meta.renderer?.beta;
  if (typeof samples !== 'number' || !Number.isInteger(samples) || samples < 1) {
    fail(`renderer.samples must be a positive integer, got ${JSON.stringify(samples)}`);
  }
  if (typeof beta !== 'number' || !(beta > 0)) fail(`renderer.beta must be > 0, got ${JSON.stringify(beta)}`);

  const expectedShapes: Record<(typeof DECODER_TENSOR_NAMES)[number], number[]> = {
    'fc1.weight': [hidden, channels],
    'fc1.bias': [hidden],
    'fc2.weight': [hidden, hidden],
    'fc2.bias': [hidden],
    'out.weight': [DECODER_OUTPUTS, hidden],
    'out.bias': [DECODER_OUTPUTS],
  };
  const layout = decoderLayout({ channels, hidden });
  const weights = new Float32Array(layout.length);
  const view = new DataView(bin.buffer, bin.byteOffset, bin.byteLength);
  let at = 0;
  for (const name of DECODER_TENSOR_NAMES) {
    const entry = meta.tensors?.[name];
    const shape = expectedShapes[name];
    if (!entry) fail(`tensors.${name} is missing`);
    if (JSON.stringify(entry?.shape) !== JSON.stringify(shape)) {
      fail(`tensors.${name}.shape must be ${JSON.stringify(shape)}, got ${JSON.stringify(entry?.shape)}`);
    }
    const count = shape.reduce((a, b) => a * b, 1);
    const offset = entry?.offset;
    if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0 || offset + 4 * count > bin.length) {
      fail(`tensors.${name}.offset ${JSON.stringify(offset)} does not fit decoder.bin (${bin.length} bytes)`);
    }
    for (let i = 0; i < count; i++, at++) {
      const value = view.getFloat32((offset as number) + 4 * i, true);
      if (!Number.isFinite(value)) fail(`tensors.${name}[${i}] is ${value}; weights must be finite`);
      weights[at] = value;
    }
  }
  return { channels, hidden, weights, renderer: { samples: samples as number, beta: beta as number } };
}
