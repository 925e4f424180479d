import * as ort from 'onnxruntime-node';
import { expect, test } from 'vitest';
import { ADD_MODEL_INPUT, ADD_MODEL_OUTPUT, addModel, MIXED_MODEL, mixedTypeModel } from '../fixtures/add-model.js';

// The browser tests run these hand-encoded models in the compute worker; here onnxruntime-node checks that the
// encoding is valid ONNX, so a failure there points at the browser side.
test('the hand-encoded Add model is valid ONNX and computes x + x', async () => {
  const session = await ort.InferenceSession.create(addModel());
  try {
    expect(session.inputNames).toEqual([ADD_MODEL_INPUT]);
    expect(session.outputNames).toEqual([ADD_MODEL_OUTPUT]);
    const x = new ort.Tensor('float32', Float32Array.of(1, -2, 3.5), [3]);
    const { [ADD_MODEL_OUTPUT]: y } = await session.run({ [ADD_MODEL_INPUT]: x });
    expect(y?.dims).toEqual([3]);
    expect(Array.from((await y?.getData()) as Float32Array)).toEqual([2, -4, 7]);
  } finally {
    await session.release();
  }
});

test('the hand-encoded mixed-type model takes int64 and int32 and returns float32, int64 and int32', async () => {
  const session = await ort.InferenceSession.create(mixedTypeModel());
  try {
    const { ids, offsets, sum, doubledIds, doubledOffsets } = MIXED_MODEL;
    expect(session.inputNames).toEqual([ids, offsets]);
    expect(session.outputNames).toEqual([sum, doubledIds, doubledOffsets]);
    const results = await session.run({
      [ids]: new ort.Tensor('int64', BigInt64Array.of(1n, 2n, 2n ** 40n), [3]),
      [offsets]: new ort.Tensor('int32', Int32Array.of(10, -20, 0), [3]),
    });
    expect(results[sum]?.type).toBe('float32');
    expect(Array.from(results[sum]!.data as Float32Array)).toEqual([11, -18, 2 ** 40]);
    expect(results[doubledIds]?.type).toBe('int64');
    expect(Array.from(results[doubledIds]!.data as BigInt64Array)).toEqual([2n, 4n, 2n ** 41n]);
    expect(results[doubledOffsets]?.type).toBe('int32');
    expect(Array.from(results[doubledOffsets]!.data as Int32Array)).toEqual([20, -40, 0]);
  } finally {
    await session.release();
  }
});
