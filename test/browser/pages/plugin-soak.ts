// Many sequential generations in a Babylon scene (WebGL engine, render loop running), each mesh disposed once it has
// arrived: samples the plugin's resource counts (workers, onnxruntime sessions, GPU devices, and GPU buffers through
// the counting worker), the JS heap of the page and of its workers, the renderer's resident memory (WebAssembly
// included) and the scene's contents after a warm-up and
// then every few jobs. plugin-soak.test.ts asserts that nothing grows.
//
// Query: backend (wasm | webgpu), jobs, grid, warmup (jobs before the first sample), every (jobs between samples),
// keep=1 (a deliberate leak).
import { FreeCamera } from '@babylonjs/core/Cameras/freeCamera.js';
import { Engine } from '@babylonjs/core/Engines/engine.js';
import { HemisphericLight } from '@babylonjs/core/Lights/hemisphericLight.js';
import { Vector3 } from '@babylonjs/core/Maths/math.vector.js';
import { Scene } from '@babylonjs/core/scene.js';
import {
  createScaleDreamer,
  type GeneratedMeshMetadataHolder,
  type GenerationBackend,
  type PoolResourceCounts,
} from 'scaledreamer-babylon';
import { createCountingGenerationWorker, wasmMemoryBytes } from './counting-worker.js';
import { reportResult } from './page-result.js';

const PROMPTS = ['a red wooden barrel', 'a green cactus', 'a yellow mushroom', 'a blue tent', 'a purple crystal'];

const query = new URLSearchParams(location.search);
const BACKEND = (query.get('backend') ?? 'wasm') as GenerationBackend;
const JOBS = Number(query.get('jobs') ?? 50);
const GRID_SIZE = Number(query.get('grid') ?? 24);
const WARMUP = Number(query.get('warmup') ?? 5);
const SAMPLE_EVERY = Number(query.get('every') ?? 5);
/** Keeps the meshes instead of disposing them: a deliberate leak, to see that the measurements catch one. */
const KEEP_MESHES = query.get('keep') === '1';

interface MemoryBreakdown {
  readonly bytes: number;
  readonly attribution: readonly { readonly scope?: string }[];
}

/** JS heap bytes of the page and of its dedicated workers (Chromium; needs cross-origin isolation). */
async function heapBytes(): Promise<{ window: number; workers: number }> {
  const measure = (performance as { measureUserAgentSpecificMemory?: () => Promise<{ breakdown: MemoryBreakdown[] }> })
    .measureUserAgentSpecificMemory;
  if (!measure) throw new Error('performance.measureUserAgentSpecificMemory is unavailable (not cross-origin isolated?)');
  // A full collection first where the test exposes gc() (--js-flags=--expose-gc): the page's heap then measures what
  // is reachable, not when the collector last ran.
  (globalThis as { gc?: () => void }).gc?.();
  const { breakdown } = await measure.call(performance);
  let window = 0;
  let workers = 0;
  for (const { bytes, attribution } of breakdown) {
    if (attribution.some(({ scope }) => scope === 'DedicatedWorkerGlobalScope')) workers += bytes;
    else if (attribution.some(({ scope }) => scope === 'Window')) window += bytes;
  }
  return { window, workers };
}

/** Exposed by plugin-soak.test.ts (page.exposeFunction): the renderer process's resident bytes, read from /proc. */
declare global {
  interface Window {
    rendererResidentBytes?: () => Promise<number>;
  }
}

interface Sample {
  afterJobs: number;
  counts: PoolResourceCounts;
  heap: { window: number; workers: number };
  /** onnxruntime's WebAssembly memory in the worker (it only grows, so a leak inside onnxruntime shows). */
  wasmMemory: number;
  /** Resident bytes of the renderer (page, workers, WebAssembly memories); null without the test's hook. */
  resident: number | null;
  meshes: number;
  materials: number;
  geometries: number;
  meshObservers: number;
}

reportResult(
  (async () => {
    const canvas = document.getElementById('scene') as HTMLCanvasElement;
    const engine = new Engine(canvas, false);
    const scene = new Scene(engine);
    new FreeCamera('camera', new Vector3(0, 1, -4), scene);
    new HemisphericLight('light', new Vector3(0, 1, 0), scene);
    engine.runRenderLoop(() => scene.render());

    const workers: Worker[] = [];
    const scaleDreamer = await createScaleDreamer({
      pack: './models/default/',
      backend: BACKEND,
      createWorker: () => {
        const worker = createCountingGenerationWorker();
        workers.push(worker);
        return worker;
      },
    });
    scene.addPlugin(scaleDreamer);
    const [info] = await scaleDreamer.whenReadyAsync();

    const sample = async (afterJobs: number): Promise<Sample> => ({
      afterJobs,
      counts: await scaleDreamer.getResourceCountsAsync(),
      heap: await heapBytes(),
      wasmMemory: await wasmMemoryBytes(workers.at(-1)!),
      resident: (await window.rendererResidentBytes?.()) ?? null,
      meshes: scene.meshes.length,
      materials: scene.materials.length,
      geometries: scene.geometries.length,
      meshObservers: scaleDreamer.onMeshGeneratedObservable.observers.length,
    });

    const before = await sample(0);
    const samples: Sample[] = [];
    const jobMs: number[] = [];
    const vertices: number[] = [];
    const backends = new Set<string>();
    const start = performance.now();
    for (let i = 0; i < JOBS; i++) {
      const job = scaleDreamer.generate(PROMPTS[i % PROMPTS.length]!, {
        gridSize: GRID_SIZE,
        position: new Vector3((i % 5) - 2, 0, 0),
      });
      job.onProgressObservable.add(() => {});
      const mesh = await job.mesh;
      const metadata = (mesh.metadata as GeneratedMeshMetadataHolder).scaleDreamer;
      jobMs.push(metadata.timings.endToEndMs);
      vertices.push(metadata.vertices);
      backends.add(metadata.backend);
      // Let the mesh be drawn once, as an app would, then remove it with its material.
      await new Promise((resolve) => scene.onAfterRenderObservable.addOnce(resolve));
      if (!KEEP_MESHES) mesh.dispose(false, true);
      const done = i + 1;
      if (done === WARMUP || (done > WARMUP && (done - WARMUP) % SAMPLE_EVERY === 0) || done === JOBS) {
        samples.push(await sample(done));
      }
    }
    const totalMs = performance.now() - start;
    const liveBeforeDispose = scaleDreamer.liveWorkers;
    scene.dispose();
    engine.dispose();
    return {
      info,
      backends: [...backends],
      before,
      samples,
      jobMs,
      vertices,
      totalMs,
      liveBeforeDispose,
      liveAfterDispose: scaleDreamer.liveWorkers,
    };
  })(),
);
