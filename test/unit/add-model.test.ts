import * as ort from 'onnxruntime-node';
import { expect, test } from 'vitest';
import { ADD_MODEL_INPUT, ADD_MODEL_OUTPUT, addModel } from '../fixtures/add-model.js';

// The browser test runs this hand-encoded model on WebGPU; here onnxruntime-node checks that the encoding is valid
// ONNX, so a failure there points at the browser side.
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
