// The plugin's worker pool under stress, in a Babylon scene (WebGL engine): a worker killed mid-job, a full queue,
// cancellation (cancel() and an AbortSignal), and disposal with the scene. plugin-lifecycle.test.ts asserts on the
// report. Workers are made through the createWorker option so that the page can kill one behind the pool's back.
import { FreeCamera } from '@babylonjs/core/Cameras/freeCamera.js';
import { Engine } from '@babylonjs/core/Engines/engine.js';
import { Vector3 } from '@babylonjs/core/Maths/math.vector.js';
import { Scene } from '@babylonjs/core/scene.js';
import {
  createScaleDreamer,
  loadModelPack,
  type GeneratedMeshMetadataHolder,
  type GenerationBackend,
  type GenerationJob,
} from 'scaledreamer-babylon';
import { reportResult } from './page-result.js';

const PROMPT = 'a green cactus';
const GRID_SIZE = 24;
const LOCK_PREFIX = 'scaledreamer-generation-worker-';

/** How a job ended, as plain data. */
async function outcome(job: GenerationJob) {
  const start = performance.now();
  try {
    const mesh = await job.mesh;
    const { backend, fallbackReason } = (mesh.metadata as GeneratedMeshMetadataHolder).scaleDreamer;
    const vertices = mesh.getTotalVertices();
    return { ok: true, vertices, backend, fallbackReason, state: job.state, ms: performance.now() - start };
  } catch (error) {
    const { name, message } = error as Error;
    return { ok: false, name, message, state: job.state, ms: performance.now() - start };
  }
}

/** Worker life locks still held: one per live generation worker. */
async function heldWorkerLocks(): Promise<number> {
  const { held = [] } = await navigator.locks.query();
  return held.filter((lock) => lock.name?.startsWith(LOCK_PREFIX)).length;
}

async function until(condition: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    if (await condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return condition();
}

reportResult(
  (async () => {
    const canvas = document.getElementById('scene') as HTMLCanvasElement;
    const engine = new Engine(canvas, false);
    const scene = new Scene(engine);
    new FreeCamera('camera', new Vector3(0, 1, -4), scene);

    const workers: Worker[] = [];
    let terminateCalls = 0;
    const scaleDreamer = await createScaleDreamer({
      pack: './models/default/',
      maxQueuedJobs: 1,
      createWorker: () => {
        const worker = new Worker(new URL('./generation.worker.js', import.meta.url), { type: 'module' });
        const terminate = worker.terminate.bind(worker);
        worker.terminate = () => {
          terminateCalls++;
          terminate();
        };
        workers.push(worker);
        return worker;
      },
    });
    scene.addPlugin(scaleDreamer);
    const info = await scaleDreamer.whenReadyAsync();

    // 1. A worker killed mid-job (behind the pool's back): that job rejects, the next one succeeds.
    const killed = scaleDreamer.generate(PROMPT, { gridSize: GRID_SIZE });
    const victim = workers[workers.length - 1]!;
    let killedAtStage = '';
    let killedAt = 0;
    killed.onProgressObservable.add(({ stage }) => {
      if (stage === 'generating') {
        killedAtStage = stage;
        killedAt = performance.now();
        Worker.prototype.terminate.call(victim);
      }
    });
    const killedOutcome = await outcome(killed);
    const killToRejectionMs = performance.now() - killedAt;
    const afterKill = await outcome(scaleDreamer.generate(PROMPT, { gridSize: GRID_SIZE }));
    const workersAfterKill = workers.length;
    const countsAfterKill = await scaleDreamer.getResourceCountsAsync();

    // 2. One job runs, one waits (maxQueuedJobs: 1), the third is refused; then the waiting one is aborted
    //    through its signal and the running one is cancelled (its worker is replaced).
    const controller = new AbortController();
    const running = scaleDreamer.generate(PROMPT, { gridSize: GRID_SIZE });
    const waiting = scaleDreamer.generate(PROMPT, { gridSize: GRID_SIZE, signal: controller.signal });
    const refused = scaleDreamer.generate(PROMPT, { gridSize: GRID_SIZE });
    const [refusedOutcome] = await Promise.all([outcome(refused)]);
    const waitingStage = waiting.stage;
    controller.abort();
    const waitingOutcome = await outcome(waiting);
    await new Promise<void>((resolve) => {
      running.onProgressObservable.add(({ stage }) => stage === 'encoding' && resolve());
    });
    const cancelReturned = running.cancel();
    const cancelAgain = running.cancel();
    const runningOutcome = await outcome(running);
    const afterCancel = await outcome(scaleDreamer.generate(PROMPT, { gridSize: GRID_SIZE }));
    const preAborted = outcome(scaleDreamer.generate(PROMPT, { signal: AbortSignal.abort() }));

    // 3. Disposing the scene disposes the plugin: pending jobs reject, workers end, locks are released.
    const locksBeforeDispose = await heldWorkerLocks();
    const liveBeforeDispose = scaleDreamer.liveWorkers;
    const pending = scaleDreamer.generate(PROMPT, { gridSize: GRID_SIZE });
    let disposedEvents = 0;
    scaleDreamer.onDisposeObservable.add(() => disposedEvents++);
    const terminateCallsBeforeDispose = terminateCalls;
    scene.dispose();
    const pendingOutcome = await outcome(pending);
    const locksReleased = await until(async () => (await heldWorkerLocks()) === 0, 5000);
    let generateAfterDispose = '';
    try {
      scaleDreamer.generate(PROMPT);
    } catch (error) {
      generateAfterDispose = (error as Error).message;
    }

    // 4. No WebGPU here (the test launches Chromium without its flags): 'auto' falls back to WASM and says why;
    //    'webgpu' rejects its job with the reason, and a job on a WASM plugin still succeeds afterwards.
    const adapter = 'gpu' in navigator ? await navigator.gpu.requestAdapter() : null;
    const pack = await loadModelPack('./models/default/', { testFiles: 'skip' });
    const withoutWebGpu: Record<string, unknown> = {};
    for (const backend of ['auto', 'webgpu', 'wasm'] as GenerationBackend[]) {
      const noGpuScene = new Scene(engine);
      const plugin = noGpuScene.addPlugin(await createScaleDreamer({ pack, backend }));
      withoutWebGpu[backend] = await outcome(plugin.generate(PROMPT, { gridSize: GRID_SIZE }));
      noGpuScene.dispose();
    }
    pack.release();
    engine.dispose();

    return {
      webgpuAdapter: adapter !== null,
      withoutWebGpu,
      info,
      killedAtStage,
      killed: killedOutcome,
      killToRejectionMs,
      afterKill,
      workersAfterKill,
      countsAfterKill,
      refused: refusedOutcome,
      waitingStage,
      waiting: waitingOutcome,
      cancelReturned,
      cancelAgain,
      running: runningOutcome,
      afterCancel,
      preAborted: await preAborted,
      workersCreated: workers.length,
      locksBeforeDispose,
      liveBeforeDispose,
      pending: pendingOutcome,
      disposed: scaleDreamer.isDisposed,
      disposedEvents,
      liveAfterDispose: scaleDreamer.liveWorkers,
      terminatedByDispose: terminateCalls - terminateCallsBeforeDispose,
      locksReleased,
      generateAfterDispose,
    };
  })(),
);
