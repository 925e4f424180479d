import type { Float32TensorMap } from './compute-protocol.js';

/**
 * Runs `model` once with onnxruntime-web's WebGPU build on `device`, so that its tensors can share the device with our
 * own kernels (a buffer from another device would silently give wrong results).
 *
 * onnxruntime-web is imported lazily into its own chunk: it locates its .wasm next to that chunk
 * (`new URL(..., import.meta.url)`), and it starts its threads from that chunk's URL, which therefore must not be the
 * worker entry that calls `Comlink.expose`.
 *
 * @throws {TypeError} if an output is not a float32 tensor.
 */
export async function runOnnxModel(
  device: GPUDevice,
  model: Uint8Array<ArrayBuffer>,
  feeds: Float32TensorMap,
): Promise<Float32TensorMap> {
  const ort = await import('onnxruntime-web/webgpu');
  const session = await ort.InferenceSession.create(model, { executionProviders: [{ name: 'webgpu', device }] });
  try {
    const inputs = Object.fromEntries(
      Object.entries(feeds).map(([name, { data, dims }]) => [name, new ort.Tensor('float32', data, dims)]),
    );
    const results = await session.run(inputs);
    const outputs: Float32TensorMap = {};
    for (const [name, tensor] of Object.entries(results)) {
      if (tensor.type !== 'float32') throw new TypeError(`output ${name} is ${tensor.type}, expected float32`);
      outputs[name] = { dims: tensor.dims, data: (await tensor.getData()) as Float32Array<ArrayBuffer> };
      tensor.dispose();
    }
    return outputs;
  } finally {
    await session.release();
  }
}
