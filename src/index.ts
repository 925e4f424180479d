export { ComputeWorker, type ComputeWorkerOptions } from './plugin/compute-worker.js';
export type { AdapterSummary, Float32Tensor, Float32TensorMap } from './workers/compute-protocol.js';
export { type AdamOptions } from './kernels/adam-options.js';
export { CpuAdam } from './kernels/adam-cpu.js';
export { ADAM_WORKGROUP_SIZE, GpuAdam, type AdamTarget } from './kernels/adam.js';
