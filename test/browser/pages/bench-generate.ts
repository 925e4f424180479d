// The browser benchmark's page (bench/browser.mjs; not a test): prompt -> mesh in a Babylon scene (WebGL engine,
// render loop running), timed from generate() to the mesh in the scene and to the first frame that draws it, after
// a warm-up job; and the main thread's long tasks (PerformanceObserver 'longtask', >= 50 ms) during the timed jobs
// and while idle, with an event-loop probe for the longest task below that threshold.
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

/** Long tasks (>= 50 ms, the browser's threshold) and, for shorter ones, the longest gap in a zero-delay task loop. */
class MainThreadWatch {
  private readonly _longTasks: number[] = [];
  private _longestGap = 0;
  private _last = 0;
  private _running = false;
  private readonly _channel = new MessageChannel();
  private readonly _observer = new PerformanceObserver((list) => {
    if (this._running) for (const entry of list.getEntries()) this._longTasks.push(entry.duration);
  });

  constructor() {
    this._observer.observe({ type: 'longtask' });
    this._channel.port1.onmessage = () => this._tick();
  }

  start(): void {
    this._longTasks.length = 0;
    this._longestGap = 0;
    this._running = true;
    this._last = performance.now();
    this._channel.port2.postMessage(0);
  }

  /** Stops watching; the long tasks seen and the longest gap between two turns of the probe's loop. */
  stop(): { longTasks: number[]; longestGapMs: number } {
    this._running = false;
    return { longTasks: [...this._longTasks], longestGapMs: this._longestGap };
  }

  private _tick(): void {
    if (!this._running) return;
    const now = performance.now();
    this._longestGap = Math.max(this._longestGap, now - this._last);
    this._last = now;
    this._channel.port2.postMessage(0);
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
    const job = async (index: number) => {
      const start = performance.now();
      const mesh = await scaleDreamer.generate(PROMPTS[index % PROMPTS.length]!, { gridSize: GRID_SIZE }).mesh;
      const inSceneMs = performance.now() - start;
      await new Promise((resolve) => scene.onAfterRenderObservable.addOnce(resolve));
      const drawnMs = performance.now() - start;
      const metadata = (mesh.metadata as GeneratedMeshMetadataHolder).scaleDreamer;
      mesh.dispose(false, true);
      return { inSceneMs, drawnMs, metadata };
    };

    watch.start();
    const warmUp = await job(0);
    const warmUpWatch = watch.stop();
    const runs: { inSceneMs: number; drawnMs: number; metadata: GeneratedMeshMetadata }[] = [];
    watch.start();
    for (let i = 0; i < RUNS; i++) runs.push(await job(i));
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
      idle,
    };
  })(),
);
