import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { GeneratedMeshMetadata, GenerationProgress, PoolResourceCounts } from 'scaledreamer-babylon';
import { launchChromium, runPage, startSite, type Site } from './harness.js';

const PRIOR_RESOLUTION: number = JSON.parse(readFileSync('models/default/manifest.json', 'utf8')).prior.resolution;

type Event = Omit<GenerationProgress, 'elapsedMs'>;
interface JobReport {
  ok: boolean;
  state: string;
  events: Event[];
  error?: { name: string; message: string };
  updates: number;
  sameMesh: boolean;
  firstInScene: boolean;
  inScene: boolean;
  disposed: boolean;
  firstVertices: number;
  finalVertices: number;
  changeFromFirst: number;
  changeFromLastUpdate: number | null;
  metadata: GeneratedMeshMetadata;
}
interface RefinePageResult {
  badRefine: Record<string, { name: string; message: string } | null>;
  refined: JobReport;
  meshesAfterRefine: number;
  generatedMeshes: number;
  cancelReturned: boolean;
  cancelled: JobReport;
  cancelledUnchangedAfter: boolean;
  aborted: JobReport;
  early: JobReport;
  nextVertices: number;
  nextMs: number;
  counts: PoolResourceCounts;
  cores: number;
  crossOriginIsolated: boolean;
}

let site: Site;
let browser: Browser;
let run: RefinePageResult;

beforeAll(async () => {
  site = await startSite();
  browser = await launchChromium({ webgpu: false });
  const { result } = await runPage<RefinePageResult>(browser, `${site.url}plugin-refine.html`);
  run = result;
  const refinement = run.refined.metadata.refinement!;
  console.log(`refine (ASD, 3 steps, views at ${refinement.resolution}^2, grid 32, WASM, cross-origin isolated ` +
    `${run.crossOriginIsolated}): ${refinement.msPerStep!.toFixed(0)} ms per step in the worker, ` +
    `${refinement.refineMs!.toFixed(0)} ms from the generator's mesh to the end; losses ` +
    `${run.refined.events.filter((e) => e.loss !== null).map((e) => e.loss!.toPrecision(3)).join(', ')}; ` +
    `cancelled at step ${run.cancelled.metadata.refinement!.stepsDone}, aborted at step ` +
    `${run.aborted.metadata.refinement!.stepsDone}; next job ${run.nextMs.toFixed(0)} ms`);
}, 150_000);

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

test('bad refine options throw at once, naming the option', () => {
  expect(run.badRefine.method).toMatchObject({ name: 'RangeError', message: expect.stringMatching(/options\.refine\.method/) });
  expect(run.badRefine.steps).toMatchObject({ name: 'RangeError', message: expect.stringMatching(/options\.refine\.steps/) });
  expect(run.badRefine.resolution).toMatchObject({
    name: 'RangeError',
    message: expect.stringContaining(`options.refine.resolution must divide the prior's resolution ${PRIOR_RESOLUTION}`),
  });
});

test('ASD for 3 steps: progress per step with a finite loss, after the generator\'s stages', () => {
  const { refined } = run;
  expect(refined.ok).toBe(true);
  expect(refined.state).toBe('done');
  const stages = [...new Set(refined.events.map((e) => e.stage))];
  expect(stages).toEqual(['queued', 'starting', 'encoding', 'generating', 'meshing', 'building', 'refining', 'done']);
  const steps = refined.events.filter((e) => e.stage === 'refining');
  expect(steps.map((e) => e.step)).toEqual([0, 1, 2, 3]);
  expect(steps.every((e) => e.steps === 3)).toBe(true);
  for (const event of steps.slice(1)) {
    expect(Number.isFinite(event.loss)).toBe(true);
    expect(event.loss).toBeGreaterThan(0);
    expect(event.meshUpdated).toBe(true);
    // The views the prior saw come with each mesh update (the inspector draws them).
    expect(event.views).toMatchObject({ count: 1, side: 32, values: 3 * 32 * 32, inUnitRange: true });
  }
});

test('the mesh is in the scene before refinement and is updated in place: same object, new vertex data', () => {
  const { refined } = run;
  expect(refined.sameMesh).toBe(true);
  expect(refined.firstInScene).toBe(true);
  expect(refined.inScene).toBe(true);
  expect(refined.disposed).toBe(false);
  expect(refined.updates).toBe(3);
  expect(refined.firstVertices).toBeGreaterThan(100);
  expect(refined.finalVertices).toBeGreaterThan(100);
  // Adam moves every plane value by ~lr per step: vertices and colours move, if only a little.
  expect(refined.changeFromFirst).toBeGreaterThan(1e-5);
  expect(refined.changeFromLastUpdate).toBe(0);
  expect(refined.metadata).toMatchObject({
    method: 'asd',
    vertices: refined.finalVertices,
    refinement: { method: 'asd', steps: 3, stepsDone: 3, meshStep: 3, state: 'done', resolution: 32, meshEvery: 1,
      eta: 0.1, guidanceScale: 7.5 },
  });
  expect(refined.metadata.refinement!.loss).toBe(refined.events.at(-2)!.loss);
  expect(refined.metadata.refinement!.msPerStep).toBeGreaterThan(0);
  // By default one thread per core (up to 4) rendered: the worker and its band workers.
  expect(refined.metadata.refinement!.threads).toBe(Math.min(run.cores, 4));
  // One mesh per job: no copy was added for the updates.
  expect(run.meshesAfterRefine).toBe(1);
});

test('cancel() while refining stops it, keeps the mesh as last updated and resolves with it', () => {
  const { cancelled } = run;
  expect(run.cancelReturned).toBe(true);
  expect(cancelled.ok).toBe(true);
  expect(cancelled.state).toBe('cancelled');
  expect(cancelled.sameMesh).toBe(true);
  expect(cancelled.inScene).toBe(true);
  expect(cancelled.disposed).toBe(false);
  const { refinement } = cancelled.metadata;
  expect(refinement).toMatchObject({ state: 'cancelled', meshStep: 2 });
  expect(refinement!.stepsDone).toBeGreaterThanOrEqual(2);
  expect(refinement!.stepsDone).toBeLessThan(50);
  expect(cancelled.changeFromLastUpdate).toBe(0);
  expect(run.cancelledUnchangedAfter).toBe(true);
  expect(cancelled.events.at(-1)!.stage).toBe('refining');
});

test('an aborted signal while refining does the same, and the worker takes the next job at once', () => {
  const { aborted } = run;
  expect(aborted.ok).toBe(true);
  expect(aborted.state).toBe('cancelled');
  expect(aborted.sameMesh).toBe(true);
  expect(aborted.inScene).toBe(true);
  expect(aborted.metadata).toMatchObject({ method: 'csd', refinement: { state: 'cancelled', method: 'csd' } });
  expect(aborted.metadata.refinement!.stepsDone).toBeLessThan(50);
  expect(run.nextVertices).toBeGreaterThan(100);
  // One worker for every job: stopping a refinement does not end it. Three sessions: the text encoder, the
  // generator and, since the first refinement, the UNet.
  expect(run.counts.workers).toEqual({ created: 1, released: 0 });
  expect(run.counts.inWorkers.ortSession).toEqual({ created: 3, released: 0 });
  // Each refinement shared its rows with a band worker per other core, and ended them all.
  const bandWorkers = run.counts.inWorkers['bandWorker'] ?? { created: 0, released: 0 };
  expect(bandWorkers.released).toBe(bandWorkers.created);
  if (run.cores > 1) expect(bandWorkers.created).toBeGreaterThanOrEqual(3 * (Math.min(run.cores, 4) - 1));
  expect(run.generatedMeshes).toBe(5);
});

test('cancelled by an onMeshGeneratedObservable observer: resolves with the generator\'s mesh, no step run', () => {
  const { early } = run;
  expect(early.ok).toBe(true);
  expect(early.state).toBe('cancelled');
  expect(early.sameMesh).toBe(true);
  expect(early.inScene).toBe(true);
  expect(early.changeFromFirst).toBe(0);
  expect(early.metadata.refinement).toMatchObject({ state: 'cancelled', stepsDone: 0, meshStep: 0 });
});
