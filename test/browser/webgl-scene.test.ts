import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { launchChromium, runPage, startSite, type Site } from './harness.js';

let site: Site;
let browser: Browser;

beforeAll(async () => {
  site = await startSite();
  // Without WebGPU flags: the Vulkan ones would break the WebGL engine.
  browser = await launchChromium({ webgpu: false });
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

test('a Babylon scene renders pixels with the WebGL engine', async () => {
  const { result } = await runPage<{ engine: string; webGLVersion: number; renderer: string; drawnFraction: number }>(
    browser,
    `${site.url}webgl-scene.html`,
  );
  const drawnPercent = (result.drawnFraction * 100).toFixed(1);
  console.log(`WebGL engine: ${result.engine} on ${result.renderer}; ${drawnPercent}% drawn`);
  expect(result.webGLVersion).toBeGreaterThanOrEqual(1);
  // The box covers part of the view, not none of it and not all of it.
  expect(result.drawnFraction).toBeGreaterThan(0.05);
  expect(result.drawnFraction).toBeLessThan(0.95);
});
