import { validateBytes, type ValidationReport } from 'gltf-validator';
import { describe, expect, test } from 'vitest';
import { srgbToLinear, writeGlb } from '../../src/mesh/glb.js';
import type { IndexedMesh } from '../../src/mesh/indexed-mesh.js';
import { marchingCubes } from '../../src/mesh/marching-cubes.js';

function sphereMesh(resolution: number): IndexedMesh {
  return marchingCubes(
    (points, count, out) => {
      for (let i = 0; i < count; i++) out[i] = Math.hypot(points[3 * i]!, points[3 * i + 1]!, points[3 * i + 2]!) - 0.7;
    },
    {
      resolution,
      color: (points, count, out) => {
        for (let i = 0; i < count; i++) out.set([(points[3 * i]! + 1) / 2, 0.4, 1.2], 3 * i); // 1.2 gets clamped
      },
    },
  ).mesh;
}

interface GltfJson {
  nodes: { name: string }[];
  meshes: { primitives: { attributes: Record<string, number>; indices: number }[] }[];
  accessors: { bufferView: number; componentType: number; count: number; type: string }[];
  bufferViews: { byteOffset: number; byteLength: number }[];
}

/** Reads a .glb back: its JSON, and each accessor's data as a typed array. */
type AccessorData = Float32Array | Uint16Array | Uint32Array;

function readGlb(glb: Uint8Array): { json: GltfJson; accessor: (index: number) => AccessorData } {
  const view = new DataView(glb.buffer, glb.byteOffset, glb.byteLength);
  expect(view.getUint32(0, true)).toBe(0x46546c67);
  expect(view.getUint32(8, true)).toBe(glb.byteLength);
  const jsonLength = view.getUint32(12, true);
  const json = JSON.parse(new TextDecoder().decode(glb.subarray(20, 20 + jsonLength))) as GltfJson;
  const binStart = 20 + jsonLength + 8;
  const accessor = (index: number): AccessorData => {
    const a = json.accessors[index]!;
    const { byteOffset, byteLength } = json.bufferViews[a.bufferView]!;
    const bytes = glb.slice(binStart + byteOffset, binStart + byteOffset + byteLength).buffer;
    const length = a.count * (a.type === 'VEC3' ? 3 : 1);
    if (a.componentType === 5126) return new Float32Array(bytes, 0, length);
    return a.componentType === 5123 ? new Uint16Array(bytes, 0, length) : new Uint32Array(bytes, 0, length);
  };
  return { json, accessor };
}

function describeIssues(report: ValidationReport): string {
  return report.issues.messages.map((m) => `${m.severity} ${m.code} ${m.pointer ?? ''}: ${m.message}`).join('\n');
}

describe('writeGlb', () => {
  test('a marching-cubes mesh passes the Khronos glTF validator with no errors or warnings', async () => {
    const mesh = sphereMesh(32);
    const glb = writeGlb(mesh);
    const report = await validateBytes(glb, { maxIssues: 0, writeTimestamp: false });
    expect(report.issues.numErrors, describeIssues(report)).toBe(0);
    expect(report.issues.numWarnings, describeIssues(report)).toBe(0);
  });

  test('round trip: attributes and indices read back unchanged; colours clamped to [0, 1] and made linear', () => {
    const mesh = sphereMesh(20);
    const { json, accessor } = readGlb(writeGlb(mesh, { name: 'ball' }));
    expect(json.nodes[0]!.name).toBe('ball');
    const primitive = json.meshes[0]!.primitives[0]!;
    const attributes = primitive.attributes;
    expect(Array.from(accessor(attributes.POSITION!))).toEqual(Array.from(mesh.positions));
    expect(Array.from(accessor(attributes.NORMAL!))).toEqual(Array.from(mesh.normals));
    expect(Array.from(accessor(primitive.indices))).toEqual(Array.from(mesh.indices));
    const colors = accessor(attributes.COLOR_0!);
    expect(Math.max(...colors)).toBe(1);
    expect(colors[1]).toBeCloseTo(0.1329, 4); // sRGB 0.4 is linear 0.1329
    for (let i = 0; i < colors.length; i++) {
      expect(colors[i]).toBeCloseTo(srgbToLinear(Math.min(1, Math.max(0, mesh.colors![i]!))), 6);
    }
  });

  test('srgbToLinear is the IEC 61966-2-1 curve: continuous at its knee, 0 -> 0, 1 -> 1, mid-grey 0.5 -> 0.214', () => {
    expect(srgbToLinear(0)).toBe(0);
    expect(srgbToLinear(1)).toBeCloseTo(1, 12);
    expect(srgbToLinear(0.5)).toBeCloseTo(0.21404, 5);
    expect(srgbToLinear(0.04045)).toBeCloseTo(srgbToLinear(0.0404500001), 8);
    expect(srgbToLinear(0.04045)).toBeCloseTo(0.0031308, 7);
  });

  test('more than 65535 vertices switch the indices to 32 bits, and still validate', async () => {
    const side = 260; // a flat grid of side^2 > 65535 vertices
    const positions = new Float32Array(3 * side * side);
    const normals = new Float32Array(3 * side * side);
    for (let i = 0; i < side * side; i++) {
      positions.set([(i % side) / side, Math.floor(i / side) / side, 0], 3 * i);
      normals[3 * i + 2] = 1;
    }
    const indices = new Uint32Array(6 * (side - 1) * (side - 1));
    for (let y = 0, k = 0; y < side - 1; y++) {
      for (let x = 0; x < side - 1; x++, k += 6) {
        const i = x + side * y;
        indices.set([i, i + 1, i + side + 1, i, i + side + 1, i + side], k);
      }
    }
    const glb = writeGlb({ positions, normals, colors: null, indices });
    const { json, accessor } = readGlb(glb);
    expect(json.accessors[0]!.componentType).toBe(5125);
    expect(json.meshes[0]!.primitives[0]!.attributes.COLOR_0).toBeUndefined();
    expect(Array.from(accessor(0).subarray(-6))).toEqual(Array.from(indices.subarray(-6)));
    const report = await validateBytes(glb, { maxIssues: 0, writeTimestamp: false });
    expect(report.issues.numErrors, describeIssues(report)).toBe(0);
  });

  test('an empty mesh gives a valid file with an empty scene', async () => {
    const none = new Float32Array(0);
    const glb = writeGlb({ positions: none, normals: none, colors: null, indices: new Uint32Array(0) });
    const report = await validateBytes(glb, { maxIssues: 0, writeTimestamp: false });
    expect(report.issues.numErrors, describeIssues(report)).toBe(0);
  });

  test('inconsistent arrays fail naming the array', () => {
    const mesh = sphereMesh(8);
    expect(() => writeGlb({ ...mesh, normals: mesh.normals.subarray(3) })).toThrow(/mesh.normals/);
    expect(() => writeGlb({ ...mesh, indices: Uint32Array.of(0, 1, 1e6) })).toThrow(/mesh.indices\[2\]/);
    const nan = mesh.positions.slice();
    nan[4] = Number.NaN;
    expect(() => writeGlb({ ...mesh, positions: nan })).toThrow(/mesh.positions\[4\] is NaN/);
  });
});
