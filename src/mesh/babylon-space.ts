/**
 * Asset space -> Babylon space: the one place where a generated mesh changes coordinate system
 * (docs/conventions.md, "Space").
 *
 * Asset space is right-handed, +Y up, front +Z; Babylon is left-handed, +Y up. The mapping is the mirror
 * (x, y, z) -> (x, y, -z), applied to positions and normals, so that an asset's front faces the default Babylon
 * camera, which looks along +Z from -Z. A mirror also reverses the apparent winding: triangles that are
 * counter-clockwise seen from outside in asset space (IndexedMesh's rule, and glTF's) are clockwise seen from
 * outside in Babylon space, which is what Babylon's left-handed default (`Material.ClockWiseSideOrientation`)
 * treats as front faces. So the indices are kept as they are; the unit test checks this against
 * `VertexData.ComputeNormals`.
 *
 * The mesh is also grounded: shifted up by its lowest y, so that its local origin is the point on the ground under
 * the asset's axis, and `mesh.position` places it standing on the ground.
 */
import type { Bounds, IndexedMesh } from './indexed-mesh.js';

/** The arrays of a Babylon `VertexData`, in Babylon's left-handed space. */
export interface BabylonMeshArrays {
  /** `[V, 3]`. */
  readonly positions: Float32Array<ArrayBuffer>;
  /** `[V, 3]`, unit length. */
  readonly normals: Float32Array<ArrayBuffer>;
  /**
   * `[V, 4]` RGBA in [0, 1], alpha 1; white where the mesh had no colours. sRGB-encoded, as StandardMaterial shows
   * vertex colours (Babylon's glTF exporter converts them to linear for StandardMaterial meshes).
   */
  readonly colors: Float32Array<ArrayBuffer>;
  /** `[F, 3]`, clockwise seen from outside. */
  readonly indices: Uint32Array<ArrayBuffer>;
  /** Bounds of `positions`: min y is 0 unless the mesh is empty. */
  readonly bounds: Bounds;
}

/**
 * Converts an asset-space mesh into grounded Babylon arrays, writing into new arrays (the input is left as it is,
 * except `indices`, which is shared: the winding needs no change).
 */
export function toBabylonSpace(mesh: IndexedMesh): BabylonMeshArrays {
  const count = mesh.positions.length / 3;
  let lowest = Infinity;
  for (let i = 1; i < mesh.positions.length; i += 3) lowest = Math.min(lowest, mesh.positions[i]!);
  const lift = count > 0 ? -lowest : 0;

  const positions = new Float32Array(3 * count);
  const normals = new Float32Array(3 * count);
  const colors = new Float32Array(4 * count);
  const min: [number, number, number] = [Infinity, Infinity, Infinity];
  const max: [number, number, number] = [-Infinity, -Infinity, -Infinity];
  for (let v = 0; v < count; v++) {
    const p = 3 * v;
    const x = mesh.positions[p]!;
    const y = mesh.positions[p + 1]! + lift;
    const z = -mesh.positions[p + 2]!;
    positions[p] = x;
    positions[p + 1] = y;
    positions[p + 2] = z;
    normals[p] = mesh.normals[p]!;
    normals[p + 1] = mesh.normals[p + 1]!;
    normals[p + 2] = -mesh.normals[p + 2]!;
    const c = 4 * v;
    colors[c] = mesh.colors ? mesh.colors[p]! : 1;
    colors[c + 1] = mesh.colors ? mesh.colors[p + 1]! : 1;
    colors[c + 2] = mesh.colors ? mesh.colors[p + 2]! : 1;
    colors[c + 3] = 1;
    if (x < min[0]) min[0] = x;
    if (y < min[1]) min[1] = y;
    if (z < min[2]) min[2] = z;
    if (x > max[0]) max[0] = x;
    if (y > max[1]) max[1] = y;
    if (z > max[2]) max[2] = z;
  }
  return { positions, normals, colors, indices: mesh.indices, bounds: { min, max } };
}
