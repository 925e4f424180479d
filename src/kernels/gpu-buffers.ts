/** Small helpers for moving f32 arrays between the CPU and the GPU, and for buffers shared with onnxruntime. */

/**
 * The size of a buffer that onnxruntime-web's WebGPU build reads or writes as a tensor (`Tensor.fromGpuBuffer`):
 * its own buffers are 16-byte multiples, and its copies may round up to that.
 */
export function tensorBufferSize(bytes: number): number {
  return Math.ceil(bytes / 16) * 16;
}

/**
 * A zeroed f32 buffer of `floats` values that onnxruntime can take as a tensor: STORAGE (its kernels bind it),
 * COPY_SRC and COPY_DST (it copies into and out of its tensors), padded by {@link tensorBufferSize}.
 */
export function createTensorBuffer(device: GPUDevice, floats: number, label: string): GPUBuffer {
  return device.createBuffer({
    label,
    size: tensorBufferSize(floats * 4),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
}

/** A storage buffer filled with `data`; the caller destroys it. */
export function createStorageBuffer(device: GPUDevice, data: Float32Array<ArrayBuffer>, label: string): GPUBuffer {
  const buffer = device.createBuffer({
    label,
    size: data.byteLength,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
  device.queue.writeBuffer(buffer, 0, data);
  return buffer;
}

/** Copies the first `length` f32 values of `source` (which needs COPY_SRC usage) back to the CPU. */
export async function readFloat32Buffer(
  device: GPUDevice,
  source: GPUBuffer,
  length: number,
): Promise<Float32Array<ArrayBuffer>> {
  const staging = device.createBuffer({
    label: `${source.label} readback`,
    size: length * 4,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  try {
    const encoder = device.createCommandEncoder({ label: `${source.label} readback` });
    encoder.copyBufferToBuffer(source, 0, staging, 0, length * 4);
    device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    return new Float32Array(staging.getMappedRange().slice(0));
  } finally {
    staging.destroy();
  }
}
