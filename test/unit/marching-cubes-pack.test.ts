/**
 * Coarse-to-fine marching cubes on a real field: the default pack's generator output for a prompt, whose SDF is far
 * from 1-Lipschitz (|grad| ~5). The flood fill must still give exactly the full grid's mesh with the default bound.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, expect, test } from 'vitest';
import { loadPackFromDisk, NodeGenerator } from '../../src/cli/node-generator.js';
import { CpuTriplaneDecoder } from '../../src/kernels/triplane-decode-cpu.js';
import { marchingCubes, type FieldEvaluator } from '../../src/mesh/marching-cubes.js';
import { DEFAULT_PACK_URL } from '../fixtures/pack-files.js';

const generator = await NodeGenerator.create(await loadPackFromDisk(fileURLToPath(DEFAULT_PACK_URL)));
afterAll(() => generator.release());

test('on the default pack\'s barrel, coarse-to-fine equals the full grid at 64^3 while decoding under 20%', async () => {
  const { planes } = await generator.triplane('a red wooden barrel');
  const { shape, weights } = generator.decoder;
  const decoder = new CpuTriplaneDecoder(shape, planes, weights);
  const sdf: FieldEvaluator = (points, count, out) => decoder.decode(points, count, out);
  const full = marchingCubes(sdf, { resolution: 64, coarseBlock: 0 });
  expect(full.mesh.indices.length).toBeGreaterThan(1000);
  const coarse = marchingCubes(sdf, { resolution: 64 });
  expect(coarse.mesh.indices).toEqual(full.mesh.indices);
  expect(coarse.mesh.positions).toEqual(full.mesh.positions);
  expect(coarse.mesh.normals).toEqual(full.mesh.normals);
  expect(coarse.stats.evaluatedPoints).toBeLessThan(0.2 * 64 ** 3);
}, 60_000);
