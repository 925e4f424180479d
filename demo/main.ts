/**
 * The demo app: an empty Babylon scene (ground, orbit camera, light) and a status line saying whether WebGPU compute,
 * which in-browser refinement will need, is available in a worker.
 */
import { ArcRotateCamera } from '@babylonjs/core/Cameras/arcRotateCamera.js';
import { Engine } from '@babylonjs/core/Engines/engine.js';
import { HemisphericLight } from '@babylonjs/core/Lights/hemisphericLight.js';
import { StandardMaterial } from '@babylonjs/core/Materials/standardMaterial.js';
import { Color3, Color4 } from '@babylonjs/core/Maths/math.color.js';
import { Vector3 } from '@babylonjs/core/Maths/math.vector.js';
import { CreateGround } from '@babylonjs/core/Meshes/Builders/groundBuilder.js';
import { Scene } from '@babylonjs/core/scene.js';
import { ComputeWorker } from 'scaledreamer-babylon';

/** Assets stand on y = GROUND_Y inside the cube [-1, 1]^3 (docs/conventions.md). */
const GROUND_Y = -0.9;

function element<T extends HTMLElement>(id: string, type: new () => T): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`#${id} is missing or not a ${type.name}`);
  return found;
}

const canvas = element('scene', HTMLCanvasElement);
const status = element('status', HTMLDivElement);

const engine = new Engine(canvas, true);
const scene = new Scene(engine);
scene.clearColor = new Color4(0.106, 0.118, 0.141, 1);
const camera = new ArcRotateCamera('camera', -Math.PI / 2, 1.2, 4, Vector3.Zero(), scene);
camera.attachControl(canvas, true);
new HemisphericLight('light', new Vector3(0.3, 1, -0.4), scene).intensity = 0.8;
const ground = CreateGround('ground', { width: 4, height: 4 }, scene);
ground.position.y = GROUND_Y;
const groundMaterial = new StandardMaterial('ground', scene);
groundMaterial.diffuseColor = new Color3(0.42, 0.45, 0.5);
groundMaterial.specularColor = Color3.Black();
ground.material = groundMaterial;

engine.runRenderLoop(() => scene.render());
window.addEventListener('resize', () => engine.resize());

const worker = ComputeWorker.spawn();
worker
  .adapterInfo()
  .then(
    (adapter) => (status.textContent = `WebGPU compute: ${adapter.vendor} ${adapter.architecture}`.trimEnd()),
    (error: unknown) => (status.textContent = `In-browser refinement unavailable: ${String(error)}`),
  )
  .finally(() => worker.dispose());
