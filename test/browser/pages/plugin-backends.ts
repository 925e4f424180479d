// The same prompt through the plugin's three backends in one scene: 'wasm', 'webgpu' (onnxruntime-web's WebGPU
// build on the worker's own GPUDevice; SwiftShader here) and 'auto' (which must not pick a software adapter).
// plugin-backends.test.ts compares the meshes.
import { FreeCamera } from '@babylonjs/core/Cameras/freeCamera.js';
import { NullEngine } from '@babylonjs/core/Engines/nullEngine.js';
import { Vector3 } from '@babylonjs/core/Maths/math.vector.js';
import { Scene } from '@babylonjs/core/scene.js';
import {
  createScaleDreamer,
  loadModelPack,
  type GeneratedMeshMetadataHolder,
  type GenerationBackend,
} from 'scaledreamer-babylon';
import { reportResult } from './page-result.js';

const PROMPT = 'a yellow mushroom';
const GRID_SIZE = 24;

reportResult(
  (async () => {
    // No canvas needed: the meshes are compared, not drawn (and WebGPU flags can break the WebGL engine).
    const engine = new NullEngine();
    const pack = await loadModelPack('./models/default/', { testFiles: 'skip' });
    const results: Record<string, unknown> = {};
    for (const backend of ['wasm', 'webgpu', 'auto'] as GenerationBackend[]) {
      const scene = new Scene(engine);
      new FreeCamera('camera', new Vector3(0, 1, -4), scene);
      const scaleDreamer = await createScaleDreamer({ pack, backend });
      scene.addPlugin(scaleDreamer);
      try {
        const mesh = await scaleDreamer.generate(PROMPT, { gridSize: GRID_SIZE }).mesh;
        const metadata = (mesh.metadata as GeneratedMeshMetadataHolder).scaleDreamer;
        results[backend] = {
          ok: true,
          backend: metadata.backend,
          fallbackReason: metadata.fallbackReason,
          vertices: metadata.vertices,
          bounds: metadata.localBounds,
          timings: metadata.timings,
        };
      } catch (error) {
        results[backend] = { ok: false, error: String(error) };
      }
      scene.dispose();
    }
    engine.dispose();
    pack.release();
    return results;
  })(),
);
