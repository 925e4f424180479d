import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { PoolResourceCounts } from 'scaledreamer-babylon';
import { launchChromium, runPage, startSite, type Site } from './harness.js';

interface Outcome {
  ok: boolean;
  vertices?: number;
  backend?: string;
  fallbackReason?: string | null;
  name?: string;
  message?: string;
  state: string;
  ms: number;
}
interface LifecyclePageResult {
  info: { backend: string; crossOriginIsolated: boolean; sessionMs: number }[];
  killedAtStage: string;
  killed: Outcome;
  killToRejectionMs: number;
  afterKill: Outcome;
  workersAfterKill: number;
  countsAfterKill: PoolResourceCounts;
  refused: Outcome;
  waitingStage: string;
  waiting: Outcome;
  cancelReturned: boolean;
  cancelAgain: boolean;
  running: Outcome;
  afterCancel: Outcome;
  preAborted: Outcome;
  workersCreated: number;
  locksBeforeDispose: number;
  liveBeforeDispose: number;
  pending: Outcome;
  disposed: boolean;
  disposedEvents: number;
  liveAfterDispose: number;
  terminatedByDispose: number;
  locksReleased: boolean;
  generateAfterDispose: string;
  webgpuAdapter: boolean;
  withoutWebGpu: Record<'auto' | 'webgpu' | 'wasm', Outcome>;
}

let site: Site;
let browser: Browser;
let run: LifecyclePageResult;

beforeAll(async () => {
  site = await startSite();
  browser = await launchChromium({ webgpu: false });
  ({ result: run } = await runPage<LifecyclePageResult>(browser, `${site.url}plugin-lifecycle.html`));
  console.log(`worker: ${JSON.stringify(run.info)}; killed job rejected ${run.killToRejectionMs.toFixed(0)} ms after ` +
    `the kill; ${run.workersCreated} workers created in all`);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

test('a worker killed mid-job rejects that job with WorkerCrashedError, and the next job succeeds', () => {
  expect(run.killedAtStage).toBe('generating');
  expect(run.killed).toMatchObject({ ok: false, name: 'WorkerCrashedError', state: 'failed' });
  expect(run.killed.message).toMatch(/"a green cactus" stopped .* retried/);
  // Noticed through the worker's life lock, not a timeout.
  expect(run.killToRejectionMs).toBeLessThan(2000);
  expect(run.afterKill.ok).toBe(true);
  expect(run.afterKill.vertices).toBeGreaterThan(0);
  // The dead worker was replaced by exactly one new one, which holds the only live sessions.
  expect(run.workersAfterKill).toBe(2);
  expect(run.countsAfterKill.workers).toEqual({ created: 2, released: 1 });
  expect(run.countsAfterKill.inWorkers['ortSession']).toEqual({ created: 2, released: 0 });
});

test('a full queue refuses a job with QueueFullError; a queued job can be aborted through its signal', () => {
  expect(run.refused).toMatchObject({ ok: false, name: 'QueueFullError', state: 'failed' });
  expect(run.refused.message).toMatch(/queue is full \(1 jobs waiting/);
  expect(run.waitingStage).toBe('queued');
  expect(run.waiting).toMatchObject({ ok: false, name: 'AbortError', state: 'cancelled' });
});

test('cancelling a running job rejects it with an AbortError, once, and the next job succeeds', () => {
  expect(run.cancelReturned).toBe(true);
  expect(run.cancelAgain).toBe(false);
  expect(run.running).toMatchObject({ ok: false, name: 'AbortError', state: 'cancelled' });
  expect(run.afterCancel.ok).toBe(true);
  expect(run.preAborted).toMatchObject({ ok: false, name: 'AbortError', state: 'cancelled' });
});

test('disposing the scene disposes the plugin: jobs rejected, workers terminated, their locks released', () => {
  expect(run.liveBeforeDispose).toBe(1);
  expect(run.locksBeforeDispose).toBe(1);
  expect(run.pending).toMatchObject({ ok: false, name: 'AbortError', state: 'cancelled' });
  expect(run.disposed).toBe(true);
  expect(run.disposedEvents).toBe(1);
  expect(run.liveAfterDispose).toBe(0);
  expect(run.terminatedByDispose).toBeGreaterThanOrEqual(1);
  expect(run.locksReleased).toBe(true);
  expect(run.generateAfterDispose).toMatch(/generate\(\): the ScaleDreamer plugin was disposed/);
});

test("without WebGPU, 'auto' runs on WASM and says why; 'webgpu' rejects its job with the reason", () => {
  expect(run.webgpuAdapter).toBe(false);
  const { auto, webgpu, wasm } = run.withoutWebGpu;
  expect(auto).toMatchObject({ ok: true, backend: 'wasm', state: 'done' });
  expect(auto.fallbackReason).toMatch(/^WebGPU is unavailable: navigator\.gpu/);
  expect(webgpu).toMatchObject({ ok: false, name: 'Error', state: 'failed' });
  expect(webgpu.message).toMatch(/^WebGPU is unavailable: navigator\.gpu/);
  expect(wasm).toMatchObject({ ok: true, backend: 'wasm', fallbackReason: null, vertices: auto.vertices });
});
