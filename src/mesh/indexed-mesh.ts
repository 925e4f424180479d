/** An indexed triangle mesh in asset space (docs/conventions.md: right-handed, +Y up, front +Z). */
export interface IndexedMesh {
  /** `[V, 3]`. */
  readonly positions: Float32Array<ArrayBuffer>;
  /** `[V, 3]`, unit length. */
  readonly normals: Float32Array<ArrayBuffer>;
  /**
   * `[V, 3]` sRGB-encoded RGB in [0, 1] (display values, as the trainer's pixels and the decoder's albedo are), or
   * null when the mesh has no vertex colours. Writers that need linear colours (glTF) convert.
   */
  readonly colors: Float32Array<ArrayBuffer> | null;
  /** `[F, 3]`, counter-clockwise seen from outside (normals point out of the solid). */
  readonly indices: Uint32Array<ArrayBuffer>;
}

/** Axis-aligned bounds: min and max corners. */
export interface Bounds {
  readonly min: readonly [number, number, number];
  readonly max: readonly [number, number, number];
}

/** The cube [-1, 1]^3 in which every asset lives. */
export const ASSET_BOUNDS: Bounds = { min: [-1, -1, -1], max: [1, 1, 1] };

/** Tight bounds of `[V, 3]` positions; for an empty array, min = +Infinity and max = -Infinity. */
export function positionBounds(positions: Float32Array): Bounds {
  const min: [number, number, number] = [Infinity, Infinity, Infinity];
  const max: [number, number, number] = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < positions.length; i += 3) {
    for (let a = 0; a < 3; a++) {
      const v = positions[i + a]!;
      if (v < min[a]!) min[a] = v;
      if (v > max[a]!) max[a] = v;
    }
  }
  return { min, max };
}
