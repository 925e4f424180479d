// The plugin on backend 'webgpu' (SwiftShader here) loses its worker's GPUDevice, through the worker's test hook
// (GPUDevice.destroy(), as a driver reset would): once in the middle of a job, once between jobs on a second plugin,
// once while a third plugin refines a mesh. plugin-device-loss.test.ts checks that the jobs complete on WASM (the
// refining one rejects and takes its mesh out of the scene), that the next ones do too, and that the lost worker's
// sessions, device and GPU buffers went with it.
import { FreeCamera } from '@babylonjs/core/Cameras/freeCamera.js';
import { NullEngine } from '@babylonjs/core/Engines/nullEngine.js';
import { Vector3 } from '@babylonjs/core/Maths/math.vector.js';
import type { Mesh } from '@babylonjs/core/Meshes/mesh.js';
import { Scene } from '@babylonjs/core/scene.js';
import * as Comlink from 'comlink';
import {
  createScaleDreamer,
  loadModelPack,
  type GeneratedMeshMetadataHolder,
  type GenerationJob,
  type ModelPack,
} from 'scaledreamer-babylon';
import type { GenerationWorkerApi } from '../../../src/workers/generation-protocol.js';
import { createCountingGenerationWorker } from './counting-worker.js';
import { reportResult } from './page-result.js';

const PROMPT = 'a yellow mushroom';
const GRID_SIZE = 16;

/** How a job ended, as plain data. */
async function outcome(job: GenerationJob) {
  try {
    const mesh = await job.mesh;
    const { backend, fallbackReason, vertices } = (mesh.metadata as GeneratedMeshMetadataHolder).scaleDreamer;
    return { ok: true, backend, fallbackReason, vertices, state: job.state };
  } catch (error) {
    const { name, message } = error as Error;
    return { ok: false, name, message, state: job.state };
  }
}

/**
 * Asks a worker to destroy its device. A second comlink proxy on the same worker: it must not be released, since
 * releasing a proxy makes the worker stop listening.
 */
function loseDevice(worker: Worker): Promise<boolean> {
  return Comlink.wrap<GenerationWorkerApi>(worker).loseDeviceForTesting();
}

/** A plugin in its own scene whose workers the page can reach. */
async function webgpuPlugin(engine: NullEngine, pack: ModelPack) {
  const scene = new Scene(engine);
  new FreeCamera('camera', new Vector3(0, 1, -4), scene);
  const workers: Worker[] = [];
  const scaleDreamer = await createScaleDreamer({
    pack,
    backend: 'webgpu',
    createWorker: () => {
      const worker = createCountingGenerationWorker();
      workers.push(worker);
      return worker;
    },
  });
  scene.addPlugin(scaleDreamer);
  const [info] = await scaleDreamer.whenReadyAsync();
  return { scene, scaleDreamer, workers, info };
}

reportResult(
  (async () => {
    const engine = new NullEngine();
    const pack = await loadModelPack('./models/default/', { testFiles: 'skip' });

    // 1. Lost in the middle of a job, while onnxruntime runs the generator on the device.
    const midJob = await webgpuPlugin(engine, pack);
    const countsBefore = await midJob.scaleDreamer.getResourceCountsAsync();
    const stages: string[] = [];
    let destroyed: Promise<boolean> | null = null;
    const job = midJob.scaleDreamer.generate(PROMPT, { gridSize: GRID_SIZE });
    job.onProgressObservable.add(({ stage }) => {
      stages.push(stage);
      if (stage === 'generating' && !destroyed) destroyed = loseDevice(midJob.workers[0]!);
    });
    const lostJob = await outcome(job);
    const destroyedMidJob = await destroyed;
    const next = await outcome(midJob.scaleDreamer.generate(PROMPT, { gridSize: GRID_SIZE }));
    const countsAfter = await midJob.scaleDreamer.getResourceCountsAsync();
    const workersCreated = midJob.workers.length;
    midJob.scene.dispose();

    // 2. Lost while the worker is idle: the next job finds out, and completes on WASM too.
    const idle = await webgpuPlugin(engine, pack);
    const destroyedIdle = await loseDevice(idle.workers[0]!);
    const afterIdleLoss = await outcome(idle.scaleDreamer.generate(PROMPT, { gridSize: GRID_SIZE }));
    const idleCountsAfter = await idle.scaleDreamer.getResourceCountsAsync();
    idle.scene.dispose();

    // 3. Lost while refining, after the mesh was delivered: the job rejects and its mesh leaves the scene.
    const refining = await webgpuPlugin(engine, pack);
    const refineStages: string[] = [];
    let destroyedRefining: Promise<boolean> | null = null;
    let deliveredMesh: Mesh | null = null;
    refining.scaleDreamer.onMeshGeneratedObservable.addOnce((mesh) => (deliveredMesh = mesh));
    const refineJob = refining.scaleDreamer.generate(PROMPT, {
      gridSize: GRID_SIZE,
      refine: { steps: 3, resolution: 8, meshEvery: 1 },
    });
    refineJob.onProgressObservable.add(({ stage }) => {
      refineStages.push(stage);
      if (stage === 'refining' && !destroyedRefining) destroyedRefining = loseDevice(refining.workers[0]!);
    });
    const lostRefinement = await outcome(refineJob);
    const refinedMeshGone = deliveredMesh !== null && (deliveredMesh as Mesh).isDisposed() &&
      !refining.scene.meshes.includes(deliveredMesh);
    const afterRefineLoss = await outcome(refining.scaleDreamer.generate(PROMPT, { gridSize: GRID_SIZE }));
    const refineCountsAfter = await refining.scaleDreamer.getResourceCountsAsync();
    const destroyedWhileRefining = await destroyedRefining;
    refining.scene.dispose();

    engine.dispose();
    pack.release();
    return {
      info: midJob.info,
      countsBefore,
      stages,
      destroyedMidJob,
      lostJob,
      next,
      countsAfter,
      workersCreated,
      destroyedIdle,
      afterIdleLoss,
      idleCountsAfter,
      refineStages,
      destroyedWhileRefining,
      lostRefinement,
      refinedMeshGone,
      afterRefineLoss,
      refineCountsAfter,
    };
  })(),
);
