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
  mixed: Record<'sum' | 'doubledIds' | 'doubledOffsets', { type: string; values: string[] }>;
  inputsDetached: boolean;
  badDims: string;
  keptAfterBadDims: number;
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

test('runModel takes int64 and int32 inputs and returns float32, int64 and int32 outputs in their own arrays', () => {
  expect(run.mixed).toEqual({
    sum: { type: 'Float32Array', values: ['11', '-18', String(2 ** 40)] },
    doubledIds: { type: 'BigInt64Array', values: ['2', '4', String(2n ** 41n)] },
    doubledOffsets: { type: 'Int32Array', values: ['20', '-40', '0'] },
  });
  // Both inputs viewed one buffer: transferred once (listing it twice would have thrown), so it is detached here.
  expect(run.inputsDetached).toBe(true);
});

test('runModel checks feeds before transferring them', () => {
  expect(run.badDims).toBe('RangeError: feeds.x.dims [2] hold 2 values; its data has 3');
  expect(run.keptAfterBadDims).toBe(3);
});
