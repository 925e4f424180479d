/**
 * Coarse-to-fine marching cubes on a real field: the default pack's generator output for a prompt, whose SDF is far
 * from 1-Lipschitz (|grad| ~5). The flood fill must still give exactly the full grid's mesh with the default bound.
 */
import * as ort from 'onnxruntime-node';
import { afterAll, expect, test } from 'vitest';
import { CpuTriplaneDecoder } from '../../src/kernels/triplane-decode-cpu.js';
import { marchingCubes, type FieldEvaluator } from '../../src/mesh/marching-cubes.js';
import { loadModelPack } from '../../src/pack/model-pack.js';
import { GenerationPipeline, type TensorConstructor } from '../../src/workers/generation-pipeline.js';
import { DEFAULT_PACK_URL, readPackFile } from '../fixtures/pack-files.js';

const pack = await loadModelPack(DEFAULT_PACK_URL, { read: readPackFile, testFiles: 'skip' });
const generator = pack.generator!;
const options = { intraOpNumThreads: 1, interOpNumThreads: 1 };
const sessions = await Promise.all([
  ort.InferenceSession.create(pack.prior.textEncoder, options),
  ort.InferenceSession.create(generator.model, options),
]);
afterAll(async () => {
  await Promise.all(sessions.map((session) => session.release()));
});

test('on the default pack\'s barrel, coarse-to-fine equals the full grid at 64^3 while decoding under 20%', async () => {
  const pipeline = new GenerationPipeline(
    { textEncoder: sessions[0], generator: sessions[1], decoder: generator.decoder },
    ort.Tensor as unknown as TensorConstructor,
  );
  const ids = BigInt64Array.from(pack.prior.tokenizer.encode('a red wooden barrel').ids, BigInt);
  const { planes } = await pipeline.triplane(ids);
  const decoder = new CpuTriplaneDecoder(generator.decoder.shape, planes, generator.decoder.weights);
  const sdf: FieldEvaluator = (points, count, out) => decoder.decode(points, count, out);
  const full = marchingCubes(sdf, { resolution: 64, coarseBlock: 0 });
  expect(full.mesh.indices.length).toBeGreaterThan(1000);
  const coarse = marchingCubes(sdf, { resolution: 64 });
  expect(coarse.mesh.indices).toEqual(full.mesh.indices);
  expect(coarse.mesh.positions).toEqual(full.mesh.positions);
  expect(coarse.mesh.normals).toEqual(full.mesh.normals);
  expect(coarse.stats.evaluatedPoints).toBeLessThan(0.2 * 64 ** 3);
}, 60_000);
