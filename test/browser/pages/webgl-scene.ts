// Renders a lit box with Babylon's WebGL engine and reports how many pixels differ from the clear colour.
import { ArcRotateCamera } from '@babylonjs/core/Cameras/arcRotateCamera.js';
import { Engine } from '@babylonjs/core/Engines/engine.js';
import { HemisphericLight } from '@babylonjs/core/Lights/hemisphericLight.js';
import '@babylonjs/core/Materials/standardMaterial.js';
import { Color4 } from '@babylonjs/core/Maths/math.color.js';
import { Vector3 } from '@babylonjs/core/Maths/math.vector.js';
import { CreateBox } from '@babylonjs/core/Meshes/Builders/boxBuilder.js';
import { Scene } from '@babylonjs/core/scene.js';
import { reportResult } from './page-result.js';

const CLEAR = [0, 0, 0, 255] as const;

reportResult(
  (async () => {
    const canvas = document.getElementById('scene');
    if (!(canvas instanceof HTMLCanvasElement)) throw new Error('#scene canvas is missing');
    const engine = new Engine(canvas, false, { preserveDrawingBuffer: true });
    const scene = new Scene(engine);
    scene.clearColor = new Color4(CLEAR[0] / 255, CLEAR[1] / 255, CLEAR[2] / 255, 1);
    new ArcRotateCamera('camera', -Math.PI / 3, 1.1, 3, Vector3.Zero(), scene);
    new HemisphericLight('light', new Vector3(0.3, 1, -0.4), scene);
    CreateBox('box', { size: 1 }, scene);

    await scene.whenReadyAsync();
    scene.render();
    const pixels = new Uint8Array((await engine.readPixels(0, 0, canvas.width, canvas.height)).buffer);
    let drawn = 0;
    for (let i = 0; i < pixels.length; i += 4) {
      if (CLEAR.some((value, channel) => pixels[i + channel] !== value)) drawn++;
    }
    const result = {
      engine: engine.description,
      webGLVersion: engine.webGLVersion,
      renderer: engine.getGlInfo().renderer,
      drawnFraction: drawn / (canvas.width * canvas.height),
    };
    engine.dispose();
    return result;
  })(),
);
