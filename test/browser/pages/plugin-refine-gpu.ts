// For plugin-refine-gpu.test.ts, on SwiftShader (tiny sizes: the pack's UNet alone takes ~20 s a step here):
// 1. the refinement loop with GpuRefineKernels (WGSL, on this page's own GPUDevice, through GpuKernelsWithCpuTensors)
//    and with CpuRefineKernels on the same small triplane, decoder and stand-in prior (the exact denoiser of a
//    constant red image);
// 2. the pack's prior on that device along its two paths, GPU-resident and CPU tensors (gpu-prior-paths.ts);
// 3. the plugin on its 'webgpu' backend refining a generated mesh for 1 step, its worker's readbacks recorded.
// The kernels are bundled from src/ (they are not part of the public API).
import { NullEngine } from '@babylonjs/core/Engines/nullEngine.js';
import { Scene } from '@babylonjs/core/scene.js';
import { VertexBuffer } from '@babylonjs/core/Buffers/buffer.js';
import { createScaleDreamer, type GeneratedMeshMetadataHolder, type GenerationProgress } from 'scaledreamer-babylon';
import { decoderLayout, planesLength } from '../../../src/kernels/triplane-layout.js';
import { CpuRefineKernels } from '../../../src/refine/cpu-kernels.js';
import { GpuRefineKernels } from '../../../src/refine/gpu-kernels.js';
import { GpuKernelsWithCpuTensors } from '../../../src/refine/gpu-kernels-cpu-tensors.js';
import type { RefineKernels } from '../../../src/refine/refine-backend.js';
import { refineTriplane, type RefineProgress } from '../../../src/refine/refine.js';
import type { GuidanceMethod } from '../../../src/kernels/guidance-options.js';
import { ConstantImagePrior } from '../../fixtures/constant-image-prior.js';
import { uniformArray } from '../../fixtures/random.js';
import { comparePriorPaths } from './gpu-prior-paths.js';
import { reportResult } from './page-result.js';
import { createReadbackSpyGenerationWorker, installReadbackSpy, workerReadbackSizes } from './readback-spy.js';

const SHAPE = { channels: 4, resolution: 8, hidden: 8 };
const PLANES = uniformArray(Float32Array, planesLength(SHAPE), 1, -0.1, 0.1);
const DECODER = uniformArray(Float32Array, decoderLayout(SHAPE).length, 2, -0.3, 0.3);

async function run(kernels: RefineKernels<Float32Array, Float32Array>, method: GuidanceMethod) {
  const losses: number[] = [];
  const views: number[][] = [];
  const result = await refineTriplane({ kernels, prior: new ConstantImagePrior(), samples: 8 }, 'a red thing', {
    method,
    steps: 3,
    resolution: 4,
    samples: 8,
    viewsPerStep: 2,
    learningRate: 0.05,
    reportEvery: 1,
    seed: 5,
  }, {
    onProgress: (progress: RefineProgress) => {
      losses.push(progress.loss);
      views.push(Array.from(progress.views));
    },
  });
  return { losses, views, planes: Array.from(result.planes) };
}

const pageReadbackSizes = installReadbackSpy(null);

reportResult(
  (async () => {
    const adapter = await navigator.gpu?.requestAdapter();
    if (!adapter) throw new Error('no WebGPU adapter');
    const device = await adapter.requestDevice();
    const cases = [];
    for (const method of ['asd', 'sds', 'csd'] as const) {
      const cpu = await run(new CpuRefineKernels(SHAPE, PLANES, DECODER, { learningRate: 0.05 }), method);
      const gpuKernels = new GpuKernelsWithCpuTensors(new GpuRefineKernels(device, SHAPE, PLANES, DECODER,
        { learningRate: 0.05 }));
      const gpu = await run(gpuKernels, method);
      gpuKernels.dispose();
      let disposedThrows = false;
      try {
        await gpuKernels.readPlanes();
      } catch {
        disposedThrows = true;
      }
      cases.push({ method, cpu, gpu, disposedThrows });
    }
    const priorPaths = await comparePriorPaths(device, pageReadbackSizes, { shape: SHAPE, planes: PLANES,
      decoder: DECODER });
    device.destroy();

    const scene = new Scene(new NullEngine());
    let worker: Worker | null = null;
    const scaleDreamer = await createScaleDreamer({
      pack: './models/default/',
      backend: 'webgpu',
      createWorker: () => (worker = createReadbackSpyGenerationWorker()),
    });
    scene.addPlugin(scaleDreamer);
    const job = scaleDreamer.generate('a red wooden barrel', {
      gridSize: 16,
      refine: { steps: 1, resolution: 8, meshEvery: 1 },
    });
    const events: Omit<GenerationProgress, 'elapsedMs'>[] = [];
    job.onProgressObservable.add(({ elapsedMs: _elapsedMs, ...event }) => events.push(event));
    let firstPositions: number[] = [];
    scaleDreamer.onMeshGeneratedObservable.addOnce((mesh) => {
      firstPositions = Array.from(mesh.getVerticesData(VertexBuffer.PositionKind) ?? []);
    });
    const mesh = await job.mesh;
    const positions = Array.from(mesh.getVerticesData(VertexBuffer.PositionKind) ?? []);
    const changed = positions.length !== firstPositions.length ||
      positions.some((value, i) => Math.abs(value - firstPositions[i]!) > 1e-6);
    const plugin = {
      events,
      metadata: (mesh.metadata as GeneratedMeshMetadataHolder).scaleDreamer,
      sameMesh: job.currentMesh === mesh,
      changed,
      counts: await scaleDreamer.getResourceCountsAsync(),
      workerReadbackSizes: await workerReadbackSizes(worker!),
    };
    scene.dispose();
    return { initialPlanes: Array.from(PLANES), cases, priorPaths, plugin };
  })(),
);
