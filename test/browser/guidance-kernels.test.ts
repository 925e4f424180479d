import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { launchChromium, runPage, startSite, type Site } from './harness.js';

type Values = (number | string)[];

interface CaseResult {
  name: string;
  nonFinite: boolean;
  cpu: { samples: Values; upstream: Values; losses: Values };
  gpu: { samples: Values; upstream: Values; losses: Values };
}

interface PageResult {
  cases: CaseResult[];
  disposedThrows: boolean;
}

let site: Site;
let browser: Browser;
let run: PageResult;

beforeAll(async () => {
  site = await startSite();
  browser = await launchChromium({ webgpu: true });
  ({ result: run } = await runPage<PageResult>(browser, `${site.url}guidance-kernels.html`));
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

/**
 * float32 WGSL vs float64 CPU arithmetic on the same float32 inputs: max |WGSL - CPU| / max(1, max |CPU|) over the
 * finite values; non-finite values must be identical.
 */
function error(name: string, gpu: Values, cpu: Values): number {
  expect(gpu, name).toHaveLength(cpu.length);
  let worst = 0;
  let scale = 1;
  cpu.forEach((value, i) => {
    const other = gpu[i]!;
    if (typeof value === 'string' || typeof other === 'string') {
      expect(other, `${name}[${i}]`).toBe(value);
      return;
    }
    worst = Math.max(worst, Math.abs(other - value));
    scale = Math.max(scale, Math.abs(value));
  });
  return worst / scale;
}

test('guidance kernels (WGSL) match the CPU twin: samples, dL/drgb and losses, for ASD, SDS and CSD', () => {
  expect(run.cases.map((c) => c.name)).toHaveLength(7);
  for (const c of run.cases) {
    const samples = error(`${c.name} samples`, c.gpu.samples, c.cpu.samples);
    const upstream = error(`${c.name} upstream`, c.gpu.upstream, c.cpu.upstream);
    console.log(`${c.name}: samples ${samples.toExponential(2)}, upstream ${upstream.toExponential(2)} ` +
      '(max |WGSL - CPU| / max(1, max |CPU|))');
    expect(samples, c.name).toBeLessThan(1e-6);
    expect(upstream, c.name).toBeLessThan(1e-5);
    if (!c.nonFinite) {
      const losses = error(`${c.name} losses`, c.gpu.losses, c.cpu.losses);
      expect(losses, c.name).toBeLessThan(1e-5);
    }
  }
});

test('nan_to_num on the GPU: NaN -> 0, +-Inf -> +-FLT_MAX, as on the CPU', () => {
  const c = run.cases.find((x) => x.nonFinite)!;
  // Element 0 held NaN: g = 0 there. Element 5 held +Inf in a conditional row: g = +FLT_MAX, times 2 / B = 1.
  expect(c.gpu.upstream[0]).toBe(c.cpu.upstream[0]);
  expect(c.cpu.upstream[5]).toBe(3.4028234663852886e38);
  expect(c.gpu.upstream[5]).toBe(c.cpu.upstream[5]);
  expect(c.gpu.upstream[9]).toBe(c.cpu.upstream[9]);
});

test('a disposed GpuGuidance throws', () => {
  expect(run.disposedThrows).toBe(true);
});
