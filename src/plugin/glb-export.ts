/**
 * A mesh (a generated one, or any other) -> a .glb file in the browser, with @babylonjs/serializers (an optional peer
 * dependency, imported on first use so that apps that never export do not load it). The exporter converts Babylon's
 * left-handed space back to glTF's right-handed one; @babylonjs/loaders converts it again on load, so a mesh that
 * goes out and comes back has the same world-space vertices.
 */
import type { Mesh } from '@babylonjs/core/Meshes/mesh.js';
import type { Node } from '@babylonjs/core/node.js';

/** Options of {@link exportMeshToGlb}. */
export interface GlbExportOptions {
  /** The glTF asset's file name, without extension. Default: the mesh's name, reduced to safe characters. */
  fileName?: string;
}

/**
 * Exports `mesh` alone (its material and vertex colours included, its world position kept) as a .glb Blob.
 * @throws {TypeError} if `mesh` is not a mesh in a live scene.
 * @throws {Error} if @babylonjs/serializers is not installed, or the export fails.
 */
export async function exportMeshToGlb(mesh: Mesh, options: GlbExportOptions = {}): Promise<Blob> {
  if (typeof mesh !== 'object' || mesh === null || typeof mesh.getScene !== 'function' || mesh.isDisposed()) {
    throw new TypeError('mesh must be a Babylon mesh that has not been disposed');
  }
  const fileName = options.fileName ?? (mesh.name.replace(/[^\w.-]+/g, '_').replace(/^_+|_+$/g, '') || 'mesh');
  let serializer: typeof import('@babylonjs/serializers/glTF/2.0/glTFSerializer.js');
  try {
    serializer = await import('@babylonjs/serializers/glTF/2.0/glTFSerializer.js');
  } catch (error) {
    throw new Error('exportMeshToGlb needs @babylonjs/serializers (npm install @babylonjs/serializers)', {
      cause: error,
    });
  }
  const data = await serializer.GLTF2Export.GLBAsync(mesh.getScene(), fileName, {
    shouldExportNode: (node: Node) => node === mesh,
  });
  const glb = data.files[`${fileName}.glb`];
  if (!(glb instanceof Blob)) throw new Error(`the glTF exporter returned no ${fileName}.glb`);
  return glb;
}
