/**
 * Module worker that owns one GPUDevice and runs our WGSL kernels and onnxruntime-web sessions on it, so that the
 * main thread never blocks on GPU readbacks or model loading. Reached through {@link ComputeWorker}.
 */
import * as Comlink from 'comlink';
import { GpuAdam } from '../kernels/adam.js';
import { createStorageBuffer, readFloat32Buffer } from '../kernels/gpu-buffers.js';
import { GpuTriplaneDecoder, type TriplaneBuffers } from '../kernels/triplane.js';
import { checkTriplane } from '../kernels/triplane-layout.js';
import { GpuVolsdfRenderer } from '../kernels/volsdf.js';
import type { ComputeWorkerApi, TriplaneFieldData } from './compute-protocol.js';
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

/** Uploads a field's tensors, runs `use` on them and destroys them afterwards. */
async function withField<T>(
  device: GPUDevice,
  field: TriplaneFieldData,
  use: (buffers: TriplaneBuffers) => Promise<T>,
): Promise<T> {
  checkTriplane(field.shape, field.planes, field.decoder);
  const buffers = {
    planes: createStorageBuffer(device, field.planes, 'triplane planes'),
    decoder: createStorageBuffer(device, field.decoder, 'triplane decoder'),
  };
  try {
    return await use(buffers);
  } finally {
    buffers.planes.destroy();
    buffers.decoder.destroy();
  }
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

  async decodeTriplane(field, points) {
    const { device } = await getComputeDevice();
    if (points.length === 0 || points.length % 3 !== 0) {
      throw new RangeError(`points.length must be a positive multiple of 3, got ${points.length}`);
    }
    const count = points.length / 3;
    return withField(device, field, async (buffers) => {
      const decoder = new GpuTriplaneDecoder(device, field.shape, buffers);
      const target = {
        points: createStorageBuffer(device, points, 'triplane points'),
        sdf: createStorageBuffer(device, new Float32Array(count), 'triplane sdf'),
        albedo: createStorageBuffer(device, new Float32Array(3 * count), 'triplane albedo'),
      };
      try {
        decoder.decode(target, count);
        const sdf = await readFloat32Buffer(device, target.sdf, count);
        const albedo = await readFloat32Buffer(device, target.albedo, 3 * count);
        return Comlink.transfer({ sdf, albedo }, [sdf.buffer, albedo.buffer]);
      } finally {
        decoder.dispose();
        for (const buffer of Object.values(target)) buffer.destroy();
      }
    });
  },

  async renderTriplane(field, camera, options, jitter) {
    const { device } = await getComputeDevice();
    return withField(device, field, async (buffers) => {
      const renderer = new GpuVolsdfRenderer(device, field.shape, buffers, options);
      const jitterBuffer = jitter ? createStorageBuffer(device, jitter, 'volsdf jitter') : null;
      try {
        renderer.render(camera, jitterBuffer);
        const pixels = renderer.options.width * renderer.options.height;
        const image = {
          pixels: await readFloat32Buffer(device, renderer.pixels, 3 * pixels),
          opacity: await readFloat32Buffer(device, renderer.opacity, pixels),
          depth: await readFloat32Buffer(device, renderer.depth, pixels),
        };
        return Comlink.transfer(image, [image.pixels.buffer, image.opacity.buffer, image.depth.buffer]);
      } finally {
        renderer.dispose();
        jitterBuffer?.destroy();
      }
    });
  },

  async renderTriplaneBackward(field, camera, options, upstream, jitter, decoderGradients) {
    const { device } = await getComputeDevice();
    return withField(device, field, async (buffers) => {
      const renderer = new GpuVolsdfRenderer(device, field.shape, buffers, options);
      const upstreamBuffer = createStorageBuffer(device, upstream, 'volsdf upstream');
      const jitterBuffer = jitter ? createStorageBuffer(device, jitter, 'volsdf jitter') : null;
      const targets = {
        planes: createStorageBuffer(device, new Float32Array(field.planes.length), 'volsdf grad planes'),
        decoder: decoderGradients
          ? createStorageBuffer(device, new Float32Array(field.decoder.length), 'volsdf grad decoder')
          : null,
      };
      try {
        renderer.backward(camera, upstreamBuffer, targets, jitterBuffer);
        const planes = await readFloat32Buffer(device, targets.planes, field.planes.length);
        const decoder = targets.decoder ? await readFloat32Buffer(device, targets.decoder, field.decoder.length) : null;
        return Comlink.transfer({ planes, decoder }, decoder ? [planes.buffer, decoder.buffer] : [planes.buffer]);
      } finally {
        renderer.dispose();
        for (const buffer of [upstreamBuffer, jitterBuffer, targets.planes, targets.decoder]) buffer?.destroy();
      }
    });
  },

  async runModel(model, feeds) {
    const outputs = await runOnnxModel((await getComputeDevice()).device, model, feeds);
    // A buffer listed twice would make postMessage throw.
    return Comlink.transfer(outputs, [...new Set(Object.values(outputs).map((tensor) => tensor.data.buffer))]);
  },
};

Comlink.expose(api);
