// Runs the guidance kernels (WGSL, on this page's own GPUDevice) and their CPU twin on the same random inputs, for
// guidance-kernels.test.ts to compare. The kernels are bundled from src/ (they are not part of the public API).
import { createStorageBuffer, readFloat32Buffer } from '../../../src/kernels/gpu-buffers.js';
import { GpuGuidance } from '../../../src/kernels/guidance.js';
import { guidanceGradientCpu, noisySamplesCpu } from '../../../src/kernels/guidance-cpu.js';
import {
  asdShiftedTimestep,
  guidanceCoefficients,
  predictionsPerImage,
  type GuidanceMethod,
} from '../../../src/kernels/guidance-options.js';
import { lcg, uniformArray } from '../../fixtures/random.js';
import { reportResult } from './page-result.js';

interface Case {
  name: string;
  method: GuidanceMethod;
  batch: number;
  renderResolution: number;
  priorResolution: number;
  guidanceScale: number;
  /** Write NaN, +Inf and -Inf into the predictions. */
  nonFinite?: boolean;
}

/** Small on purpose (SwiftShader); some sizes are not multiples of the workgroup size, some images upsampled. */
const CASES: Case[] = [
  { name: 'asd', method: 'asd', batch: 2, renderResolution: 8, priorResolution: 8, guidanceScale: 7.5 },
  { name: 'asd upsampled x2', method: 'asd', batch: 1, renderResolution: 4, priorResolution: 8, guidanceScale: 7.5 },
  { name: 'sds', method: 'sds', batch: 2, renderResolution: 8, priorResolution: 8, guidanceScale: 100 },
  { name: 'sds 10 -> 20', method: 'sds', batch: 1, renderResolution: 10, priorResolution: 20, guidanceScale: 20 },
  { name: 'asd upsampled x3', method: 'asd', batch: 2, renderResolution: 3, priorResolution: 9, guidanceScale: 7.5 },
  { name: 'csd upsampled x4', method: 'csd', batch: 3, renderResolution: 2, priorResolution: 8, guidanceScale: 1.5 },
  { name: 'asd non-finite', method: 'asd', batch: 2, renderResolution: 4, priorResolution: 4, guidanceScale: 7.5,
    nonFinite: true },
];

/** The cosine schedule (schedule.py), enough for coefficients that look like the real ones. */
function cosineAlphasCumprod(T: number): Float64Array {
  const f = (t: number): number => Math.cos(((t / T + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
  let product = 1;
  return Float64Array.from({ length: T }, (_, t) => {
    product *= 1 - Math.min(1 - f(t + 1) / f(t), 0.999);
    return product;
  });
}

/** Float arrays with non-finite values as strings, which any serialisation keeps. */
function list(a: ArrayLike<number>): (number | string)[] {
  return Array.from(a, (v) => (Number.isFinite(v) ? v : String(v)));
}

async function runCase(device: GPUDevice, c: Case, seed: number, alphasCumprod: Float64Array) {
  const { batch: B, renderResolution: r, priorResolution: R, method } = c;
  const sizes = { batch: B, renderResolution: r, priorResolution: R };
  const next = lcg(seed);
  const timesteps = Array.from({ length: B }, () => 20 + Math.floor(next() * 960));
  const shifted = method === 'asd' ? timesteps.map((t) => asdShiftedTimestep(next(), 0.1, t, 20, 1000)) : null;
  const coefficients = guidanceCoefficients(method, alphasCumprod, timesteps, shifted);
  const rgb = uniformArray(Float32Array, B * 3 * r * r, seed + 1, 0, 1);
  const noise = uniformArray(Float32Array, B * 3 * R * R, seed + 2, -2, 2);
  const predictions = uniformArray(Float32Array, predictionsPerImage(method) * B * 3 * R * R, seed + 3, -2, 2);
  if (c.nonFinite) {
    predictions[0] = NaN;
    predictions[5] = Infinity;
    predictions[B * 3 * R * R + 9] = -Infinity; // an unconditional row
  }

  const cpuSamples = noisySamplesCpu(method, sizes, rgb, noise, coefficients);
  const cpuUpstream = new Float32Array(B * 3 * r * r);
  const cpuLosses = guidanceGradientCpu(method, sizes, c.guidanceScale, predictions, noise, coefficients,
    cpuUpstream);

  const guidance = new GpuGuidance(device, { ...sizes, method, guidanceScale: c.guidanceScale });
  const rgbBuffer = createStorageBuffer(device, rgb, 'test rgb');
  const predictionsBuffer = createStorageBuffer(device, predictions, 'test predictions');
  try {
    guidance.writeStep(noise, coefficients);
    guidance.noisySamples(rgbBuffer);
    guidance.gradient(predictionsBuffer);
    const samples = await readFloat32Buffer(device, guidance.samples, cpuSamples.length);
    const upstream = await readFloat32Buffer(device, guidance.upstream, cpuUpstream.length);
    const losses = await guidance.readLosses();
    return {
      name: c.name,
      nonFinite: c.nonFinite ?? false,
      cpu: { samples: list(cpuSamples), upstream: list(cpuUpstream), losses: list(cpuLosses) },
      gpu: { samples: list(samples), upstream: list(upstream), losses: list(losses) },
    };
  } finally {
    guidance.dispose();
    rgbBuffer.destroy();
    predictionsBuffer.destroy();
  }
}

reportResult(
  (async () => {
    const adapter = await navigator.gpu?.requestAdapter();
    if (!adapter) throw new Error('WebGPU is not available (navigator.gpu or an adapter is missing)');
    const device = await adapter.requestDevice({ label: 'guidance kernels test' });
    const alphasCumprod = cosineAlphasCumprod(1000);
    const gpuErrors: string[] = [];
    device.addEventListener('uncapturederror', (event) => gpuErrors.push(event.error.message));
    try {
      const cases = [];
      for (const [i, c] of CASES.entries()) cases.push(await runCase(device, c, 10 * i + 1, alphasCumprod));
      let disposedThrows = false;
      const guidance = new GpuGuidance(device, { method: 'sds', guidanceScale: 100, batch: 1, renderResolution: 2,
        priorResolution: 2 });
      guidance.dispose();
      try {
        guidance.gradient(guidance.samples);
      } catch (error) {
        disposedThrows = /after dispose/.test(String(error));
      }
      await device.queue.onSubmittedWorkDone();
      if (gpuErrors.length) throw new Error(`WebGPU errors:\n${gpuErrors.join('\n')}`);
      return { cases, disposedThrows };
    } finally {
      device.destroy();
    }
  })(),
);
