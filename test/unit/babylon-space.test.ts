import { VertexData } from '@babylonjs/core/Meshes/mesh.vertexData.js';
import { expect, test } from 'vitest';
import { toBabylonSpace } from '../../src/mesh/babylon-space.js';
import { marchingCubes, type ColorEvaluator, type FieldEvaluator } from '../../src/mesh/marching-cubes.js';

/** An asset-like shape: a sphere resting on the ground y = -0.9, nudged towards +Z (its "front"). */
const CENTRE = [0.05, -0.4, 0.2] as const;
const RADIUS = 0.5;
const ball: FieldEvaluator = (points, count, out) => {
  for (let i = 0; i < count; i++) {
    out[i] = Math.hypot(points[3 * i]! - CENTRE[0], points[3 * i + 1]! - CENTRE[1], points[3 * i + 2]! - CENTRE[2]) -
      RADIUS;
  }
};
/** Red on the front (+Z) half, blue on the back. */
const frontRed: ColorEvaluator = (points, count, out) => {
  for (let i = 0; i < count; i++) out.set(points[3 * i + 2]! > CENTRE[2] ? [1, 0, 0] : [0, 0, 1], 3 * i);
};

const { mesh } = marchingCubes(ball, { resolution: 40, color: frontRed });
const babylon = toBabylonSpace(mesh);

test('positions and normals are mirrored in z, and the mesh is lifted to stand on y = 0', () => {
  const lowest = Math.min(...mesh.positions.filter((_, i) => i % 3 === 1));
  for (let i = 0; i < mesh.positions.length; i += 3) {
    expect(babylon.positions[i]).toBe(mesh.positions[i]);
    expect(babylon.positions[i + 1]).toBeCloseTo(mesh.positions[i + 1]! - lowest, 6);
    expect(babylon.positions[i + 2]).toBe(-mesh.positions[i + 2]!);
    expect(babylon.normals[i + 2]).toBe(-mesh.normals[i + 2]!);
  }
  expect(babylon.bounds.min[1]).toBeCloseTo(0, 6);
  expect(babylon.bounds.max[1]).toBeCloseTo(2 * RADIUS, 1);
  // The asset's front (+Z) is now Babylon's -Z: towards the default camera.
  expect(babylon.bounds.min[2]).toBeCloseTo(-(CENTRE[2] + RADIUS), 1);
});

test('colours become RGBA with alpha 1 and keep their vertex', () => {
  expect(babylon.colors).toHaveLength((4 * mesh.positions.length) / 3);
  for (let v = 0; v < mesh.positions.length / 3; v++) {
    expect([...babylon.colors.subarray(4 * v, 4 * v + 3)]).toEqual([...mesh.colors!.subarray(3 * v, 3 * v + 3)]);
    expect(babylon.colors[4 * v + 3]).toBe(1);
    // Red vertices are in front of the centre in asset space, i.e. at Babylon z < -centre.
    if (babylon.colors[4 * v] === 1) expect(babylon.positions[3 * v + 2]).toBeLessThanOrEqual(-CENTRE[2] + 1e-3);
  }
});

test("the kept winding is Babylon's front-face winding: its own normals agree with the mirrored ones", () => {
  const computed = new Float32Array(babylon.normals.length);
  VertexData.ComputeNormals(babylon.positions, babylon.indices, computed);
  let agreeing = 0;
  for (let i = 0; i < computed.length; i += 3) {
    const dot = computed[i]! * babylon.normals[i]! + computed[i + 1]! * babylon.normals[i + 1]! +
      computed[i + 2]! * babylon.normals[i + 2]!;
    if (dot > 0.9) agreeing++;
  }
  expect(agreeing).toBe(computed.length / 3);
});

test('a mesh without colours is white, and an empty mesh stays empty', () => {
  const plain = toBabylonSpace({ ...mesh, colors: null });
  expect(plain.colors.every((value) => value === 1)).toBe(true);
  const empty = toBabylonSpace({
    positions: new Float32Array(0),
    normals: new Float32Array(0),
    colors: null,
    indices: new Uint32Array(0),
  });
  expect(empty.positions).toHaveLength(0);
});
