import { modelTensorType, type ModelTensorData, type ModelTensorMap } from './compute-protocol.js';

/**
 * Runs `model` once with onnxruntime-web's WebGPU build on `device`, so that its tensors can share the device with our
 * own kernels (a buffer from another device would silently give wrong results).
 *
 * onnxruntime-web is imported lazily into its own chunk: it locates its .wasm next to that chunk
 * (`new URL(..., import.meta.url)`), and it starts its threads from that chunk's URL, which therefore must not be the
 * worker entry that calls `Comlink.expose`.
 *
 * Inputs are wrapped as they are (onnxruntime copies them into its own memory once); outputs are read back into
 * arrays of their own, for the caller to transfer.
 *
 * @throws {TypeError} if an input's array or an output's type is not float32, int32 or int64.
 */
export async function runOnnxModel(
  device: GPUDevice,
  model: Uint8Array<ArrayBuffer>,
  feeds: ModelTensorMap,
): Promise<ModelTensorMap> {
  const ort = await import('onnxruntime-web/webgpu');
  const inputs = Object.fromEntries(Object.entries(feeds).map(([name, { data, dims }]) => {
    const type = modelTensorType(data);
    if (!type) throw new TypeError(`input ${name} must be a Float32Array, Int32Array or BigInt64Array`);
    // The Tensor constructor's overloads pair each type with its array; `type` comes from the array's class.
    return [name, new ort.Tensor(type, data as Float32Array, dims)];
  }));
  const session = await ort.InferenceSession.create(model, { executionProviders: [{ name: 'webgpu', device }] });
  try {
    const results = await session.run(inputs);
    const outputs: ModelTensorMap = {};
    try {
      for (const [name, tensor] of Object.entries(results)) {
        if (tensor.type !== 'float32' && tensor.type !== 'int32' && tensor.type !== 'int64') {
          throw new TypeError(`output ${name} is ${tensor.type}; runModel returns float32, int32 and int64 only`);
        }
        const data = (await tensor.getData()) as ModelTensorData;
        outputs[name] = { dims: tensor.dims, data } as ModelTensorMap[string];
      }
    } finally {
      for (const tensor of Object.values(results)) tensor.dispose();
    }
    return outputs;
  } finally {
    await session.release();
  }
}
