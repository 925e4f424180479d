import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Bounds, GenerationTimings } from 'scaledreamer-babylon';
import { launchChromium, runPage, startSite, type Site } from './harness.js';

interface BackendRun {
  ok: boolean;
  error?: string;
  backend: string;
  fallbackReason: string | null;
  vertices: number;
  bounds: Bounds;
  timings: GenerationTimings;
}

let site: Site;
let browser: Browser;
let run: Record<'wasm' | 'webgpu' | 'auto', BackendRun>;

beforeAll(async () => {
  site = await startSite();
  // WebGPU compute on SwiftShader: slow, so the page meshes a small grid.
  browser = await launchChromium({ webgpu: true });
  ({ result: run } = await runPage<typeof run>(browser, `${site.url}plugin-backends.html`));
  for (const [name, result] of Object.entries(run)) {
    console.log(`${name}: ${JSON.stringify({ ...result, bounds: undefined })}`);
  }
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

test("'webgpu' runs the models with onnxruntime-web's WebGPU build and gives the WASM mesh", () => {
  expect(run.wasm).toMatchObject({ ok: true, backend: 'wasm', fallbackReason: null });
  expect(run.webgpu).toMatchObject({ ok: true, backend: 'webgpu', fallbackReason: null });
  // float32 on two backends: the triplanes differ in the last bits, which can move a vertex or two.
  expect(Math.abs(run.webgpu.vertices - run.wasm.vertices)).toBeLessThanOrEqual(run.wasm.vertices * 0.01);
  for (let axis = 0; axis < 3; axis++) {
    expect(run.webgpu.bounds.min[axis]).toBeCloseTo(run.wasm.bounds.min[axis]!, 2);
    expect(run.webgpu.bounds.max[axis]).toBeCloseTo(run.wasm.bounds.max[axis]!, 2);
  }
});

test("'auto' does not pick a software WebGPU adapter: it falls back to WASM and says why", () => {
  expect(run.auto).toMatchObject({ ok: true, backend: 'wasm' });
  expect(run.auto.fallbackReason).toMatch(/software fallback/);
});
