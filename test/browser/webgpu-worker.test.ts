import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { AdapterSummary } from 'scaledreamer-babylon';
import { launchChromium, runPage, startSite, type Site } from './harness.js';

interface WorkerPageResult {
  adapter: AdapterSummary;
  initial: number[];
  cpu: number[];
  gpu: number[];
  model: number[];
}

let site: Site;
let browser: Browser;
let run: WorkerPageResult;

beforeAll(async () => {
  site = await startSite();
  browser = await launchChromium({ webgpu: true });
  ({ result: run } = await runPage<WorkerPageResult>(browser, `${site.url}webgpu-worker.html`));
  // Printed so that logs show which WebGPU implementation really ran the kernels.
  console.log(`WebGPU adapter in the compute worker: ${JSON.stringify(run.adapter)}`);
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

test('the compute worker gets a WebGPU adapter', () => {
  expect(run.adapter.vendor || run.adapter.description).not.toBe('');
});

test('Adam on WebGPU in the worker matches the CPU twin', () => {
  expect(run.gpu).toHaveLength(run.cpu.length);
  let moved = 0;
  run.gpu.forEach((gpu, i) => {
    const cpu = run.cpu[i]!;
    // float32 kernel vs float64 arithmetic on float32 state: agreement to a few ulps of the update.
    expect(Math.abs(gpu - cpu), `element ${i}`).toBeLessThanOrEqual(1e-6 + 1e-6 * Math.abs(cpu));
    if (gpu !== run.initial[i]) moved++;
  });
  expect(moved).toBe(run.gpu.length);
});

test('an ONNX model runs on the worker device through onnxruntime-web', () => {
  expect(run.model).toEqual([2, 4, 6, 8]);
});
