// Generates a mesh from a prompt with the default pack inside a Babylon scene (WebGL engine), exports it to .glb and
// loads it back, and tries bad inputs; plugin-generate.test.ts asserts on the report and screenshots the canvas,
// which keeps rendering after the report.
import { ArcRotateCamera } from '@babylonjs/core/Cameras/arcRotateCamera.js';
import { Engine } from '@babylonjs/core/Engines/engine.js';
import { VertexBuffer } from '@babylonjs/core/Buffers/buffer.js';
import { HemisphericLight } from '@babylonjs/core/Lights/hemisphericLight.js';
import { LoadAssetContainerAsync } from '@babylonjs/core/Loading/sceneLoader.js';
import { StandardMaterial } from '@babylonjs/core/Materials/standardMaterial.js';
import { Color3, Color4 } from '@babylonjs/core/Maths/math.color.js';
import { Vector3 } from '@babylonjs/core/Maths/math.vector.js';
import { CreateGround } from '@babylonjs/core/Meshes/Builders/groundBuilder.js';
import type { Mesh } from '@babylonjs/core/Meshes/mesh.js';
import { Scene } from '@babylonjs/core/scene.js';
import '@babylonjs/loaders/glTF/2.0/glTFLoader.js';
import {
  createScaleDreamer,
  exportMeshToGlb,
  type GeneratedMeshMetadataHolder,
  type GenerationStage,
} from 'scaledreamer-babylon';
import { reportResult } from './page-result.js';

const PROMPT = 'a red wooden barrel';
const POSITION = [0.5, 0.25, -0.25] as const;
const GRID_SIZE = 48;

/** World bounds and vertex colours of a mesh, as plain data. */
function describeMesh(mesh: Mesh) {
  mesh.computeWorldMatrix(true);
  mesh.refreshBoundingInfo();
  const box = mesh.getBoundingInfo().boundingBox;
  const colors = mesh.getVerticesData(VertexBuffer.ColorKind);
  return {
    vertices: mesh.getTotalVertices(),
    indices: mesh.getTotalIndices(),
    min: box.minimumWorld.asArray(),
    max: box.maximumWorld.asArray(),
    colorComponents: colors ? colors.length / mesh.getTotalVertices() : 0,
    colors: colors ? Array.from(colors) : [],
  };
}

/** The error a call throws, as plain data. */
function thrown(call: () => unknown) {
  try {
    call();
    return null;
  } catch (error) {
    const { name, message } = error as Error;
    return { name, message, words: (error as { words?: string[] }).words ?? null };
  }
}

reportResult(
  (async () => {
    const canvas = document.getElementById('scene') as HTMLCanvasElement;
    const engine = new Engine(canvas, true, { preserveDrawingBuffer: true });
    const scene = new Scene(engine);
    scene.clearColor = new Color4(0.106, 0.118, 0.141, 1);
    const target = new Vector3(POSITION[0], POSITION[1] + 0.55, POSITION[2]);
    // alpha = -90 degrees: the camera is on the -Z side, facing the asset's front (asset +Z -> Babylon -Z).
    new ArcRotateCamera('camera', -Math.PI / 2 - 0.5, 1.15, 3.2, target, scene);
    new HemisphericLight('light', new Vector3(0.3, 1, -0.4), scene).intensity = 0.95;
    const ground = CreateGround('ground', { width: 4, height: 4 }, scene);
    ground.position.set(POSITION[0], POSITION[1], POSITION[2]);
    const groundMaterial = new StandardMaterial('ground', scene);
    groundMaterial.diffuseColor = new Color3(0.42, 0.45, 0.5);
    groundMaterial.specularColor = Color3.Black();
    ground.material = groundMaterial;
    engine.runRenderLoop(() => scene.render());

    const scaleDreamer = await createScaleDreamer({ pack: './models/default/' });
    scene.addPlugin(scaleDreamer);

    const badInputs = {
      empty: thrown(() => scaleDreamer.generate('   ')),
      unknownWords: thrown(() => scaleDreamer.generate('a red flibbertigibbet barrel with zorps')),
      tooLong: thrown(() => scaleDreamer.generate('a '.repeat(5000))),
      gridSize: thrown(() => scaleDreamer.generate(PROMPT, { gridSize: 4096 })),
      position: thrown(() => scaleDreamer.generate(PROMPT, { position: { x: 0, y: Infinity, z: 0 } })),
      notString: thrown(() => scaleDreamer.generate(42 as unknown as string)),
    };

    const stages: GenerationStage[] = [];
    let meshInSceneAtDone = false;
    const job = scaleDreamer.generate(PROMPT, { position: new Vector3(...POSITION), seed: 7, gridSize: GRID_SIZE });
    job.onProgressObservable.add(({ stage }) => {
      stages.push(stage);
      if (stage === 'done') meshInSceneAtDone = scene.meshes.some((mesh) => mesh.name.startsWith('scaledreamer:'));
    });
    const started = performance.now();
    const mesh = await job.mesh;
    const promptToMeshMs = performance.now() - started;
    const metadata = (mesh.metadata as GeneratedMeshMetadataHolder).scaleDreamer;
    await scene.whenReadyAsync();

    // A second prompt on the warm worker: what a user waits for once the sessions exist.
    const warmStart = performance.now();
    // It has a word outside the vocabulary, allowed in lenient mode.
    const second = await scaleDreamer.generate('a blue stone zorp tower', {
      position: new Vector3(POSITION[0] + 1.2, POSITION[1], POSITION[2] + 0.8),
      gridSize: GRID_SIZE,
      unknownWords: 'lenient',
    }).mesh;
    const warmPromptToMeshMs = performance.now() - warmStart;

    // .glb out through @babylonjs/serializers, back in through @babylonjs/loaders.
    const glb = await exportMeshToGlb(mesh);
    const container = await LoadAssetContainerAsync(new Uint8Array(await glb.arrayBuffer()), scene, {
      pluginExtension: '.glb',
    });
    const loaded = container.meshes.filter((m) => m.getTotalVertices() > 0) as Mesh[];
    const reloaded = loaded.length === 1 ? describeMesh(loaded[0]!) : null;
    // glTF's COLOR_0 is linear; the exporter converts StandardMaterial's (gamma-space) vertex colours to it, and
    // may drop an alpha that is 1 everywhere (VEC3).
    const original = describeMesh(mesh);
    let colorRoundTripMaxError: number | null = null;
    if (reloaded && reloaded.colors.length > 0) {
      const linear = new Color4();
      const stride = reloaded.colorComponents;
      colorRoundTripMaxError = 0;
      for (let v = 0; v < original.vertices; v++) {
        Color4.FromArray(original.colors, 4 * v).toLinearSpaceToRef(linear, engine.useExactSrgbConversions);
        const expected = [linear.r, linear.g, linear.b, linear.a];
        for (let c = 0; c < stride; c++) {
          const error = Math.abs(reloaded.colors[stride * v + c]! - expected[c]!);
          colorRoundTripMaxError = Math.max(colorRoundTripMaxError, error);
        }
      }
    }
    container.dispose();

    return {
      stages,
      meshInSceneAtDone,
      inScene: scene.meshes.includes(mesh),
      name: mesh.name,
      metadata,
      mesh: { ...original, colors: undefined },
      colorStats: colorStats(original.colors),
      secondVertices: second.getTotalVertices(),
      secondMetadata: (second.metadata as GeneratedMeshMetadataHolder).scaleDreamer,
      reloaded: reloaded && { ...reloaded, colors: undefined },
      reloadedCount: loaded.length,
      colorRoundTripMaxError,
      glbBytes: glb.size,
      badInputs,
      promptToMeshMs,
      warmPromptToMeshMs,
      crossOriginIsolated,
    };
  })(),
);

/** Mean RGBA, the smallest alpha, and how many vertices are not plain white. */
function colorStats(colors: number[]) {
  const mean = [0, 0, 0, 0];
  let minAlpha = Infinity;
  let coloured = 0;
  for (let i = 0; i < colors.length; i += 4) {
    for (let c = 0; c < 4; c++) mean[c]! += colors[i + c]!;
    minAlpha = Math.min(minAlpha, colors[i + 3]!);
    if (colors[i]! < 0.99 || colors[i + 1]! < 0.99 || colors[i + 2]! < 0.99) coloured++;
  }
  const count = colors.length / 4;
  return { mean: mean.map((sum) => sum / count), minAlpha, colouredFraction: coloured / count };
}
