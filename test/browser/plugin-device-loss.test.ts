import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { GenerationWorkerInfo, PoolResourceCounts } from 'scaledreamer-babylon';
import { launchChromium, runPage, startSite, type Site } from './harness.js';

interface Outcome {
  ok: boolean;
  backend?: string;
  fallbackReason?: string | null;
  vertices?: number;
  name?: string;
  message?: string;
  state: string;
}
interface DeviceLossPageResult {
  info: GenerationWorkerInfo;
  countsBefore: PoolResourceCounts;
  stages: string[];
  destroyedMidJob: boolean;
  lostJob: Outcome;
  next: Outcome;
  countsAfter: PoolResourceCounts;
  workersCreated: number;
  destroyedIdle: boolean;
  afterIdleLoss: Outcome;
  idleCountsAfter: PoolResourceCounts;
  refineStages: string[];
  destroyedWhileRefining: boolean;
  lostRefinement: Outcome;
  refinedMeshGone: boolean;
  afterRefineLoss: Outcome;
  refineCountsAfter: PoolResourceCounts;
}

let site: Site;
let browser: Browser;
let run: DeviceLossPageResult;

beforeAll(async () => {
  site = await startSite();
  browser = await launchChromium({ webgpu: true });
  ({ result: run } = await runPage<DeviceLossPageResult>(browser, `${site.url}plugin-device-loss.html`));
  console.log(`device loss: stages ${run.stages.join(" > ")}; lost job ${JSON.stringify(run.lostJob)}; ` +
    `GPU buffers before the loss ${JSON.stringify(run.countsBefore.inWorkers["gpuBuffer"])}`);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

test('the plugin starts on WebGPU, holding one device and two sessions', () => {
  expect(run.info.backend).toBe('webgpu');
  const { workers, inWorkers } = run.countsBefore;
  expect(workers).toEqual({ created: 1, released: 0 });
  expect(inWorkers['ortSession']).toEqual({ created: 2, released: 0 });
  expect(inWorkers['gpuDevice']).toEqual({ created: 1, released: 0 });
  expect(inWorkers['gpuBuffer']!.created).toBeGreaterThan(0);
});

test('a device lost mid-job: the job completes on WASM, saying why, and the next job succeeds', () => {
  expect(run.destroyedMidJob).toBe(true);
  // Back to 'starting' once: the replacement worker's sessions.
  expect(run.stages).toEqual(['queued', 'starting', 'encoding', 'generating', 'starting', 'encoding', 'generating',
    'meshing', 'building', 'done']);
  expect(run.lostJob).toMatchObject({ ok: true, backend: 'wasm', state: 'done' });
  expect(run.lostJob.fallbackReason).toMatch(/^the WebGPU device was lost \(destroyed.*\); the plugin has run on WASM/);
  expect(run.next).toMatchObject({ ok: true, backend: 'wasm', vertices: run.lostJob.vertices });
  expect(run.next.fallbackReason).toBe(run.lostJob.fallbackReason);
});

test('the lost worker was replaced once, and its sessions, device and GPU buffers went with it', () => {
  expect(run.workersCreated).toBe(2);
  const { workers, inWorkers } = run.countsAfter;
  expect(workers).toEqual({ created: 2, released: 1 });
  // Only the live (WASM) worker's own counts: two sessions, nothing on the GPU.
  expect(inWorkers['ortSession']).toEqual({ created: 2, released: 0 });
  expect(inWorkers['gpuDevice'] ?? { created: 0, released: 0 }).toEqual({ created: 0, released: 0 });
  expect(inWorkers['gpuBuffer']).toEqual({ created: 0, released: 0 });
});

test('a device lost between jobs: the next job completes on WASM', () => {
  expect(run.destroyedIdle).toBe(true);
  expect(run.afterIdleLoss).toMatchObject({ ok: true, backend: 'wasm', vertices: run.lostJob.vertices });
  expect(run.afterIdleLoss.fallbackReason).toMatch(/device was lost/);
  expect(run.idleCountsAfter.workers).toEqual({ created: 2, released: 1 });
});

test('a device lost while refining: the job rejects naming the loss, its mesh leaves the scene, the next job runs on WASM', () => {
  expect(run.destroyedWhileRefining).toBe(true);
  expect(run.refineStages.slice(0, 6)).toEqual(['queued', 'starting', 'encoding', 'generating', 'meshing', 'building']);
  expect(run.refineStages).toContain('refining');
  expect(run.lostRefinement).toMatchObject({ ok: false, name: 'GpuDeviceLostError', state: 'failed' });
  expect(run.lostRefinement.message).toMatch(/destroyed/);
  expect(run.refinedMeshGone).toBe(true);
  expect(run.afterRefineLoss).toMatchObject({ ok: true, backend: 'wasm', vertices: run.lostJob.vertices });
  expect(run.afterRefineLoss.fallbackReason).toMatch(/device was lost/);
  const { workers, inWorkers } = run.refineCountsAfter;
  expect(workers).toEqual({ created: 2, released: 1 });
  expect(inWorkers['gpuBuffer']).toEqual({ created: 0, released: 0 });
});
