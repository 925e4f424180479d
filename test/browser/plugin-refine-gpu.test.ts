import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { GeneratedMeshMetadata, GenerationProgress, PoolResourceCounts } from 'scaledreamer-babylon';
import { launchChromium, runPage, startSite, type Site } from './harness.js';

interface Run {
  losses: number[];
  views: number[][];
  planes: number[];
}
interface GpuRefinePageResult {
  initialPlanes: number[];
  cases: { method: string; cpu: Run; gpu: Run; disposedThrows: boolean }[];
  plugin: {
    events: Omit<GenerationProgress, 'elapsedMs'>[];
    metadata: GeneratedMeshMetadata;
    sameMesh: boolean;
    changed: boolean;
    counts: PoolResourceCounts;
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
}, 150_000);

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

const maxAbsDiff = (a: readonly number[], b: readonly number[]): number =>
  a.reduce((max, value, i) => Math.max(max, Math.abs(value - b[i]!)), 0);

test.each(['asd', 'sds', 'csd'])('GpuRefineKernels matches CpuRefineKernels over 3 steps of %s (views, losses, planes)', (method) => {
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

test("the plugin's 'webgpu' backend refines on the WGSL kernels: a finite loss, the mesh updated in place", () => {
  const { events, metadata, sameMesh, changed, counts } = run.plugin;
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
});
