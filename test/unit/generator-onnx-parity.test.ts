/**
 * onnxruntime-node vs PyTorch for the pack's generator.onnx (issue 5): golden/generator.json holds one prompt's
 * text states and the PyTorch triplane at fixed sampled indices; the ONNX output must agree within 1e-3 (max abs),
 * and the text states must be what the pack's own text_encoder.onnx gives for that prompt (the generator was
 * trained against that encoder).
 */
import * as ort from 'onnxruntime-node';
import { afterAll, expect, test } from 'vitest';
import { loadModelPack } from '../../src/pack/model-pack.js';
import { DEFAULT_PACK_URL, readPackFile } from '../fixtures/pack-files.js';

interface GoldenGenerator {
  readonly prompt: string;
  readonly text_states: { readonly shape: number[]; readonly data: number[] };
  readonly triplane_shape: number[];
  readonly indices: number[];
  readonly values: number[];
}

const pack = await loadModelPack(DEFAULT_PACK_URL, { read: readPackFile });
const generator = pack.generator;
const sessions: ort.InferenceSession[] = [];
afterAll(async () => {
  await Promise.all(sessions.map((session) => session.release()));
  pack.release();
});

async function session(model: Uint8Array): Promise<ort.InferenceSession> {
  const s = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  sessions.push(s);
  return s;
}

test('generator.onnx matches PyTorch on the golden prompt within 1e-3', async () => {
  expect(generator, 'the default pack ships a generator').not.toBeNull();
  const golden = JSON.parse(new TextDecoder().decode(pack.file('golden/generator.json'))) as GoldenGenerator;
  const states = new Float32Array(golden.text_states.data);
  const gen = await session(generator!.model);
  const out = await gen.run({ text_states: new ort.Tensor('float32', states, golden.text_states.shape) });
  const triplane = out['triplane']!;
  expect([...triplane.dims]).toEqual(golden.triplane_shape);
  const data = triplane.data as Float32Array;
  const maxAbs = Math.max(...golden.indices.map((index, k) => Math.abs(data[index]! - golden.values[k]!)));
  console.log(`generator.onnx parity: max abs ${maxAbs.toExponential(2)} over ${golden.indices.length} values`);
  expect(maxAbs).toBeLessThanOrEqual(1e-3);

  const ids = pack.prior.tokenizer.encodeBatch([golden.prompt]);
  const encoder = await session(pack.prior.textEncoder);
  const hidden = (await encoder.run({ input_ids: new ort.Tensor('int64', ids, [1, ids.length]) }))['hidden']!;
  const encoded = hidden.data as Float32Array;
  const maxStates = Math.max(...Array.from(states, (v, i) => Math.abs(v - encoded[i]!)));
  expect(maxStates).toBeLessThanOrEqual(1e-3);
});

