/**
 * decoder.json and decoder.bin of a model pack (docs/triplane.md, "Decoder"): the triplane decoder MLP shared by
 * all prompts, and the renderer parameters it was trained with.
 */
import {
  DECODER_OUTPUTS,
  DECODER_TENSOR_NAMES,
  decoderLayout,
  SPHERE_RADIUS,
  type DecoderLayout,
  type TriplaneShape,
} from '../kernels/triplane-layout.js';
import { JsonFields } from './json-fields.js';
import { MANIFEST_FILE, type OnnxFileEntry, type RawFileEntry } from './manifest.js';
import { entryField } from './pack-contract.js';
import { PackError } from './pack-error.js';

export interface TriplaneDecoderWeights {
  /** C and H from decoder.json; R from the generator's `triplane` output. */
  readonly shape: TriplaneShape;
  /** W1, b1, W2, b2, W3, b3 (PyTorch Linear layout), as the kernels take them: see `decoderLayout`. */
  readonly weights: Float32Array<ArrayBuffer>;
  /** The renderer's defaults for this decoder. */
  readonly renderer: {
    /** S, samples per ray. */
    readonly samples: number;
    /** VolSDF's beta (the Laplace CDF's scale). */
    readonly beta: number;
  };
}

const FLOAT32_BYTES = 4;

/** The offset of each tensor in elements, keyed by its PyTorch name, with its shape. */
function expectedTensors(layout: DecoderLayout, c: number, h: number) {
  return {
    'fc1.weight': { offset: layout.fc1Weight, shape: [h, c] },
    'fc1.bias': { offset: layout.fc1Bias, shape: [h] },
    'fc2.weight': { offset: layout.fc2Weight, shape: [h, h] },
    'fc2.bias': { offset: layout.fc2Bias, shape: [h] },
    'out.weight': { offset: layout.outWeight, shape: [DECODER_OUTPUTS, h] },
    'out.bias': { offset: layout.outBias, shape: [DECODER_OUTPUTS] },
  } satisfies Record<(typeof DECODER_TENSOR_NAMES)[number], { offset: number; shape: number[] }>;
}

/**
 * Reads decoder.json, checks decoder.bin and the generator's output against it, and decodes the weights.
 * @param generator the `generator.triplane` entry, whose output `[batch, 3, C, R, R]` must have decoder.json's C.
 * @throws {PackError} naming the file and the field: a `format`, `version`, `activation`, `sphere_radius`, `dtype`
 *   or `byte_order` this runtime does not implement, tensor offsets or shapes that are not decoder.bin's layout
 *   for C and H, a decoder.bin entry whose shape is not `[layout length]`, or a generator whose C differs.
 */
export function parseTriplaneDecoder(
  decoder: { readonly path: string; readonly bytes: Uint8Array },
  weights: { readonly entry: RawFileEntry; readonly bytes: Uint8Array },
  generator: OnnxFileEntry,
): TriplaneDecoderWeights {
  const json = JsonFields.parse(decoder.path, decoder.bytes);
  json.oneOf('format', ['scaledreamer-triplane-decoder']);
  json.oneOf('version', [1]);
  json.oneOf('activation', ['silu']);
  // The kernels add |p| - SPHERE_RADIUS to the SDF; a decoder trained with another bias would render wrong.
  json.oneOf('sphere_radius', [SPHERE_RADIUS]);
  json.oneOf('dtype', ['float32']);
  json.oneOf('byte_order', ['little']);
  const channels = json.integer('channels', 1);
  const hidden = json.integer('hidden', 1);
  const layout = decoderLayout({ channels, hidden });

  const tensors = json.object('tensors');
  const expected = expectedTensors(layout, channels, hidden);
  const names = tensors.keys();
  if (names.join() !== DECODER_TENSOR_NAMES.join()) {
    json.fail('tensors', `must list ${DECODER_TENSOR_NAMES.join(', ')} in that order, got ${names.join(', ')}`);
  }
  for (const name of DECODER_TENSOR_NAMES) {
    const tensor = tensors.object(name);
    const { offset, shape } = expected[name];
    const byteOffset = tensor.integer('offset', 0);
    if (byteOffset !== offset * FLOAT32_BYTES) {
      const layoutName = `decoder.bin's layout for C = ${channels}, H = ${hidden}`;
      tensor.fail('offset', `is ${byteOffset}; ${layoutName} puts it at ${offset * FLOAT32_BYTES}`);
    }
    const declared = tensor.shape('shape', true);
    if (declared.join() !== shape.join()) {
      tensor.fail('shape', `is [${declared.join(', ')}]; expected [${shape.join(', ')}]`);
    }
  }

  const renderer = json.object('renderer');
  const samples = renderer.integer('samples', 1);
  const beta = renderer.number('beta');
  if (!(beta > 0)) renderer.fail('beta', `must be > 0, got ${beta}`);

  // The manifest's shape fixes the file's size: `bytes` was checked against both.
  const declaredShape = weights.entry.shape;
  if (declaredShape.length !== 1 || declaredShape[0] !== layout.length) {
    const field = `${entryField(weights.entry.path)}.shape`;
    const reason = `${field} is [${declaredShape.join(', ')}]; ${decoder.path} needs [${layout.length}]`;
    throw new PackError(MANIFEST_FILE, reason);
  }
  const [, , planeChannels, resolution] = generator.outputs['triplane']!.shape as number[];
  if (planeChannels !== channels) {
    const field = `${entryField(generator.path)}.outputs.triplane.shape[2]`;
    throw new PackError(MANIFEST_FILE, `${field} is ${planeChannels}; ${decoder.path} has channels ${channels}`);
  }

  const view = new DataView(weights.bytes.buffer, weights.bytes.byteOffset, weights.bytes.byteLength);
  const values = new Float32Array(layout.length);
  for (let i = 0; i < values.length; i++) values[i] = view.getFloat32(i * FLOAT32_BYTES, true);
  return { shape: { channels, hidden, resolution: resolution! }, weights: values, renderer: { samples, beta } };
}
