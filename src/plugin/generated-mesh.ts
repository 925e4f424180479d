/**
 * A worker's mesh arrays -> a Babylon mesh in the scene: VertexData (positions, normals, RGBA colours, indices)
 * taken as they are (no copies: the arrays were transferred from the worker), a material that shows the vertex
 * colours, the position on the ground, and the metadata that says where the mesh came from.
 */
import { StandardMaterial } from '@babylonjs/core/Materials/standardMaterial.js';
import { Color3 } from '@babylonjs/core/Maths/math.color.js';
import { Mesh } from '@babylonjs/core/Meshes/mesh.js';
import { VertexData } from '@babylonjs/core/Meshes/mesh.vertexData.js';
import type { Scene } from '@babylonjs/core/scene.pure.js';
import type { BabylonMeshArrays } from '../mesh/babylon-space.js';
import type { Bounds } from '../mesh/indexed-mesh.js';
import type { GeneratedMeshData, ResolvedBackend, WorkerTimings } from '../workers/generation-protocol.js';
import type { PositionLike } from './scale-dreamer-options.js';

/** Milliseconds per stage of a job, from `generate()` to the mesh in the scene. */
export interface GenerationTimings extends WorkerTimings {
  /**
   * From `generate()` to the mesh arrays' arrival, less the worker's `totalMs`: the queue, the worker's start-up
   * (sessions) and the messages both ways.
   */
  readonly waitMs: number;
  /** Building the Babylon mesh on the main thread. */
  readonly buildMs: number;
  /** From `generate()` to the mesh in the scene. */
  readonly endToEndMs: number;
}

/** `mesh.metadata.scaleDreamer` of every generated mesh. */
export interface GeneratedMeshMetadata {
  readonly prompt: string;
  readonly seed: number;
  /**
   * How the triplane was made: `'generator'` (one forward pass), or the refinement method that refined the
   * generator's triplane (`refinement` says how far it got).
   */
  readonly method: 'generator' | 'asd' | 'sds' | 'csd';
  /** The refinement, when the job had `refine`; null otherwise. */
  readonly refinement: RefinementMetadata | null;
  readonly gridSize: number;
  /** Where the models ran. */
  readonly backend: ResolvedBackend;
  /** Why the `'auto'` backend fell back to WASM; null when it did not. */
  readonly fallbackReason: string | null;
  /** The model pack: its manifest's name, its folder URL and the prior's version. */
  readonly pack: { readonly name: string; readonly url: string; readonly version: string };
  /** Words that became `<unk>` (lenient mode); empty otherwise. */
  readonly unknownWords: readonly string[];
  readonly vertices: number;
  readonly faces: number;
  /** Bounds in the mesh's local space (Babylon's axes; min y = 0: the mesh stands on its origin). */
  readonly localBounds: Bounds;
  /** Grid points whose SDF was decoded. */
  readonly evaluatedPoints: number;
  readonly timings: GenerationTimings;
}

/** `metadata.scaleDreamer.refinement`: the options and how far the refinement got, updated as it runs. */
export interface RefinementMetadata {
  readonly method: 'asd' | 'sds' | 'csd';
  readonly steps: number;
  readonly eta: number;
  readonly guidanceScale: number;
  readonly resolution: number;
  readonly meshEvery: number;
  /** The threads asked for (null: the default) until the end, then the threads that ran (1 on WebGPU). */
  readonly threads: number | null;
  /** `'running'` until it ends; `'cancelled'` when the job was cancelled while refining (the mesh is kept). */
  readonly state: 'running' | 'done' | 'cancelled';
  /** Steps done, and the step the mesh shows (the last remesh). */
  readonly stepsDone: number;
  readonly meshStep: number;
  /** The loss at the last step done; null before the first. */
  readonly loss: number | null;
  /** Mean milliseconds per step in the worker (remeshing excluded); null until the refinement ends. */
  readonly msPerStep: number | null;
  /** `msPerStep` split: views and noisy samples, the UNet, gradient + backward + Adam; null until the end. */
  readonly stageMsPerStep: { readonly render: number; readonly prior: number; readonly update: number } | null;
  /** Milliseconds from the generator's mesh in the scene to the last update (the end, once it has ended). */
  readonly refineMs: number | null;
}

/** What a generated mesh's `metadata` holds (other keys may be added by the app). */
export interface GeneratedMeshMetadataHolder {
  scaleDreamer: GeneratedMeshMetadata;
}

/** Longest mesh name taken from a prompt. */
const MAX_NAME_LENGTH = 64;

/**
 * Adds the mesh, named after the prompt, to `scene`, standing at `position`; the caller sets its metadata. Its
 * material is its own (`mesh.dispose(false, true)` disposes both).
 */
export function buildGeneratedMesh(scene: Scene, data: GeneratedMeshData, position: PositionLike, prompt: string): Mesh {
  const name = `scaledreamer: ${prompt.slice(0, MAX_NAME_LENGTH)}`;
  const mesh = new Mesh(name, scene);
  const vertexData = new VertexData();
  vertexData.positions = data.positions;
  vertexData.normals = data.normals;
  vertexData.colors = data.colors;
  vertexData.indices = data.indices;
  vertexData.applyToMesh(mesh, false);
  mesh.position.set(position.x, position.y, position.z);

  const material = new StandardMaterial(`${name} material`, scene);
  // Vertex colours are the albedo; white diffuse passes them through, and a faint specular keeps them readable.
  material.diffuseColor = Color3.White();
  material.specularColor = new Color3(0.08, 0.08, 0.08);
  mesh.material = material;
  return mesh;
}

/**
 * Replaces the mesh's geometry with new arrays in place (same mesh, material, position and metadata object): the
 * refinement's remeshes. The arrays are taken as they are (transferred from the worker).
 */
export function updateGeneratedMesh(mesh: Mesh, data: BabylonMeshArrays): void {
  const vertexData = new VertexData();
  vertexData.positions = data.positions;
  vertexData.normals = data.normals;
  vertexData.colors = data.colors;
  vertexData.indices = data.indices;
  vertexData.applyToMesh(mesh, false);
}
