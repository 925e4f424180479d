/**
 * Triplane -> coloured mesh on the CPU: marching cubes over the field's SDF (coarse-to-fine) with vertex colours
 * from its albedo, timing the decoding apart from the marching. Decoding runs on {@link CpuTriplaneDecoder}, the
 * batched forward pass (the first layer folded into the planes), not point by point on the reference twin.
 */
import type { CpuTriplaneField } from '../kernels/triplane-cpu.js';
import { CpuTriplaneDecoder } from '../kernels/triplane-decode-cpu.js';
import { marchingCubes, type MarchingCubesOptions, type MarchingCubesStats } from './marching-cubes.js';
import type { IndexedMesh } from './indexed-mesh.js';

export interface TriplaneMeshResult {
  readonly mesh: IndexedMesh;
  readonly stats: MarchingCubesStats;
  /** Milliseconds spent decoding the field (projecting the planes, SDF at grid points, albedo at vertices). */
  readonly decodeMs: number;
  /** Milliseconds spent in marching cubes itself, decoding excluded. */
  readonly marchingCubesMs: number;
}

/**
 * Meshes the field's zero level set.
 * @param field the planes and decoder to mesh (read once, at the start).
 * @param options marching-cubes options; `color` is the field's albedo and cannot be overridden.
 * @throws {RangeError} naming an option that is out of range, or if the field decodes to a non-finite SDF.
 */
export function meshTriplane(
  field: CpuTriplaneField,
  options: Omit<MarchingCubesOptions, 'color'> = {},
): TriplaneMeshResult {
  const start = performance.now();
  const decoder = new CpuTriplaneDecoder(field.shape, field.planes, field.decoder);
  let decodeMs = performance.now() - start;
  let sdfScratch = new Float32Array(0);
  const { mesh, stats } = marchingCubes(
    (points, count, out) => {
      const t = performance.now();
      decoder.decode(points, count, out);
      decodeMs += performance.now() - t;
    },
    {
      ...options,
      color: (points, count, out) => {
        const t = performance.now();
        if (sdfScratch.length < count) sdfScratch = new Float32Array(count);
        decoder.decode(points, count, sdfScratch, out);
        decodeMs += performance.now() - t;
      },
    },
  );
  return { mesh, stats, decodeMs, marchingCubesMs: performance.now() - start - decodeMs };
}
