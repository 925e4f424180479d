/**
 * Writes an {@link IndexedMesh} as binary glTF 2.0 (.glb): one node, one mesh, one triangle primitive with POSITION,
 * NORMAL, COLOR_0 (if the mesh has colours) and indices, and a matte material whose base colour the vertex colours
 * multiply. Asset space is already glTF's (right-handed, +Y up, front facing +Z), so positions are written as they
 * are. Colours are sRGB-encoded in a mesh (the trainer's pixels) and linear in glTF (COLOR_0 multiplies the
 * linear base colour), so they are decoded with the sRGB transfer function on the way out.
 */
import type { IndexedMesh } from './indexed-mesh.js';
import { positionBounds } from './indexed-mesh.js';

/** Options of {@link writeGlb}. */
export interface GlbOptions {
  /** The node's and mesh's name. Default "scaledreamer". */
  name?: string;
  /** `asset.generator`. Default "scaledreamer-babylon". */
  generator?: string;
}

const GLB_MAGIC = 0x46546c67; // "glTF"
const GLB_VERSION = 2;
const CHUNK_JSON = 0x4e4f534a; // "JSON"
const CHUNK_BIN = 0x004e4942; // "BIN\0"
const GLB_HEADER_BYTES = 12;
const CHUNK_HEADER_BYTES = 8;
const ARRAY_BUFFER = 34962;
const ELEMENT_ARRAY_BUFFER = 34963;
const FLOAT = 5126;
const UNSIGNED_SHORT = 5123;
const UNSIGNED_INT = 5125;
const TRIANGLES = 4;
/** Largest vertex count whose indices fit UNSIGNED_SHORT (65535 itself is the primitive-restart value). */
const MAX_SHORT_INDEXED_VERTICES = 65535;

const align4 = (n: number): number => (n + 3) & ~3;

/**
 * The sRGB electro-optical transfer function (IEC 61966-2-1): an sRGB-encoded value in [0, 1] -> linear light, as
 * glTF 2.0 asks of vertex colours. Exact (the piecewise curve), where Babylon's `toLinearSpace` defaults to the
 * power 2.2.
 */
export function srgbToLinear(value: number): number {
  return value <= 0.04045 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
}

/**
 * Checks that the mesh's arrays agree with each other.
 * @throws {RangeError} naming the array that does not fit.
 */
function checkMesh(mesh: IndexedMesh): void {
  const { positions, normals, colors, indices } = mesh;
  if (positions.length % 3 !== 0) throw new RangeError(`mesh.positions.length must be a multiple of 3`);
  if (normals.length !== positions.length) {
    throw new RangeError(`mesh.normals must hold ${positions.length} floats, got ${normals.length}`);
  }
  if (colors && colors.length !== positions.length) {
    throw new RangeError(`mesh.colors must hold ${positions.length} floats, got ${colors.length}`);
  }
  if (indices.length % 3 !== 0) throw new RangeError(`mesh.indices.length must be a multiple of 3`);
  const vertices = positions.length / 3;
  for (let i = 0; i < indices.length; i++) {
    if (indices[i]! >= vertices) throw new RangeError(`mesh.indices[${i}] = ${indices[i]} >= ${vertices} vertices`);
  }
  const bad = positions.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new RangeError(`mesh.positions[${bad}] is ${positions[bad]}; positions must be finite`);
}

/**
 * Encodes the mesh as a .glb. A mesh without triangles gives a valid file with an empty scene.
 * @throws {RangeError} if the mesh's arrays do not agree (naming the array) or a position is not finite.
 */
export function writeGlb(mesh: IndexedMesh, options: GlbOptions = {}): Uint8Array<ArrayBuffer> {
  checkMesh(mesh);
  const { name = 'scaledreamer', generator = 'scaledreamer-babylon' } = options;
  const vertices = mesh.positions.length / 3;
  const json: Record<string, unknown> = {
    asset: { version: '2.0', generator },
    scene: 0,
    scenes: [mesh.indices.length ? { nodes: [0] } : {}],
  };
  if (!mesh.indices.length) return assemble(json, new Uint8Array(0));

  // Binary layout: indices, then one tightly packed view per attribute, each starting on 4 bytes.
  const shortIndices = vertices <= MAX_SHORT_INDEXED_VERTICES;
  const indexBytes = mesh.indices.length * (shortIndices ? 2 : 4);
  const attributeBytes = vertices * 12;
  const views: { byteOffset: number; byteLength: number; target: number }[] = [];
  let offset = 0;
  const addView = (byteLength: number, target: number): number => {
    views.push({ byteOffset: offset, byteLength, target });
    offset = align4(offset + byteLength);
    return views.length - 1;
  };
  const indexView = addView(indexBytes, ELEMENT_ARRAY_BUFFER);
  const positionView = addView(attributeBytes, ARRAY_BUFFER);
  const normalView = addView(attributeBytes, ARRAY_BUFFER);
  const colorView = mesh.colors ? addView(attributeBytes, ARRAY_BUFFER) : -1;

  const bin = new Uint8Array(offset);
  const indexTarget = shortIndices
    ? new Uint16Array(bin.buffer, views[indexView]!.byteOffset, mesh.indices.length)
    : new Uint32Array(bin.buffer, views[indexView]!.byteOffset, mesh.indices.length);
  indexTarget.set(mesh.indices);
  new Float32Array(bin.buffer, views[positionView]!.byteOffset, 3 * vertices).set(mesh.positions);
  new Float32Array(bin.buffer, views[normalView]!.byteOffset, 3 * vertices).set(mesh.normals);
  if (mesh.colors) {
    // glTF colours are linear, in [0, 1]; anything outside is clamped rather than rejected.
    const colors = new Float32Array(bin.buffer, views[colorView]!.byteOffset, 3 * vertices);
    for (let i = 0; i < colors.length; i++) colors[i] = srgbToLinear(Math.min(1, Math.max(0, mesh.colors[i]!)));
  }

  const bounds = positionBounds(mesh.positions);
  const accessors: Record<string, unknown>[] = [
    {
      bufferView: indexView,
      componentType: shortIndices ? UNSIGNED_SHORT : UNSIGNED_INT,
      count: mesh.indices.length,
      type: 'SCALAR',
    },
    // min and max are required on POSITION; they are written as the float32 values that the file holds.
    {
      bufferView: positionView,
      componentType: FLOAT,
      count: vertices,
      type: 'VEC3',
      min: bounds.min,
      max: bounds.max,
    },
    { bufferView: normalView, componentType: FLOAT, count: vertices, type: 'VEC3' },
  ];
  const attributes: Record<string, number> = { POSITION: 1, NORMAL: 2 };
  if (mesh.colors) {
    accessors.push({ bufferView: colorView, componentType: FLOAT, count: vertices, type: 'VEC3' });
    attributes.COLOR_0 = 3;
  }
  Object.assign(json, {
    nodes: [{ mesh: 0, name }],
    meshes: [{ name, primitives: [{ attributes, indices: 0, material: 0, mode: TRIANGLES }] }],
    materials: [
      {
        name: `${name} vertex colours`,
        pbrMetallicRoughness: { baseColorFactor: [1, 1, 1, 1], metallicFactor: 0, roughnessFactor: 1 },
      },
    ],
    buffers: [{ byteLength: bin.byteLength }],
    bufferViews: views.map((view) => ({ buffer: 0, ...view })),
    accessors,
  });
  return assemble(json, bin);
}

/** Header, JSON chunk (padded with spaces) and BIN chunk (padded with zeros; omitted when empty). */
function assemble(json: Record<string, unknown>, bin: Uint8Array): Uint8Array<ArrayBuffer> {
  const jsonBytes = new TextEncoder().encode(JSON.stringify(json));
  const jsonLength = align4(jsonBytes.length);
  const binLength = align4(bin.length);
  const total = GLB_HEADER_BYTES + CHUNK_HEADER_BYTES + jsonLength + (bin.length ? CHUNK_HEADER_BYTES + binLength : 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, GLB_MAGIC, true);
  view.setUint32(4, GLB_VERSION, true);
  view.setUint32(8, total, true);
  view.setUint32(12, jsonLength, true);
  view.setUint32(16, CHUNK_JSON, true);
  out.set(jsonBytes, 20);
  out.fill(0x20, 20 + jsonBytes.length, 20 + jsonLength);
  if (bin.length) {
    const at = 20 + jsonLength;
    view.setUint32(at, binLength, true);
    view.setUint32(at + 4, CHUNK_BIN, true);
    out.set(bin, at + CHUNK_HEADER_BYTES);
  }
  return out;
}
