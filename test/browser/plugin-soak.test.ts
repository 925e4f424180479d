import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { GenerationWorkerInfo, PoolResourceCounts } from 'scaledreamer-babylon';
import {
  launchChromium,
  MEMORY_MEASUREMENT_FLAGS,
  rendererResidentBytes,
  runPage,
  startSite,
  type Site,
} from './harness.js';

/**
 * WASM (the default backend): 50 jobs at 24^3 (10-15 s on the shared 2-core machine; the default 64^3 takes ~4x as
 * long per job for the same code path), the first 10 a warm-up (worker start, onnxruntime's arenas, Babylon's
 * caches: the page's heap settles by then).
 */
const JOBS = 50;
const GRID_SIZE = 24;
const WARMUP = 10;
/**
 * WebGPU, for its GPU buffers: onnxruntime's WebGPU build on SwiftShader takes ~6 s per job here, so 6 jobs, sampled
 * every 2 (~45 s).
 */
const WEBGPU_JOBS = 6;
const WEBGPU_EVERY = 2;

interface Sample {
  afterJobs: number;
  counts: PoolResourceCounts;
  heap: { window: number; workers: number };
  wasmMemory: number;
  resident: number;
  meshes: number;
  materials: number;
  geometries: number;
  meshObservers: number;
}
interface SoakPageResult {
  info: GenerationWorkerInfo;
  backends: string[];
  before: Sample;
  samples: Sample[];
  jobMs: number[];
  vertices: number[];
  totalMs: number;
  liveBeforeDispose: number;
  liveAfterDispose: number;
}

const live = ({ created, released }: { created: number; released: number }) => created - released;
const megabytes = (bytes: number) => (bytes / 2 ** 20).toFixed(2);

let site: Site;
let browser: Browser;
let run: SoakPageResult;
let webgpuRun: SoakPageResult;

beforeAll(async () => {
  site = await startSite();
  // WebGPU compute for the second page; the first page's WebGL engine works with that flag too.
  browser = await launchChromium({ webgpu: true, args: MEMORY_MEASUREMENT_FLAGS });
  const url = `${site.url}plugin-soak.html?backend=wasm&jobs=${JOBS}&grid=${GRID_SIZE}&warmup=${WARMUP}`;
  ({ result: run } = await runPage<SoakPageResult>(browser, url, (page) =>
    page.exposeFunction('rendererResidentBytes', rendererResidentBytes)));
  const webgpuUrl = `${site.url}plugin-soak.html?backend=webgpu&jobs=${WEBGPU_JOBS}&grid=16&warmup=${WEBGPU_EVERY}` +
    `&every=${WEBGPU_EVERY}`;
  ({ result: webgpuRun } = await runPage<SoakPageResult>(browser, webgpuUrl));
  console.log(`WebGPU (${JSON.stringify(webgpuRun.info.adapter)}): ${webgpuRun.samples.map((s) =>
    `after ${s.afterJobs}: ${JSON.stringify(s.counts.inWorkers)}`).join('; ')}`);
  const sorted = [...run.jobMs].sort((a, b) => a - b);
  console.log(`${JOBS} jobs in ${(run.totalMs / 1000).toFixed(1)} s (median ${sorted[JOBS >> 1]!.toFixed(0)} ms per ` +
    `job, grid ${GRID_SIZE}); samples:\n${run.samples.map((s) =>
      `  after ${s.afterJobs}: heap window ${megabytes(s.heap.window)} MB, workers ${megabytes(s.heap.workers)} MB, ` +
      `WebAssembly ${megabytes(s.wasmMemory)} MB, renderer resident ${megabytes(s.resident)} MB; ` +
      `${JSON.stringify(s.counts)}`).join('\n')}`);
}, 170_000);

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

test(`${JOBS} sequential generations all succeed on the one worker`, () => {
  expect(run.backends).toEqual(['wasm']);
  expect(run.jobMs).toHaveLength(JOBS);
  for (const count of run.vertices) expect(count).toBeGreaterThan(50);
  expect(run.samples.at(-1)!.afterJobs).toBe(JOBS);
});

test('no growth in live workers, onnxruntime sessions or GPU devices', () => {
  for (const sample of [run.before, ...run.samples]) {
    const { workers, inWorkers } = sample.counts;
    // One worker for the plugin's life: never replaced.
    expect(workers, `after ${sample.afterJobs} jobs`).toEqual({ created: 1, released: 0 });
    // Its two sessions (text encoder, generator), made once.
    expect(inWorkers['ortSession'], `after ${sample.afterJobs} jobs`).toEqual({ created: 2, released: 0 });
    // WASM: no GPU device, no GPU buffer.
    expect(live(inWorkers['gpuDevice'] ?? { created: 0, released: 0 })).toBe(0);
    expect(inWorkers['gpuBuffer']).toEqual({ created: 0, released: 0 });
  }
  expect(run.liveBeforeDispose).toBe(1);
  expect(run.liveAfterDispose).toBe(0);
});

test('the scene ends as it began: every mesh, material and geometry of the jobs disposed, no observer left', () => {
  for (const sample of run.samples) {
    expect(sample.meshes).toBe(run.before.meshes);
    expect(sample.materials).toBe(run.before.materials);
    expect(sample.geometries).toBe(run.before.geometries);
    expect(sample.meshObservers).toBe(run.before.meshObservers);
  }
});

/**
 * Growth over the 40 jobs after the warm-up, as the trend through the samples says (fittedGrowth): single samples
 * swing (the page's heap by up to +-1 MiB even after gc(), from when collections and measurements interleave).
 * Bounds: 1 MiB for the page's JS heap and for the worker's, and 1 MiB for onnxruntime's WebAssembly memory in the
 * worker, which the JS heap figures leave out (measured over 140 jobs: page flat, worker +0.2 MiB, WebAssembly memory
 * 27.75 MiB throughout). Keeping every mesh instead of disposing it, a deliberate leak of ~45 KiB of page heap per
 * job at this grid, measured +1.8 MiB over 40 jobs; a triplane copy per job would be 30 MiB.
 * The renderer's resident memory is logged, not bounded: it wanders by +-10 MiB with no trend.
 */
const HEAP_BOUND = 2 ** 20;
const WASM_MEMORY_BOUND = 2 ** 20;

/**
 * The trend's rise over the samples' span of jobs, by the Theil-Sen estimator (the median of the slopes between every
 * two samples), which one outlying sample does not move.
 */
function fittedGrowth(samples: readonly Sample[], value: (sample: Sample) => number): number {
  const slopes: number[] = [];
  for (let i = 0; i < samples.length; i++) {
    for (let j = i + 1; j < samples.length; j++) {
      slopes.push((value(samples[j]!) - value(samples[i]!)) / (samples[j]!.afterJobs - samples[i]!.afterJobs));
    }
  }
  slopes.sort((a, b) => a - b);
  const middle = slopes.length >> 1;
  const median = slopes.length % 2 ? slopes[middle]! : (slopes[middle - 1]! + slopes[middle]!) / 2;
  return median * (samples.at(-1)!.afterJobs - samples[0]!.afterJobs);
}

test('no growth of the JS heap (page, worker) or of onnxruntime\'s WebAssembly memory beyond the bounds', () => {
  expect(run.samples.length).toBeGreaterThanOrEqual(5);
  const growth = {
    page: fittedGrowth(run.samples, (s) => s.heap.window),
    worker: fittedGrowth(run.samples, (s) => s.heap.workers),
    wasm: fittedGrowth(run.samples, (s) => s.wasmMemory),
    resident: fittedGrowth(run.samples, (s) => s.resident),
  };
  console.log(`fitted growth over the last ${JOBS - WARMUP} jobs (MB): ${Object.entries(growth).map(([name, bytes]) =>
    `${name} ${megabytes(bytes)}`).join(', ')}`);
  expect(run.samples[0]!.wasmMemory).toBeGreaterThan(0);
  expect(growth.page).toBeLessThan(HEAP_BOUND);
  expect(growth.worker).toBeLessThan(HEAP_BOUND);
  expect(growth.wasm).toBeLessThan(WASM_MEMORY_BOUND);
});

test('WebGPU: no growth in live GPU buffers (onnxruntime\'s included), sessions or devices', () => {
  expect(webgpuRun.backends).toEqual(['webgpu']);
  const buffers = webgpuRun.samples.map((s) => live(s.counts.inWorkers['gpuBuffer']!));
  expect(webgpuRun.samples.map((s) => s.afterJobs)).toEqual([2, 4, 6]);
  // Buffers are made and destroyed by every job; as many live after each pair of jobs.
  expect(webgpuRun.samples.at(-1)!.counts.inWorkers['gpuBuffer']!.created).toBeGreaterThan(
    webgpuRun.samples[0]!.counts.inWorkers['gpuBuffer']!.created);
  expect(new Set(buffers).size).toBe(1);
  for (const sample of webgpuRun.samples) {
    expect(sample.counts.workers).toEqual({ created: 1, released: 0 });
    expect(sample.counts.inWorkers['ortSession']).toEqual({ created: 2, released: 0 });
    expect(sample.counts.inWorkers['gpuDevice']).toEqual({ created: 1, released: 0 });
  }
});
