import { mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { GeneratedMeshMetadata } from 'scaledreamer-babylon';
import { launchChromium, runPage, startSite, type Site } from './harness.js';

/** The page's prompt, position and grid (test/browser/pages/plugin-generate.ts). */
const PROMPT = 'a red wooden barrel';
const POSITION = [0.5, 0.25, -0.25];
const GRID_SIZE = 48;
const SCREENSHOT = 'test-results/plugin-generate.png';

interface MeshReport {
  vertices: number;
  indices: number;
  min: number[];
  max: number[];
  colorComponents: number;
}
interface ThrownReport {
  name: string;
  message: string;
  words: string[] | null;
}
interface GeneratePageResult {
  stages: string[];
  meshInSceneAtDone: boolean;
  inScene: boolean;
  name: string;
  metadata: GeneratedMeshMetadata;
  mesh: MeshReport;
  colorStats: { mean: number[]; minAlpha: number; colouredFraction: number };
  secondVertices: number;
  secondMetadata: GeneratedMeshMetadata;
  reloaded: MeshReport | null;
  reloadedCount: number;
  colorRoundTripMaxError: number | null;
  glbBytes: number;
  badInputs: Record<string, ThrownReport | null>;
  promptToMeshMs: number;
  warmPromptToMeshMs: number;
  crossOriginIsolated: boolean;
}

let site: Site;
let browser: Browser;
let run: GeneratePageResult;

beforeAll(async () => {
  site = await startSite();
  // The WebGL engine: no WebGPU flags (docs: they break it). The plugin's default backend is WASM anyway.
  browser = await launchChromium({ webgpu: false });
  const { page, result } = await runPage<GeneratePageResult>(browser, `${site.url}plugin-generate.html`);
  run = result;
  mkdirSync('test-results', { recursive: true });
  await page.locator('#scene').screenshot({ path: SCREENSHOT });
  const { timings } = run.metadata;
  console.log(`prompt -> mesh: ${run.promptToMeshMs.toFixed(0)} ms cold (worker start, sessions), ` +
    `${run.warmPromptToMeshMs.toFixed(0)} ms warm; stages (ms): first job ${JSON.stringify(timings)}, ` +
    `second job ${JSON.stringify(run.secondMetadata.timings)}; ` +
    `${run.mesh.vertices} vertices; backend ${run.metadata.backend}; screenshot ${SCREENSHOT}`);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

test('the job goes through its stages and the mesh is in the scene by the time it is done', () => {
  expect(run.stages).toEqual(['queued', 'starting', 'encoding', 'generating', 'meshing', 'building', 'done']);
  expect(run.meshInSceneAtDone).toBe(true);
  expect(run.inScene).toBe(true);
  expect(run.name).toBe(`scaledreamer: ${PROMPT}`);
});

test('the mesh has vertices, stands on the ground at the position and stays inside the asset box', () => {
  expect(run.mesh.vertices).toBeGreaterThan(100);
  expect(run.mesh.indices % 3).toBe(0);
  // Resting on the ground: its lowest point is the requested y.
  expect(run.mesh.min[1]).toBeCloseTo(POSITION[1]!, 4);
  // The asset cube [-1, 1]^3, lifted to stand on its origin: x and z within 1 of the position, height at most 2.
  for (const axis of [0, 2]) {
    expect(run.mesh.min[axis]).toBeGreaterThanOrEqual(POSITION[axis]! - 1 - 1e-4);
    expect(run.mesh.max[axis]).toBeLessThanOrEqual(POSITION[axis]! + 1 + 1e-4);
  }
  expect(run.mesh.max[1]).toBeLessThanOrEqual(POSITION[1]! + 2 + 1e-4);
  expect(run.mesh.max[1]! - run.mesh.min[1]!).toBeGreaterThan(0.1);
  expect(run.secondVertices).toBeGreaterThan(100);
});

test('the mesh has RGBA vertex colours, opaque and not all white', () => {
  expect(run.mesh.colorComponents).toBe(4);
  expect(run.colorStats.minAlpha).toBe(1);
  expect(run.colorStats.colouredFraction).toBeGreaterThan(0.5);
});

test('the metadata says where the mesh came from', () => {
  const { metadata } = run;
  expect(metadata).toMatchObject({
    prompt: PROMPT,
    seed: 7,
    method: 'generator',
    gridSize: GRID_SIZE,
    backend: 'wasm',
    unknownWords: [],
    vertices: run.mesh.vertices,
  });
  expect(metadata.pack.name).toBe('default');
  expect(metadata.pack.url).toMatch(/\/models\/default\/$/);
  for (const key of ['encodeMs', 'generateMs', 'decodeMs', 'marchingCubesMs', 'buildMs', 'endToEndMs'] as const) {
    expect(metadata.timings[key], key).toBeGreaterThanOrEqual(0);
  }
});

test('.glb export and reload keep the vertex count, the world bounds and the colours', () => {
  expect(run.reloadedCount).toBe(1);
  const reloaded = run.reloaded!;
  expect(reloaded.vertices).toBe(run.mesh.vertices);
  expect(reloaded.indices).toBe(run.mesh.indices);
  for (let axis = 0; axis < 3; axis++) {
    expect(reloaded.min[axis]).toBeCloseTo(run.mesh.min[axis]!, 4);
    expect(reloaded.max[axis]).toBeCloseTo(run.mesh.max[axis]!, 4);
  }
  // RGB, or RGBA; the same colours, in glTF's linear space (see the page).
  expect([3, 4]).toContain(reloaded.colorComponents);
  expect(run.colorRoundTripMaxError).toBeLessThan(1e-5);
});

test('bad input fails at once with typed errors naming the problem', () => {
  const { badInputs } = run;
  expect(badInputs['empty']).toMatchObject({ name: 'RangeError', message: expect.stringMatching(/empty prompt/) });
  expect(badInputs['unknownWords']).toMatchObject({
    name: 'UnknownWordsError',
    words: ['flibbertigibbet', 'zorps'],
    message: expect.stringMatching(/flibbertigibbet, zorps/),
  });
  expect(badInputs['tooLong']).toMatchObject({ name: 'PromptTooLongError' });
  expect(badInputs['gridSize']).toMatchObject({
    name: 'RangeError',
    message: 'options.gridSize must be an integer in [2, 256], got 4096',
  });
  expect(badInputs['position']).toMatchObject({ name: 'RangeError', message: expect.stringMatching(/position\.y/) });
  expect(badInputs['notString']).toMatchObject({ name: 'TypeError' });
});

test("unknownWords: 'lenient' generates anyway and lists the unknown words in the metadata", () => {
  expect(run.secondMetadata.unknownWords).toEqual(['zorp']);
  expect(run.secondMetadata.prompt).toBe('a blue stone zorp tower');
});
