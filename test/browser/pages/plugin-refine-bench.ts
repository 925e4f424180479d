// The refinement benchmark's page (bench/browser.mjs; not a test): one generate() with `refine` in a Babylon scene
// (WebGL engine, render loop running), timed per step from the job's progress events on the main thread (what a
// user sees: the worker's step, the message and the event), with the worker's own mean and its split by stage.
//
// Query: steps (default 12), resolution (the views' side, default the plugin's 32), method (default asd), threads
// (onnxruntime-web WASM threads; default onnxruntime's), refineThreads (refine.threads: the CPU kernels' threads;
// default one per core), grid (remeshing grid, default 32).
import { ArcRotateCamera } from '@babylonjs/core/Cameras/arcRotateCamera.js';
import { Engine } from '@babylonjs/core/Engines/engine.js';
import { HemisphericLight } from '@babylonjs/core/Lights/hemisphericLight.js';
import { Vector3 } from '@babylonjs/core/Maths/math.vector.js';
import { Scene } from '@babylonjs/core/scene.js';
import { createScaleDreamer, type GeneratedMeshMetadataHolder } from 'scaledreamer-babylon';
import { reportResult } from './page-result.js';

const query = new URLSearchParams(location.search);
const STEPS = Number(query.get('steps') ?? 12);
const RESOLUTION = Number(query.get('resolution') ?? 32);
const METHOD = (query.get('method') ?? 'asd') as 'asd' | 'sds' | 'csd';
const THREADS = query.has('threads') ? Number(query.get('threads')) : undefined;
const REFINE_THREADS = query.has('refineThreads') ? Number(query.get('refineThreads')) : undefined;
const GRID_SIZE = Number(query.get('grid') ?? 32);

reportResult(
  (async () => {
    const canvas = document.getElementById('scene') as HTMLCanvasElement;
    const engine = new Engine(canvas, true);
    const scene = new Scene(engine);
    new ArcRotateCamera('camera', -Math.PI / 2, 1.2, 4, new Vector3(0, 0.6, 0), scene);
    new HemisphericLight('light', new Vector3(0.3, 1, -0.4), scene);
    engine.runRenderLoop(() => scene.render());

    const scaleDreamer = await createScaleDreamer({
      pack: './models/default/',
      ...(THREADS === undefined ? {} : { threads: THREADS }),
    });
    scene.addPlugin(scaleDreamer);
    const [info] = await scaleDreamer.whenReadyAsync();

    // The mesh is remeshed only after the last step, so that every other interval is one step alone.
    const job = scaleDreamer.generate('a red wooden barrel', {
      gridSize: GRID_SIZE,
      refine: { method: METHOD, steps: STEPS, resolution: RESOLUTION, meshEvery: STEPS,
        ...(REFINE_THREADS === undefined ? {} : { threads: REFINE_THREADS }) },
    });
    const stepAt: number[] = [];
    const losses: number[] = [];
    job.onProgressObservable.add(({ stage, step, loss }) => {
      if (stage !== 'refining') return;
      stepAt[step] = performance.now();
      if (loss !== null) losses.push(loss);
    });
    const mesh = await job.mesh;
    const metadata = (mesh.metadata as GeneratedMeshMetadataHolder).scaleDreamer;
    // Step 1 also encodes the view prompts (and, on a fresh worker, creates the UNet session): left out.
    const stepMs = stepAt.slice(2, STEPS).map((at, i) => at - stepAt[i + 1]!);
    return {
      steps: STEPS,
      resolution: RESOLUTION,
      method: METHOD,
      threads: THREADS ?? null,
      refineThreads: metadata.refinement!.threads,
      crossOriginIsolated: self.crossOriginIsolated,
      backend: info!.backend,
      firstStepMs: stepAt[1]! - stepAt[0]!,
      stepMs,
      lastStepWithRemeshMs: stepAt[STEPS]! - stepAt[STEPS - 1]!,
      workerMsPerStep: metadata.refinement!.msPerStep,
      workerStageMsPerStep: metadata.refinement!.stageMsPerStep,
      losses,
      vertices: metadata.vertices,
    };
  })(),
);
