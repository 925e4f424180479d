import { describe, expect, test } from 'vitest';
import {
  CELL_EDGE_CORNERS,
  TRIANGLE_EDGES,
  TRIANGLE_OFFSETS,
} from '../../src/mesh/marching-cubes-tables.js';
import { marchingCubes, marchingCubesGrid, type FieldEvaluator } from '../../src/mesh/marching-cubes.js';
import { areaAndVolume, edgeUse } from '../fixtures/mesh-checks.js';

const SPHERE_RADIUS = 0.6;
const TORUS_MAJOR = 0.55;
const TORUS_MINOR = 0.2;

/** A sphere slightly off the grid's centre, so that no vertex lands on a symmetry plane by construction. */
const sphere: FieldEvaluator = (points, count, out) => {
  for (let i = 0; i < count; i++) {
    out[i] = Math.hypot(points[3 * i]! - 0.013, points[3 * i + 1]! + 0.021, points[3 * i + 2]! - 0.007) - SPHERE_RADIUS;
  }
};

/** A torus around the Y axis, tilted a little about X. */
const TILT = 0.3;
const torus: FieldEvaluator = (points, count, out) => {
  const c = Math.cos(TILT);
  const s = Math.sin(TILT);
  for (let i = 0; i < count; i++) {
    const x = points[3 * i]!;
    const y = c * points[3 * i + 1]! - s * points[3 * i + 2]!;
    const z = s * points[3 * i + 1]! + c * points[3 * i + 2]!;
    out[i] = Math.hypot(Math.hypot(x, z) - TORUS_MAJOR, y) - TORUS_MINOR;
  }
};

function expectWatertight(indices: Uint32Array, vertices: number, eulerCharacteristic: number): void {
  const { counts, edges, oriented } = edgeUse(indices);
  expect([...counts.keys()]).toEqual([2]); // every edge shared by exactly two triangles
  expect(oriented).toBe(true); // and traversed once in each direction
  expect(vertices - edges + indices.length / 3).toBe(eulerCharacteristic);
}

describe('case tables', () => {
  test('every case is closed within its cell: each face segment is shared with one other triangle or the face', () => {
    // Case c and its complement cross the same edges.
    for (let c = 0; c < 256; c++) {
      const crossed = new Set<number>();
      for (let e = 0; e < 12; e++) {
        const a = (c >> CELL_EDGE_CORNERS[2 * e]!) & 1;
        const b = (c >> CELL_EDGE_CORNERS[2 * e + 1]!) & 1;
        if (a !== b) crossed.add(e);
      }
      const used = new Set(TRIANGLE_EDGES.subarray(TRIANGLE_OFFSETS[c], TRIANGLE_OFFSETS[c + 1]));
      expect(used, `case ${c}`).toEqual(crossed);
    }
  });
});

describe('marching cubes', () => {
  test('a sphere is watertight (genus 0) with outward unit normals', () => {
    const { mesh } = marchingCubes(sphere, { resolution: 48 });
    expectWatertight(mesh.indices, mesh.positions.length / 3, 2);
    for (let i = 0; i < mesh.positions.length; i += 3) {
      const x = mesh.positions[i]! - 0.013;
      const y = mesh.positions[i + 1]! + 0.021;
      const z = mesh.positions[i + 2]! - 0.007;
      const r = Math.hypot(x, y, z);
      expect(Math.abs(r - SPHERE_RADIUS)).toBeLessThan(2e-3);
      const n = mesh.normals;
      expect(Math.hypot(n[i]!, n[i + 1]!, n[i + 2]!)).toBeCloseTo(1, 5);
      expect((n[i]! * x + n[i + 1]! * y + n[i + 2]! * z) / r).toBeGreaterThan(0.995);
    }
    expect(areaAndVolume(mesh).volume).toBeGreaterThan(0);
  });

  test('a torus is watertight (genus 1)', () => {
    const { mesh } = marchingCubes(torus, { resolution: 48 });
    expectWatertight(mesh.indices, mesh.positions.length / 3, 0);
  });

  test.each([
    ['sphere', sphere, 4 * Math.PI * SPHERE_RADIUS ** 2, (4 / 3) * Math.PI * SPHERE_RADIUS ** 3],
    ['torus', torus, 4 * Math.PI ** 2 * TORUS_MAJOR * TORUS_MINOR, 2 * Math.PI ** 2 * TORUS_MAJOR * TORUS_MINOR ** 2],
  ] as const)('%s: area and volume within 2 percent of analytic at 128^3', (_, sdf, area, volume) => {
    const { mesh } = marchingCubes(sdf, { resolution: 128 });
    const measured = areaAndVolume(mesh);
    expect(Math.abs(measured.area / area - 1)).toBeLessThan(0.02);
    expect(Math.abs(measured.volume / volume - 1)).toBeLessThan(0.02);
  });

  test('coarse-to-fine gives the same mesh as the full grid with far fewer evaluations', () => {
    const full = marchingCubes(torus, { resolution: 64, coarseBlock: 0 });
    const coarse = marchingCubes(torus, { resolution: 64 });
    expect(coarse.mesh.indices).toEqual(full.mesh.indices);
    expect(coarse.mesh.positions).toEqual(full.mesh.positions);
    expect(coarse.mesh.normals).toEqual(full.mesh.normals);
    expect(full.stats.evaluatedPoints).toBe(64 ** 3);
    expect(coarse.stats.evaluatedPoints).toBeLessThan(0.5 * 64 ** 3);
    expect(coarse.stats.activeBlocks).toBeLessThan(coarse.stats.blocks);
  });

  test('the flood fill keeps coarse-to-fine exact where the Lipschitz bound is wrong (|grad| = 6, L = 1)', () => {
    const steep: FieldEvaluator = (points, count, out) => {
      torus(points, count, out);
      for (let i = 0; i < count; i++) out[i] = 6 * out[i]! + 0.3 * Math.sin(9 * points[3 * i]!) * out[i]!;
    };
    const full = marchingCubes(steep, { resolution: 64, coarseBlock: 0 });
    for (const lipschitz of [1, 1e-6]) {
      const coarse = marchingCubes(steep, { resolution: 64, lipschitz });
      expect(coarse.mesh.indices).toEqual(full.mesh.indices);
      expect(coarse.mesh.positions).toEqual(full.mesh.positions);
      expect(coarse.stats.evaluatedPoints).toBeLessThan(0.2 * 64 ** 3);
    }
  });

  test('a surface component inside one block, whose corners all agree, is found by the Lipschitz bound', () => {
    // A sphere of radius 0.04 (an exact SDF, so L = 1 holds) between the coarse corners of a 64^3 grid.
    const bubble: FieldEvaluator = (points, count, out) => {
      for (let i = 0; i < count; i++) {
        out[i] = Math.hypot(points[3 * i]! - 0.21, points[3 * i + 1]! + 0.33, points[3 * i + 2]! - 0.05) - 0.04;
      }
    };
    const full = marchingCubes(bubble, { resolution: 64, coarseBlock: 0 });
    const coarse = marchingCubes(bubble, { resolution: 64 });
    expect(full.mesh.indices.length).toBeGreaterThan(0);
    expect(coarse.mesh.positions).toEqual(full.mesh.positions);
    expect(coarse.stats.evaluatedPoints).toBeLessThan(0.05 * 64 ** 3);
    // Without the bound (L -> 0) only mixed-sign blocks start the flood fill, and none reaches the bubble.
    expect(marchingCubes(bubble, { resolution: 64, lipschitz: 1e-6 }).mesh.indices).toHaveLength(0);
  });

  test('vertex colours from a callback and from a colour grid', () => {
    const red = (points: Float32Array, count: number, out: Float32Array): void => {
      for (let i = 0; i < count; i++) out.set([(points[3 * i]! + 1) / 2, 0, 1], 3 * i);
    };
    const { mesh } = marchingCubes(sphere, { resolution: 24, color: red });
    expect(mesh.colors).toHaveLength(mesh.positions.length);
    for (let i = 0; i < mesh.positions.length; i += 3) {
      expect(mesh.colors![i]).toBeCloseTo((mesh.positions[i]! + 1) / 2, 6);
    }

    const n = 16;
    const values = new Float32Array(n ** 3);
    const colors = new Float32Array(3 * n ** 3);
    const point = new Float32Array(3);
    for (let z = 0, i = 0; z < n; z++) {
      for (let y = 0; y < n; y++) {
        for (let x = 0; x < n; x++, i++) {
          point.set([(2 * x) / (n - 1) - 1, (2 * y) / (n - 1) - 1, (2 * z) / (n - 1) - 1]);
          sphere(point, 1, values.subarray(i, i + 1));
          colors.set([(point[0]! + 1) / 2, 0.5, 0.25], 3 * i); // linear in x: interpolation is exact
        }
      }
    }
    const gridMesh = marchingCubesGrid(values, { resolution: n, colors });
    expectWatertight(gridMesh.indices, gridMesh.positions.length / 3, 2);
    for (let i = 0; i < gridMesh.positions.length; i += 3) {
      expect(gridMesh.colors![i]).toBeCloseTo((gridMesh.positions[i]! + 1) / 2, 5);
      expect(gridMesh.colors![i + 1]).toBeCloseTo(0.5, 6);
    }
  });

  test('an empty field gives an empty mesh', () => {
    const { mesh } = marchingCubes((_, count, out) => out.fill(1, 0, count), { resolution: 16 });
    expect(mesh.indices).toHaveLength(0);
    expect(mesh.positions).toHaveLength(0);
  });

  test('bad options and values fail naming what is wrong', () => {
    expect(() => marchingCubes(sphere, { resolution: 0 })).toThrow(/resolution must be an integer in \[2, 256\]/);
    expect(() => marchingCubes(sphere, { resolution: 4096 })).toThrow(RangeError);
    expect(() => marchingCubes(sphere, { resolution: 16, coarseBlock: 16 })).toThrow(/coarseBlock/);
    expect(() => marchingCubes(sphere, { lipschitz: 0 })).toThrow(/lipschitz/);
    expect(() => marchingCubes(sphere, { bounds: { min: [0, 0, 0], max: [1, 0, 1] } })).toThrow(/bounds/);
    expect(() => marchingCubes((_, count, out) => out.fill(Number.NaN, 0, count), { resolution: 8 })).toThrow(
      /NaN/,
    );
    expect(() => marchingCubesGrid(new Float32Array(7), { resolution: 2 })).toThrow(/values must hold 8/);
  });
});
