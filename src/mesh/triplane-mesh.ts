/**
 * Triplane -> coloured mesh on the CPU: marching cubes over the field's SDF (coarse-to-fine) with vertex colours
 * from its albedo, timing the decoding apart from the marching.
 */
import { CpuTriplaneField } from '../kernels/triplane-cpu.js';
import { marchingCubes, type MarchingCubesOptions, type MarchingCubesStats } from './marching-cubes.js';
import type { IndexedMesh } from './indexed-mesh.js';

export interface TriplaneMeshResult {
  readonly mesh: IndexedMesh;
  readonly stats: MarchingCubesStats;
  /** Milliseconds spent decoding the field (SDF at grid points, albedo at vertices). */
  readonly decodeMs: number;
  /** Milliseconds spent in marching cubes itself, decoding excluded. */
  readonly marchingCubesMs: number;
}

/**
 * Meshes the field's zero level set.
 * @param options marching-cubes options; `color` is the field's albedo and cannot be overridden.
 * @throws {RangeError} naming an option that is out of range, or if the field decodes to a non-finite SDF.
 */
export function meshTriplane(
  field: CpuTriplaneField,
  options: Omit<MarchingCubesOptions, 'color'> = {},
): TriplaneMeshResult {
  const act = new Float64Array(field.slotSize);
  const albedoAt = field.sdfOffset + 1;
  let decodeMs = 0;
  const start = performance.now();
  const { mesh, stats } = marchingCubes(
    (points, count, out) => {
      const t = performance.now();
      for (let i = 0; i < count; i++) {
        out[i] = field.forward(points[3 * i]!, points[3 * i + 1]!, points[3 * i + 2]!, act, 0);
      }
      decodeMs += performance.now() - t;
    },
    {
      ...options,
      color: (points, count, out) => {
        const t = performance.now();
        for (let i = 0; i < count; i++) {
          field.forward(points[3 * i]!, points[3 * i + 1]!, points[3 * i + 2]!, act, 0);
          out[3 * i] = act[albedoAt]!;
          out[3 * i + 1] = act[albedoAt + 1]!;
          out[3 * i + 2] = act[albedoAt + 2]!;
        }
        decodeMs += performance.now() - t;
      },
    },
  );
  return { mesh, stats, decodeMs, marchingCubesMs: performance.now() - start - decodeMs };
}
