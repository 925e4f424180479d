/**
 * The generation worker's pipeline (src/workers/generation-pipeline.ts) in Node, with onnxruntime-node sessions on
 * the default pack's text encoder and generator: prompt ids -> mesh arrays in Babylon space. The browser tests run
 * the same pipeline inside the worker with onnxruntime-web.
 */
import * as ort from 'onnxruntime-node';
import { afterAll, expect, test } from 'vitest';
import { loadModelPack } from '../../src/pack/model-pack.js';
import { GenerationPipeline, type TensorConstructor } from '../../src/workers/generation-pipeline.js';
import type { WorkerStage } from '../../src/workers/generation-protocol.js';
import { DEFAULT_PACK_URL, readPackFile } from '../fixtures/pack-files.js';

const pack = await loadModelPack(DEFAULT_PACK_URL, { read: readPackFile, testFiles: 'skip' });
const generator = pack.generator!;
const options = { intraOpNumThreads: 1, interOpNumThreads: 1 };
const sessions = await Promise.all([
  ort.InferenceSession.create(pack.prior.textEncoder, options),
  ort.InferenceSession.create(generator.model, options),
]);
const pipeline = new GenerationPipeline(
  { textEncoder: sessions[0], generator: sessions[1], decoder: generator.decoder },
  ort.Tensor as unknown as TensorConstructor,
);
const ids = (prompt: string) => BigInt64Array.from(pack.prior.tokenizer.encode(prompt).ids, BigInt);

afterAll(async () => {
  await Promise.all(sessions.map((session) => session.release()));
});

test('the default pack has a generator whose triplane the decoder reads', () => {
  expect(generator.decoder.shape.channels).toBeGreaterThan(0);
  expect(generator.decoder.shape.resolution).toBeGreaterThan(1);
});

test('a prompt becomes a grounded, coloured mesh inside the asset box, stage by stage', async () => {
  const stages: WorkerStage[] = [];
  const result = await pipeline.run({ inputIds: ids('a red wooden barrel'), gridSize: 48 }, (stage) =>
    stages.push(stage),
  );
  expect(stages).toEqual(['encoding', 'generating', 'meshing']);
  const vertices = result.positions.length / 3;
  expect(vertices).toBeGreaterThan(100);
  expect(result.normals).toHaveLength(3 * vertices);
  expect(result.colors).toHaveLength(4 * vertices);
  expect(result.indices.length % 3).toBe(0);
  expect(Math.max(...result.indices)).toBeLessThan(vertices);
  expect(result.bounds.min[1]).toBeCloseTo(0, 5);
  expect(result.bounds.max[1]).toBeLessThanOrEqual(2);
  for (const axis of [0, 2]) {
    expect(result.bounds.min[axis]).toBeGreaterThanOrEqual(-1);
    expect(result.bounds.max[axis]).toBeLessThanOrEqual(1);
  }
  for (const value of result.colors) expect(value >= 0 && value <= 1).toBe(true);
  console.log(`pipeline in Node (onnxruntime-node, 1 thread), grid 48: ${JSON.stringify(result.timings)}`);
});

test('different prompts give different meshes; the same prompt gives the same mesh', async () => {
  const run = (prompt: string) => pipeline.run({ inputIds: ids(prompt), gridSize: 24 });
  const [a, b, c] = [await run('a red wooden barrel'), await run('a red wooden barrel'), await run('a blue tent')];
  expect(b.positions).toEqual(a.positions);
  expect(c.colors).not.toEqual(a.colors);
});
