/**
 * The demo app: a Babylon scene (ground, orbit camera, light) with the ScaleDreamer plugin. Type a prompt; the mesh
 * appears on the ground, each new one to the right of the last. The status line shows the job's stages and timings.
 */
import { ArcRotateCamera } from '@babylonjs/core/Cameras/arcRotateCamera.js';
import { Engine } from '@babylonjs/core/Engines/engine.js';
import { HemisphericLight } from '@babylonjs/core/Lights/hemisphericLight.js';
import { StandardMaterial } from '@babylonjs/core/Materials/standardMaterial.js';
import { Color3, Color4 } from '@babylonjs/core/Maths/math.color.js';
import { Vector3 } from '@babylonjs/core/Maths/math.vector.js';
import { CreateGround } from '@babylonjs/core/Meshes/Builders/groundBuilder.js';
import { Scene } from '@babylonjs/core/scene.js';
import { createScaleDreamer, type GeneratedMeshMetadataHolder } from 'scaledreamer-babylon';

/** Generated assets are two units wide at most; they are placed this far apart along X. */
const SPACING = 2.2;

function element<T extends HTMLElement>(id: string, type: new () => T): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`#${id} is missing or not a ${type.name}`);
  return found;
}

const canvas = element('scene', HTMLCanvasElement);
const status = element('status', HTMLDivElement);
const form = element('prompt-form', HTMLFormElement);
const input = element('prompt', HTMLInputElement);

const engine = new Engine(canvas, true);
const scene = new Scene(engine);
scene.clearColor = new Color4(0.106, 0.118, 0.141, 1);
const camera = new ArcRotateCamera('camera', -Math.PI / 2, 1.2, 5, new Vector3(0, 0.8, 0), scene);
camera.attachControl(canvas, true);
new HemisphericLight('light', new Vector3(0.3, 1, -0.4), scene).intensity = 0.9;
const ground = CreateGround('ground', { width: 40, height: 8 }, scene);
const groundMaterial = new StandardMaterial('ground', scene);
groundMaterial.diffuseColor = new Color3(0.42, 0.45, 0.5);
groundMaterial.specularColor = Color3.Black();
ground.material = groundMaterial;

engine.runRenderLoop(() => scene.render());
window.addEventListener('resize', () => engine.resize());

try {
  status.textContent = 'Loading the model pack…';
  const scaleDreamer = await createScaleDreamer({ pack: './models/default/' });
  scene.addPlugin(scaleDreamer);
  let placed = 0;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    try {
      const position = new Vector3(placed * SPACING, 0, 0);
      const job = scaleDreamer.generate(input.value, { position });
      placed++;
      job.onProgressObservable.add(({ stage, elapsedMs }) => {
        status.textContent = `${job.prompt}: ${stage} (${Math.round(elapsedMs)} ms)`;
      });
      job.mesh.then(
        (mesh) => {
          const { vertices, timings, backend } = (mesh.metadata as GeneratedMeshMetadataHolder).scaleDreamer;
          status.textContent = `${job.prompt}: ${vertices} vertices in ${Math.round(timings.endToEndMs)} ms ` +
            `(${backend})`;
          camera.setTarget(new Vector3(position.x, 0.8, 0));
        },
        (error: unknown) => (status.textContent = `${job.prompt}: ${String(error)}`),
      );
    } catch (error) {
      status.textContent = String(error);
    }
  });
  status.textContent = 'Starting the generation worker…';
  const [worker] = await scaleDreamer.whenReadyAsync();
  input.disabled = false;
  status.textContent = `Ready (${worker?.backend}): type a prompt made of the pack's words, ` +
    'e.g. "a red wooden barrel"';
} catch (error) {
  status.textContent = `ScaleDreamer could not start: ${String(error)}`;
}
