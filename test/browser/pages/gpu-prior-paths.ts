// The prior's two paths on WebGPU, on the same plan and triplane: GpuRefineKernels with GpuRefinePrior (the sample
// and noise stay in GPU buffers) and GpuKernelsWithCpuTensors with OnnxRefinePrior (both cross to the CPU each step),
// both on the pack's real text encoder and UNet in onnxruntime-web/webgpu sessions on this page's device. Each step
// records the bytes read back from the GPU (every READ mapping, onnxruntime's included) during its stages.
import * as ort from 'onnxruntime-web/webgpu';
import { loadModelPack } from 'scaledreamer-babylon';
import { GpuRefineKernels } from '../../../src/refine/gpu-kernels.js';
import { GpuKernelsWithCpuTensors } from '../../../src/refine/gpu-kernels-cpu-tensors.js';
import { GpuRefinePrior } from '../../../src/refine/gpu-prior.js';
import { OnnxRefinePrior } from '../../../src/refine/onnx-prior.js';
import type { RefineKernels, RefinePrior } from '../../../src/refine/refine-backend.js';
import { refineTriplane } from '../../../src/refine/refine.js';
import type { TriplaneShape } from '../../../src/kernels/triplane-layout.js';

export interface PriorPathRun {
  losses: number[];
  planes: number[];
  /** Bytes read back during each step's render, prior and update (the reported losses included). */
  readbackBytesPerStep: number[];
  msPerStep: number;
}

export interface PriorPathsResult {
  priorResolution: number;
  /** The UNet's batch of one step (K B rows). */
  rows: number;
  gpu: PriorPathRun;
  cpu: PriorPathRun;
  /** Live GPU buffers by label after the sessions were made, after each run's objects were disposed, and at the end. */
  liveBuffersAfter: Record<'sessions' | 'gpu' | 'cpu' | 'gpuAgain' | 'released', Record<string, number>>;
  gpuAgain: PriorPathRun;
}

/** Tracks the GPUBuffers created and not yet destroyed from now on (onnxruntime's included), counted by label. */
function trackLiveBuffers(): () => Record<string, number> {
  const live = new Set<GPUBuffer>();
  const create = GPUDevice.prototype.createBuffer;
  GPUDevice.prototype.createBuffer = function (this: GPUDevice, descriptor: GPUBufferDescriptor) {
    const buffer = create.call(this, descriptor);
    live.add(buffer);
    return buffer;
  };
  const destroy = GPUBuffer.prototype.destroy;
  GPUBuffer.prototype.destroy = function (this: GPUBuffer) {
    live.delete(this);
    return destroy.call(this);
  };
  return () => {
    const counts: Record<string, number> = {};
    for (const buffer of live) counts[buffer.label] = (counts[buffer.label] ?? 0) + 1;
    return counts;
  };
}

export async function comparePriorPaths(
  device: GPUDevice,
  readbackSizes: readonly number[],
  triplane: { shape: TriplaneShape; planes: Float32Array<ArrayBuffer>; decoder: Float32Array<ArrayBuffer> },
): Promise<PriorPathsResult> {
  const liveBuffers = trackLiveBuffers();
  const pack = await loadModelPack('./models/default/', { testFiles: 'skip' });
  const { prior } = pack;
  const provider = { name: 'webgpu', device } as const;
  const textEncoder = await ort.InferenceSession.create(prior.textEncoder, {
    executionProviders: [provider],
    preferredOutputLocation: { hidden: 'gpu-buffer' },
  });
  const unet = await ort.InferenceSession.create(prior.unet, {
    executionProviders: [provider],
    preferredOutputLocation: { noise: 'gpu-buffer' },
  });
  const parts = {
    textEncoder,
    unet,
    tokenizer: prior.tokenizer,
    schedule: prior.schedule,
    resolution: prior.resolution,
    unconditionalPrompt: prior.text.unconditionalPrompt,
  };
  const readBytes = () => readbackSizes.reduce((sum, size) => sum + size, 0);

  async function run<Sample, Prediction>(kernels: RefineKernels<Sample, Prediction>,
    refinePrior: RefinePrior<Sample, Prediction>, steps: number): Promise<PriorPathRun> {
    const readbackBytesPerStep: number[] = [];
    let stepStart = 0;
    const metered: RefineKernels<Sample, Prediction> = {
      renderSamples: (plan) => {
        stepStart = readBytes();
        return kernels.renderSamples(plan);
      },
      update: async (plan, predictions, readLosses) => {
        const losses = await kernels.update(plan, predictions, readLosses);
        readbackBytesPerStep.push(readBytes() - stepStart);
        return losses;
      },
      readViews: () => kernels.readViews(),
      readPlanes: () => kernels.readPlanes(),
    };
    const losses: number[] = [];
    const result = await refineTriplane({ kernels: metered, prior: refinePrior, samples: 8 }, 'a red wooden barrel', {
      method: 'asd',
      steps,
      resolution: 8,
      samples: 8,
      viewsPerStep: 1,
      learningRate: 0.05,
      reportEvery: 1,
      seed: 11,
    }, { onProgress: ({ loss }) => void losses.push(loss) });
    return { losses, planes: Array.from(result.planes), readbackBytesPerStep, msPerStep: result.msPerStep };
  }

  const { shape, planes, decoder } = triplane;
  const runGpu = async (steps: number) => {
    const kernels = new GpuRefineKernels(device, shape, planes, decoder, { learningRate: 0.05 });
    const gpuPrior = new GpuRefinePrior({ ...parts, Tensor: ort.Tensor, device });
    try {
      return await run(kernels, gpuPrior, steps);
    } finally {
      gpuPrior.dispose();
      kernels.dispose();
    }
  };
  const sessions = liveBuffers();
  const gpu = await runGpu(2);
  const afterGpu = liveBuffers();
  const cpuKernels = new GpuKernelsWithCpuTensors(new GpuRefineKernels(device, shape, planes, decoder,
    { learningRate: 0.05 }));
  const cpu = await run(cpuKernels, new OnnxRefinePrior({ ...parts, Tensor: ort.Tensor }), 2);
  cpuKernels.dispose();
  const afterCpu = liveBuffers();
  const gpuAgain = await runGpu(1);
  const afterGpuAgain = liveBuffers();
  await textEncoder.release();
  await unet.release();
  pack.release();
  return {
    priorResolution: prior.resolution,
    rows: 3,
    gpu,
    cpu,
    gpuAgain,
    liveBuffersAfter: { sessions, gpu: afterGpu, cpu: afterCpu, gpuAgain: afterGpuAgain, released: liveBuffers() },
  };
}
