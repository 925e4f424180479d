// The browser benchmark's page (bench/browser.mjs; not a test): prompt -> mesh in a Babylon scene (WebGL engine,
// render loop running), timed from generate() to the mesh in the scene and to the first frame that draws it, after
// a warm-up job; and the main thread's long tasks (PerformanceObserver 'longtask', >= 50 ms) during the timed jobs
// and while idle.
//
// Query: backend (wasm | webgpu), runs, grid, threads (onnxruntime-web WASM threads; default onnxruntime's).
import { ArcRotateCamera } from '@babylonjs/core/Cameras/arcRotateCamera.js';
import { Engine } from '@babylonjs/core/Engines/engine.js';
import { HemisphericLight } from '@babylonjs/core/Lights/hemisphericLight.js';
import { Vector3 } from '@babylonjs/core/Maths/math.vector.js';
import { Scene } from '@babylonjs/core/scene.js';
import {
  createScaleDreamer,
  type GeneratedMeshMetadata,
  type GeneratedMeshMetadataHolder,
  type GenerationBackend,
} from 'scaledreamer-babylon';
import { reportResult } from './page-result.js';

const PROMPTS = ['a red wooden barrel', 'a green cactus', 'a yellow mushroom', 'a blue tent', 'a purple crystal'];

const query = new URLSearchParams(location.search);
const BACKEND = (query.get('backend') ?? 'wasm') as GenerationBackend;
const RUNS = Number(query.get('runs') ?? 5);
const GRID_SIZE = Number(query.get('grid') ?? 64);
const THREADS = query.has('threads') ? Number(query.get('threads')) : undefined;
const IDLE_MS = 2000;
const TRACE_MARK = 'scaledreamer-bench:jobs';
/** render=0 stops the render loop during the jobs: tells the main thread's own work from frames drawn meanwhile. */
const RENDER = query.get('render') !== '0';

/**
 * Long tasks (>= 50 ms, the browser's threshold) while watching. Wall-clock durations: on a busy machine they include
 * the time the main thread waited for a core, which bench/browser.mjs tells apart with a trace (CPU time per task).
 */
class MainThreadWatch {
  private readonly _longTasks: number[] = [];
  /** Start times of the long tasks (performance.now() clock), to place them among a job's stages. */
  readonly longTaskStarts: number[] = [];
  private _running = false;
  private readonly _observer = new PerformanceObserver((list) => {
    if (!this._running) return;
    for (const entry of list.getEntries()) {
      this._longTasks.push(entry.duration);
      this.longTaskStarts.push(entry.startTime);
    }
  });

  constructor() {
    this._observer.observe({ type: 'longtask' });
  }

  start(): void {
    this._longTasks.length = 0;
    this._running = true;
  }

  /** Stops watching; the long tasks seen. */
  stop(): { longTasks: number[] } {
    this._running = false;
    return { longTasks: [...this._longTasks] };
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

reportResult(
  (async () => {
    const watch = new MainThreadWatch();
    const canvas = document.getElementById('scene') as HTMLCanvasElement;
    const engine = new Engine(canvas, true);
    const scene = new Scene(engine);
    new ArcRotateCamera('camera', -Math.PI / 2, 1.2, 4, new Vector3(0, 0.6, 0), scene);
    new HemisphericLight('light', new Vector3(0.3, 1, -0.4), scene);
    engine.runRenderLoop(() => scene.render());

    // Idle: what the render loop alone costs the main thread (software WebGL here).
    watch.start();
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    const idle = watch.stop();

    const coldStart = performance.now();
    const scaleDreamer = await createScaleDreamer({
      pack: './models/default/',
      backend: BACKEND,
      ...(THREADS === undefined ? {} : { threads: THREADS }),
    });
    scene.addPlugin(scaleDreamer);
    const [info] = await scaleDreamer.whenReadyAsync();
    const startupMs = performance.now() - coldStart;

    /** One job: generate() -> mesh in the scene -> first frame drawn with it. */
    const stageTimes: { job: number; stage: string; at: number }[] = [];
    /** The main thread's own synchronous work per job: generate() (checks, tokenizer) and building the mesh. */
    const mainThreadMs: number[] = [];
    const job = async (index: number) => {
      const start = performance.now();
      const generation = scaleDreamer.generate(PROMPTS[index % PROMPTS.length]!, { gridSize: GRID_SIZE });
      const generateCallMs = performance.now() - start;
      generation.onProgressObservable.add(({ stage }) => stageTimes.push({ job: index, stage, at: performance.now() }));
      const mesh = await generation.mesh;
      const inSceneMs = performance.now() - start;
      if (RENDER) await new Promise((resolve) => scene.onAfterRenderObservable.addOnce(resolve));
      else scene.render();
      const drawnMs = performance.now() - start;
      const metadata = (mesh.metadata as GeneratedMeshMetadataHolder).scaleDreamer;
      mainThreadMs.push(generateCallMs + metadata.timings.buildMs);
      mesh.dispose(false, true);
      return { inSceneMs, drawnMs, metadata };
    };

    watch.start();
    const warmUp = await job(0);
    const warmUpWatch = watch.stop();
    mainThreadMs.length = 0;
    const runs: { inSceneMs: number; drawnMs: number; metadata: GeneratedMeshMetadata }[] = [];
    if (!RENDER) engine.stopRenderLoop();
    watch.longTaskStarts.length = 0;
    stageTimes.length = 0;
    watch.start();
    // Marks for bench/browser.mjs's trace (devtools.timeline 'TimeStamp' events), which gives each task's CPU time.
    console.timeStamp(`${TRACE_MARK}:start`);
    for (let i = 0; i < RUNS; i++) runs.push(await job(i));
    console.timeStamp(`${TRACE_MARK}:end`);
    const during = watch.stop();

    const stages: Record<string, number> = {};
    for (const key of Object.keys(runs[0]!.metadata.timings) as (keyof GeneratedMeshMetadata['timings'])[]) {
      stages[key] = median(runs.map((run) => run.metadata.timings[key]));
    }
    scene.dispose();
    engine.dispose();
    return {
      userAgent: navigator.userAgent,
      crossOriginIsolated,
      hardwareConcurrency: navigator.hardwareConcurrency,
      info,
      backend: BACKEND,
      threads: THREADS ?? null,
      grid: GRID_SIZE,
      startupMs,
      warmUpMs: warmUp.inSceneMs,
      warmUpLongTasks: warmUpWatch.longTasks,
      inSceneMs: runs.map((run) => run.inSceneMs),
      drawnMs: runs.map((run) => run.drawnMs),
      vertices: runs.map((run) => run.metadata.vertices),
      backends: [...new Set(runs.map((run) => run.metadata.backend))],
      stages,
      during,
      render: RENDER,
      mainThreadMs,
      longTaskStarts: watch.longTaskStarts,
      stageTimes,
      idle,
    };
  })(),
);
