/**
 * Module worker that owns one GPUDevice and runs our WGSL kernels and onnxruntime-web sessions on it, so that the
 * main thread never blocks on GPU readbacks or model loading. Reached through {@link ComputeWorker}.
 */
import * as Comlink from 'comlink';
import { GpuAdam } from '../kernels/adam.js';
import { createStorageBuffer, readFloat32Buffer } from '../kernels/gpu-buffers.js';
import type { ComputeWorkerApi } from './compute-protocol.js';
import { requestComputeDevice, type ComputeDevice } from './gpu-device.js';
import { runOnnxModel } from './onnx-runner.js';

let computeDevice: Promise<ComputeDevice> | undefined;

/** The worker's device, requested on first use and again after it is lost. */
function getComputeDevice(): Promise<ComputeDevice> {
  if (!computeDevice) {
    const requested = requestComputeDevice();
    computeDevice = requested;
    const forget = (): void => {
      if (computeDevice === requested) computeDevice = undefined;
    };
    requested.then(({ device }) => device.lost.then(forget), forget);
  }
  return computeDevice;
}

const api: ComputeWorkerApi = {
  async adapterInfo() {
    return (await getComputeDevice()).adapter;
  },

  async adam(params, gradients, options) {
    const { device } = await getComputeDevice();
    const gradient = gradients.find((g) => g.length !== params.length);
    if (gradient) {
      throw new RangeError(`every gradient must have params.length (${params.length}) values, got ${gradient.length}`);
    }
    const paramsBuffer = createStorageBuffer(device, params, 'adam params');
    const gradsBuffer = createStorageBuffer(device, new Float32Array(params.length), 'adam grads');
    const adam = new GpuAdam(device, { params: paramsBuffer, grads: gradsBuffer }, params.length, options);
    try {
      for (const g of gradients) {
        device.queue.writeBuffer(gradsBuffer, 0, g);
        adam.step();
      }
      const result = await readFloat32Buffer(device, paramsBuffer, params.length);
      return Comlink.transfer(result, [result.buffer]);
    } finally {
      adam.dispose();
      paramsBuffer.destroy();
      gradsBuffer.destroy();
    }
  },

  async runModel(model, feeds) {
    const outputs = await runOnnxModel((await getComputeDevice()).device, model, feeds);
    return Comlink.transfer(outputs, Object.values(outputs).map((tensor) => tensor.data.buffer));
  },
};

Comlink.expose(api);
