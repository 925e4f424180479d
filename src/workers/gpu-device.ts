import type { AdapterSummary } from './compute-protocol.js';
import { countCreated, countReleased } from './resource-counters.js';

/** A GPUDevice with a description of the adapter it came from. */
export interface ComputeDevice {
  readonly device: GPUDevice;
  readonly adapter: AdapterSummary;
  /** Whether the adapter is a software fallback (e.g. SwiftShader): correct, but far slower than a GPU. */
  readonly isFallbackAdapter: boolean;
}

/**
 * Requests a WebGPU device for compute work. The device counts as a `gpuDevice` in the worker's resource counts
 * (resource-counters.ts) until it is lost, which `device.destroy()` also causes.
 * @throws {Error} if WebGPU is unavailable (no `navigator.gpu`, or no adapter), saying which.
 */
export async function requestComputeDevice(): Promise<ComputeDevice> {
  if (!('gpu' in navigator)) throw new Error('WebGPU is unavailable: navigator.gpu is undefined in this context');
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) throw new Error('WebGPU is unavailable: navigator.gpu.requestAdapter() returned null');
  const device = await adapter.requestDevice({ label: 'scaledreamer compute' });
  countCreated('gpuDevice');
  void device.lost.then(() => countReleased('gpuDevice'));
  const { vendor, architecture, device: deviceName, description, isFallbackAdapter } = adapter.info;
  return {
    device,
    adapter: { vendor, architecture, device: deviceName, description },
    // Older browsers lack the field; SwiftShader names itself.
    isFallbackAdapter: isFallbackAdapter ?? /swiftshader/i.test(`${vendor} ${architecture} ${description}`),
  };
}

/** What a lost device's `lost` promise says, in one line. */
export function describeDeviceLoss(info: GPUDeviceLostInfo): string {
  return `the WebGPU device was lost (${info.reason}${info.message ? `: ${info.message}` : ''})`;
}
