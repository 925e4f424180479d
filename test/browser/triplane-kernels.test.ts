import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { launchChromium, runPage, startSite, type Site } from './harness.js';

interface Outputs {
  sdf: number[];
  albedo: number[];
  pixels: number[];
  opacity: number[];
  depth: number[];
  jitteredPixels: number[];
  gradPlanes: number[];
  gradDecoder: number[];
  gradPlanesOnly: number[];
}

interface PageResult {
  cpu: Outputs;
  gpu: Outputs;
  decoderSkipped: boolean;
}

let site: Site;
let browser: Browser;
let run: PageResult;

beforeAll(async () => {
  site = await startSite();
  browser = await launchChromium({ webgpu: true });
  ({ result: run } = await runPage<PageResult>(browser, `${site.url}triplane-kernels.html`));
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

/**
 * float32 WGSL vs float64 CPU arithmetic on the same float32 tensors: max |WGSL - CPU|, divided by max |CPU| when
 * `relative` (gradients, whose scale depends on the upstream).
 */
function expectClose(name: keyof Outputs, tolerance: number, relative = false): void {
  const gpu = run.gpu[name];
  const cpu = run.cpu[name];
  expect(gpu).toHaveLength(cpu.length);
  let worst = 0;
  let scale = 0;
  cpu.forEach((value, i) => {
    worst = Math.max(worst, Math.abs(gpu[i]! - value));
    scale = Math.max(scale, Math.abs(value));
  });
  const error = relative ? worst / scale : worst;
  console.log(`${name}: max |WGSL - CPU|${relative ? ' / max |CPU|' : ''} = ${error.toExponential(2)} over ` +
    `${cpu.length} values`);
  expect(error, name).toBeLessThanOrEqual(tolerance);
}

test('triplane decode (WGSL) matches the CPU twin', () => {
  expectClose('sdf', 1e-5);
  expectClose('albedo', 1e-5);
});

test('VolSDF render (WGSL) matches the CPU twin: pixels, opacity, depth', () => {
  expectClose('pixels', 1e-4);
  expectClose('opacity', 1e-4);
  expectClose('depth', 1e-4);
  // The case covers background, partial and opaque pixels.
  expect(run.cpu.opacity.some((a) => a < 0.01)).toBe(true);
  expect(run.cpu.opacity.some((a) => a > 0.05 && a < 0.95)).toBe(true);
  expect(run.cpu.opacity.some((a) => a > 0.99)).toBe(true);
});

test('VolSDF render with per-sample jitter (WGSL) matches the CPU twin', () => {
  expectClose('jitteredPixels', 1e-4);
});

test('VolSDF backward (WGSL) matches the CPU twin: planes and decoder gradients, with jitter', () => {
  expectClose('gradPlanes', 1e-4, true);
  expectClose('gradDecoder', 1e-4, true);
  expectClose('gradPlanesOnly', 1e-4, true);
  expect(run.decoderSkipped).toBe(true);
});
