import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { launchChromium, runPage, startSite, type Site } from './harness.js';

let site: Site;
let browser: Browser;

beforeAll(async () => {
  site = await startSite();
  browser = await launchChromium({ webgpu: true });
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

test('the demo page is served cross-origin isolated, starts, and turns its prompt into a mesh', async () => {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  const response = await page.goto(site.url);
  expect(response?.headers()).toMatchObject({
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-embedder-policy': 'require-corp',
  });
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  const status = page.locator('#status');
  await expect.poll(() => status.textContent(), { timeout: 60_000 }).toMatch(/^Ready \(wasm\): /);
  await page.locator('#prompt').fill('a purple crystal');
  await page.locator('#prompt-form button').click();
  await expect
    .poll(() => status.textContent(), { timeout: 60_000 })
    .toMatch(/^a purple crystal: \d+ vertices in \d+ ms \(wasm\)$/);
  console.log(`demo status: ${await status.textContent()}`);
  expect(errors).toEqual([]);
});

test('a tiny page imports the built library and finds its worker and .wasm', async () => {
  const { result } = await runPage<{
    crossOriginIsolated: boolean;
    exports: string[];
    loadedByUrl: { file: string; status: number; contentType: string }[];
  }>(browser, `${site.url}dist-import.html`);
  expect(result.crossOriginIsolated).toBe(true);
  expect(result.exports).toEqual(
    expect.arrayContaining(['ComputeWorker', 'CpuAdam', 'GpuAdam', 'createScaleDreamer', 'exportMeshToGlb']),
  );
  expect(result.loadedByUrl).toEqual([
    { file: 'compute.worker.js', status: 200, contentType: 'text/javascript; charset=utf-8' },
    { file: 'generation.worker.js', status: 200, contentType: 'text/javascript; charset=utf-8' },
    { file: 'ort-wasm-simd-threaded.asyncify.wasm', status: 200, contentType: 'application/wasm' },
    { file: 'ort-wasm-simd-threaded.wasm', status: 200, contentType: 'application/wasm' },
  ]);
});
