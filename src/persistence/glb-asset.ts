/**
 * A stored .glb back into the scene through @babylonjs/loaders, looking as it did when generated. The glTF loader
 * gives a `__root__` node (glTF's right-handed space -> Babylon's) over the mesh, a PBR material and linear-light
 * vertex colours; the mesh gets the plugin's material back (white diffuse, faint specular: vertex colours are the
 * albedo) and its colours go back to the gamma space that material reads, so a restored asset matches the original.
 */
import { VertexBuffer } from '@babylonjs/core/Buffers/buffer.js';
import { LoadAssetContainerAsync } from '@babylonjs/core/Loading/sceneLoader.js';
import { StandardMaterial } from '@babylonjs/core/Materials/standardMaterial.js';
import { Color3, Color4 } from '@babylonjs/core/Maths/math.color.js';
import type { Mesh } from '@babylonjs/core/Meshes/mesh.js';
import type { TransformNode } from '@babylonjs/core/Meshes/transformNode.js';
import type { Scene } from '@babylonjs/core/scene.pure.js';
import '@babylonjs/loaders/glTF/2.0/glTFLoader.js';

/** A restored asset: the node to dispose (the loader's root) and the mesh that holds the geometry. */
export interface LoadedGlbAsset {
  readonly root: TransformNode;
  readonly mesh: Mesh;
}

/**
 * Loads `glb` into `scene`, named `name`.
 * @throws {Error} if the file does not load or holds no mesh with vertices.
 */
export async function loadGlbAsset(scene: Scene, glb: Blob, name: string): Promise<LoadedGlbAsset> {
  const container = await LoadAssetContainerAsync(new Uint8Array(await glb.arrayBuffer()), scene, {
    pluginExtension: '.glb',
  });
  const meshes = container.meshes.filter((mesh) => mesh.getTotalVertices() > 0) as Mesh[];
  const mesh = meshes[0];
  const root = container.meshes.find((node) => node.parent === null) as TransformNode | undefined;
  if (meshes.length !== 1 || !mesh || !root) {
    container.dispose();
    throw new Error(`the stored .glb of ${JSON.stringify(name)} holds ${meshes.length} meshes with vertices, not one`);
  }
  for (const material of container.materials) material.dispose(true, true);
  container.materials.length = 0;
  container.textures.length = 0;
  container.addAllToScene();

  const colors = mesh.getVerticesData(VertexBuffer.ColorKind);
  if (colors) {
    const stride = colors.length / mesh.getTotalVertices();
    const gamma = new Float32Array(mesh.getTotalVertices() * 4);
    const color = new Color4();
    const exact = scene.getEngine().useExactSrgbConversions;
    for (let v = 0; v < mesh.getTotalVertices(); v++) {
      color.set(colors[stride * v]!, colors[stride * v + 1]!, colors[stride * v + 2]!, stride === 4 ? colors[4 * v + 3]! : 1);
      color.toGammaSpaceToRef(color, exact);
      color.toArray(gamma, 4 * v);
    }
    mesh.setVerticesData(VertexBuffer.ColorKind, gamma, false, 4);
  }
  const material = new StandardMaterial(`${name} material`, scene);
  material.diffuseColor = Color3.White();
  material.specularColor = new Color3(0.08, 0.08, 0.08);
  mesh.material = material;
  // Alpha is 1 everywhere; the loader may still flag the colours as transparent, which would sort the mesh as such.
  mesh.hasVertexAlpha = false;
  mesh.name = name;
  root.name = `${name} root`;
  return { root, mesh };
}
