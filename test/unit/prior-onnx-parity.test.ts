/**
 * onnxruntime-node vs PyTorch for the prior's two ONNX files (issue 4): the golden inputs of models/default/golden
 * go through text_encoder.onnx and unet.onnx, and each named output must be within the golden index's tolerance
 * (max abs 1e-3) of the PyTorch output stored beside it. The graphs' input and output names, types and dimensions
 * are also checked against their manifest entries: the loader cannot open graphs, so this is where they are tied.
 */
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, test } from 'vitest';
import type { Dim } from '../../src/pack/json-fields.js';
import type { OnnxFileEntry, TensorSpec } from '../../src/pack/manifest.js';
import { loadModelPack } from '../../src/pack/model-pack.js';
import { loadGoldenPrior, type GoldenModel } from '../fixtures/golden-prior.js';
import { DEFAULT_PACK_URL, readPackFile } from '../fixtures/pack-files.js';

const pack = await loadModelPack(DEFAULT_PACK_URL, { read: readPackFile });
const golden = loadGoldenPrior(pack);
const entry = (role: string) => pack.manifest.files.find((file) => file.role === role) as OnnxFileEntry;
const sessions: ort.InferenceSession[] = [];

afterAll(async () => {
  await Promise.all(sessions.map((session) => session.release()));
});

/**
 * A graph's dimension fits the manifest's when both are the same number, or the graph's is symbolic (some exporters
 * lose static sizes; the output's actual dimensions are then checked after the run). A manifest name (`batch`)
 * must be symbolic in the graph too.
 */
function dimFits(graph: Dim, manifest: Dim): boolean {
  return typeof graph === 'string' || graph === manifest;
}

function checkMetadata(metadata: readonly ort.InferenceSession.ValueMetadata[], specs: Record<string, TensorSpec>) {
  expect(metadata.map((value) => value.name).sort()).toEqual(Object.keys(specs).sort());
  for (const value of metadata) {
    const spec = specs[value.name]!;
    expect(value.isTensor, value.name).toBe(true);
    if (!value.isTensor) continue;
    expect(value.type, value.name).toBe(spec.dtype);
    expect(value.shape.length, value.name).toBe(spec.shape.length);
    value.shape.forEach((dim, i) => {
      expect(dimFits(dim, spec.shape[i]!), `${value.name}.shape[${i}]: graph ${dim}, manifest ${spec.shape[i]}`).toBe(
        true,
      );
    });
  }
}

interface Parity {
  /** max |onnx - torch| */
  readonly maxAbs: number;
  /** max |torch|: the scale that the tolerance is measured against. */
  readonly maxTorch: number;
}

/** Runs the graph on the golden inputs and compares every output. */
async function parity(file: OnnxFileEntry, model: Uint8Array, vectors: GoldenModel): Promise<Record<string, Parity>> {
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  sessions.push(session);
  expect([...session.inputNames].sort()).toEqual(Object.keys(file.inputs).sort());
  expect([...session.outputNames].sort()).toEqual(Object.keys(file.outputs).sort());
  checkMetadata(session.inputMetadata, file.inputs);
  checkMetadata(session.outputMetadata, file.outputs);
  expect(Object.keys(vectors.inputs).sort()).toEqual(Object.keys(file.inputs).sort());
  expect(Object.keys(vectors.outputs).sort()).toEqual(Object.keys(file.outputs).sort());

  const feeds = Object.fromEntries(
    Object.entries(vectors.inputs).map(([name, { dtype, shape, data }]) => [name, new ort.Tensor(dtype, data, shape)]),
  );
  const results = await session.run(feeds);
  const report: Record<string, Parity> = {};
  for (const [name, expected] of Object.entries(vectors.outputs)) {
    const actual = results[name]!;
    const batch = expected.shape[0]!;
    // The manifest's shape with the symbolic batch bound: what the graph must really produce.
    const manifestShape = file.outputs[name]!.shape.map((dim, i) => (i === 0 ? batch : dim));
    expect(actual.dims).toEqual(manifestShape);
    expect(actual.dims).toEqual(expected.shape);
    const data = actual.data as Float32Array;
    let maxAbs = 0;
    let maxTorch = 0;
    for (let i = 0; i < data.length; i++) {
      const torch = expected.data[i] as number;
      maxAbs = Math.max(maxAbs, Math.abs(data[i]! - torch));
      maxTorch = Math.max(maxTorch, Math.abs(torch));
    }
    report[name] = { maxAbs, maxTorch };
  }
  return report;
}

describe('prior ONNX files: onnxruntime-node vs PyTorch (models/default/golden/prior.json)', () => {
  test('golden tolerance is the contract 1e-3', () => {
    expect(golden.toleranceMaxAbs).toBe(1e-3);
  });

  test('text_encoder.onnx: hidden', async () => {
    const { hidden } = await parity(entry('prior.text_encoder'), pack.prior.textEncoder, golden.textEncoder);
    console.log(`text_encoder.onnx hidden: max |onnx - torch| ${hidden!.maxAbs}, max |torch| ${hidden!.maxTorch}`);
    expect(hidden!.maxAbs).toBeLessThanOrEqual(golden.toleranceMaxAbs);
  });

  test('unet.onnx: noise', async () => {
    const { noise } = await parity(entry('prior.unet'), pack.prior.unet, golden.unet);
    console.log(`unet.onnx noise: max |onnx - torch| ${noise!.maxAbs}, max |torch| ${noise!.maxTorch}`);
    expect(noise!.maxAbs).toBeLessThanOrEqual(golden.toleranceMaxAbs);
  });
});
