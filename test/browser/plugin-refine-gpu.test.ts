import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { GeneratedMeshMetadata, GenerationProgress, PoolResourceCounts } from 'scaledreamer-babylon';
import { launchChromium, runPage, startSite, type Site } from './harness.js';
import type { PriorPathsResult } from './pages/gpu-prior-paths.js';

interface Run {
  losses: number[];
  views: number[][];
  planes: number[];
}
interface GpuRefinePageResult {
  initialPlanes: number[];
  cases: { method: string; cpu: Run; gpu: Run; disposedThrows: boolean }[];
  priorPaths: PriorPathsResult;
  plugin: {
    events: Omit<GenerationProgress, 'elapsedMs'>[];
    metadata: GeneratedMeshMetadata;
    sameMesh: boolean;
    changed: boolean;
    counts: PoolResourceCounts;
    workerReadbackSizes: number[];
  };
}

let site: Site;
let browser: Browser;
let run: GpuRefinePageResult;

beforeAll(async () => {
  site = await startSite();
  browser = await launchChromium({ webgpu: true });
  run = (await runPage<GpuRefinePageResult>(browser, `${site.url}plugin-refine-gpu.html`)).result;
  const { refinement } = run.plugin.metadata;
  console.log(`'webgpu' backend (SwiftShader): ${refinement?.msPerStep?.toFixed(0)} ms per step at 8x8 views, split ` +
    `${JSON.stringify(refinement?.stageMsPerStep)}`);
  const { gpu, cpu, gpuAgain, priorResolution } = run.priorPaths;
  console.log(`the pack's prior at ${priorResolution}x${priorResolution}, ASD, 1 view at 8x8 (SwiftShader), ms per ` +
    `step: GPU-resident ${gpu.msPerStep.toFixed(0)} (first run, shaders compiling), ${gpuAgain.msPerStep.toFixed(0)} ` +
    `(again); CPU tensors ${cpu.msPerStep.toFixed(0)}; bytes read back per step: GPU-resident ` +
    `${gpu.readbackBytesPerStep.join(', ')}, CPU tensors ${cpu.readbackBytesPerStep.join(', ')}`);
}, 480_000);

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

const maxAbsDiff = (a: readonly number[], b: readonly number[]): number =>
  a.reduce((max, value, i) => Math.max(max, Math.abs(value - b[i]!)), 0);

test.each(['asd', 'sds', 'csd'])('GpuRefineKernels (CPU tensors) matches CpuRefineKernels over 3 steps of %s (views, losses, planes)', (method) => {
  const { cpu, gpu, disposedThrows } = run.cases.find((c) => c.method === method)!;
  expect(gpu.losses).toHaveLength(3);
  // Relative: SDS's losses (CFG 100) are ~1e5.
  gpu.losses.forEach((loss, i) => expect(Math.abs(loss - cpu.losses[i]!)).toBeLessThan(1e-5 * cpu.losses[i]! + 1e-4));
  gpu.views.forEach((view, i) => expect(maxAbsDiff(view, cpu.views[i]!)).toBeLessThan(1e-4));
  // Float atomics in the backward and f32 vs f64 arithmetic: the planes agree to well under one Adam step (0.05).
  expect(maxAbsDiff(gpu.planes, cpu.planes)).toBeLessThan(1e-3);
  expect(maxAbsDiff(gpu.planes, run.initialPlanes)).toBeGreaterThan(0.01);
  expect(disposedThrows).toBe(true);
});

test('the GPU-resident prior matches the CPU-tensor one on the same plan and triplane, reading back only losses', () => {
  const { gpu, cpu, gpuAgain, priorResolution, rows, liveBuffersAfter } = run.priorPaths;
  const sampleBytes = rows * 3 * priorResolution ** 2 * 4;
  // Both paths give the UNet the same float32 bits (the CPU path reads them back and uploads them unchanged) and run
  // the same onnxruntime kernels and WGSL kernels, so only the order of the backward's float atomics could differ
  // (last bits of a gradient; SwiftShader gave identical results). Losses to 1e-6 relative, planes to 1e-5 after two
  // Adam steps of 0.05.
  expect(gpu.losses).toHaveLength(2);
  gpu.losses.forEach((loss, i) => expect(Math.abs(loss - cpu.losses[i]!)).toBeLessThanOrEqual(1e-6 * cpu.losses[i]!));
  expect(maxAbsDiff(gpu.planes, cpu.planes)).toBeLessThan(1e-5);
  expect(maxAbsDiff(gpu.planes, run.initialPlanes)).toBeGreaterThan(0.01);
  // Per step, the GPU-resident path reads back the loss partials alone (4 bytes each); the CPU path the sample rows
  // and the noise on top (the spy sees onnxruntime's readbacks too).
  for (const bytes of [...gpu.readbackBytesPerStep, ...gpuAgain.readbackBytesPerStep]) expect(bytes).toBeLessThan(64);
  for (const bytes of cpu.readbackBytesPerStep) expect(bytes).toBeGreaterThanOrEqual(2 * sampleBytes);
  // After each run only onnxruntime's own buffers (unlabelled: its pool, freed with the sessions) are left; every
  // buffer of the kernels and the prior (all labelled) was destroyed.
  for (const stage of ['gpu', 'cpu', 'gpuAgain'] as const) expect(Object.keys(liveBuffersAfter[stage])).toEqual(['']);
  expect(liveBuffersAfter.released).toEqual({});
});

test("the plugin's 'webgpu' backend refines on the GPU-resident path: a finite loss, the mesh updated in place", () => {
  const { events, metadata, sameMesh, changed, counts, workerReadbackSizes } = run.plugin;
  expect(metadata.backend).toBe('webgpu');
  const steps = events.filter((e) => e.stage === 'refining' && e.step > 0);
  expect(steps.map((e) => e.step)).toEqual([1]);
  for (const event of steps) {
    expect(Number.isFinite(event.loss)).toBe(true);
    expect(event.meshUpdated).toBe(true);
  }
  expect(metadata.refinement).toMatchObject({ state: 'done', stepsDone: 1, resolution: 8 });
  expect(sameMesh).toBe(true);
  expect(changed).toBe(true);
  expect(counts.inWorkers.ortSession).toEqual({ created: 3, released: 0 });
  // The worker read back the generator's planes, the loss, the views and the planes to remesh, never a tensor of
  // the sample rows' size (ASD: 3 rows of [3, R, R]).
  const sampleBytes = 3 * 3 * run.priorPaths.priorResolution ** 2 * 4;
  expect(workerReadbackSizes.length).toBeGreaterThan(0);
  expect(workerReadbackSizes.filter((bytes) => bytes === sampleBytes)).toEqual([]);
});
