/**
 * Shapes and memory layouts of a triplane field (docs/triplane.md), shared by the CPU twins, the WGSL kernels and
 * their hosts: `planes` is float32 `[3, C, R, R]` row-major (plane k, channel c, row v, column u), and the decoder
 * is one flat float32 array in decoder.bin order (W1, b1, W2, b2, W3, b3; PyTorch Linear layout, out x in).
 */

/** `sdf(p) = o[0] + |p| - SPHERE_RADIUS`: the generator's sphere bias, so that training starts from a sphere. */
export const SPHERE_RADIUS = 0.5;
/** Decoder outputs: the SDF residual and three albedo logits. */
export const DECODER_OUTPUTS = 4;
/** The three planes' (u, v) axes: plane 0 is (x, y), plane 1 (x, z), plane 2 (y, z). */
export const PLANE_AXES: readonly (readonly [number, number])[] = [
  [0, 1],
  [0, 2],
  [1, 2],
];
/** Default channels C, plane resolution R and hidden width H of the default pack (docs/triplane.md). */
export const DEFAULT_CHANNELS = 16;
export const DEFAULT_PLANE_RESOLUTION = 64;
export const DEFAULT_HIDDEN = 32;

/** Tensors of the CPU twins: float32 as stored, or float64 where a test needs exact arithmetic. */
export type FloatArray = Float32Array | Float64Array;

/** The sizes that define a field. */
export interface TriplaneShape {
  /** Feature channels C per plane, >= 1. */
  readonly channels: number;
  /** Plane resolution R (texels per side), >= 2. */
  readonly resolution: number;
  /** Hidden width H of the decoder MLP, >= 1. */
  readonly hidden: number;
}

/** Element offsets of the decoder tensors inside the flat decoder array (decoder.bin order). */
export interface DecoderLayout {
  readonly fc1Weight: number;
  readonly fc1Bias: number;
  readonly fc2Weight: number;
  readonly fc2Bias: number;
  readonly outWeight: number;
  readonly outBias: number;
  /** Total number of floats. */
  readonly length: number;
}

/** Names of the decoder tensors in decoder.bin order, as PyTorch calls them. */
export const DECODER_TENSOR_NAMES = [
  'fc1.weight',
  'fc1.bias',
  'fc2.weight',
  'fc2.bias',
  'out.weight',
  'out.bias',
] as const;

export function decoderLayout({ channels: c, hidden: h }: Pick<TriplaneShape, 'channels' | 'hidden'>): DecoderLayout {
  const fc1Weight = 0;
  const fc1Bias = fc1Weight + h * c;
  const fc2Weight = fc1Bias + h;
  const fc2Bias = fc2Weight + h * h;
  const outWeight = fc2Bias + h;
  const outBias = outWeight + DECODER_OUTPUTS * h;
  return { fc1Weight, fc1Bias, fc2Weight, fc2Bias, outWeight, outBias, length: outBias + DECODER_OUTPUTS };
}

/** Number of floats in `planes`: 3 C R R. */
export function planesLength({ channels, resolution }: Pick<TriplaneShape, 'channels' | 'resolution'>): number {
  return 3 * channels * resolution * resolution;
}

/**
 * Checks a shape and the lengths of the arrays that go with it.
 * @throws {RangeError} naming the field of `shape` or the array whose length is wrong.
 */
export function checkTriplane(shape: TriplaneShape, planes: ArrayLike<number>, decoder: ArrayLike<number>): void {
  const positive = (name: keyof TriplaneShape, min: number): void => {
    const value = shape[name];
    if (!Number.isInteger(value) || value < min) {
      throw new RangeError(`shape.${name} must be an integer >= ${min}, got ${value}`);
    }
  };
  positive('channels', 1);
  positive('resolution', 2);
  positive('hidden', 1);
  const expectedPlanes = planesLength(shape);
  if (planes.length !== expectedPlanes) {
    throw new RangeError(`planes must hold 3 * C * R * R = ${expectedPlanes} floats, got ${planes.length}`);
  }
  const expectedDecoder = decoderLayout(shape).length;
  if (decoder.length !== expectedDecoder) {
    const { channels: c, hidden: h } = shape;
    throw new RangeError(`decoder must hold ${expectedDecoder} floats for C = ${c}, H = ${h}, got ${decoder.length}`);
  }
}
