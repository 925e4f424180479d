/**
 * The demo level: a meadow with a stone plaza, a tower, trees, rocks, a pond and a gate under a sky dome, lit by a
 * sun that casts shadows, and a first-person player (W A S D or arrows to walk, drag to look; touch drags too).
 * Static geometry is merged per material and the shadow map is drawn only when something moves into it, because
 * this also has to run on software WebGL/WebGPU (SwiftShader) on two cores.
 */
import { UniversalCamera } from '@babylonjs/core/Cameras/universalCamera.js';
import type { AbstractEngine } from '@babylonjs/core/Engines/abstractEngine.js';
import { DirectionalLight } from '@babylonjs/core/Lights/directionalLight.js';
import { HemisphericLight } from '@babylonjs/core/Lights/hemisphericLight.js';
import { ShadowGenerator } from '@babylonjs/core/Lights/Shadows/shadowGenerator.js';
import { StandardMaterial } from '@babylonjs/core/Materials/standardMaterial.js';
import { DynamicTexture } from '@babylonjs/core/Materials/Textures/dynamicTexture.js';
import { RenderTargetTexture } from '@babylonjs/core/Materials/Textures/renderTargetTexture.js';
import { Color3, Color4 } from '@babylonjs/core/Maths/math.color.js';
import { Vector3 } from '@babylonjs/core/Maths/math.vector.js';
import type { AbstractMesh } from '@babylonjs/core/Meshes/abstractMesh.js';
import { CreateBox } from '@babylonjs/core/Meshes/Builders/boxBuilder.js';
import { CreateCylinder } from '@babylonjs/core/Meshes/Builders/cylinderBuilder.js';
import { CreateDisc } from '@babylonjs/core/Meshes/Builders/discBuilder.js';
import { CreateGround } from '@babylonjs/core/Meshes/Builders/groundBuilder.js';
import { CreateIcoSphere } from '@babylonjs/core/Meshes/Builders/icoSphereBuilder.js';
import { CreateSphere } from '@babylonjs/core/Meshes/Builders/sphereBuilder.js';
import { Mesh } from '@babylonjs/core/Meshes/mesh.js';
import { Scene } from '@babylonjs/core/scene.js';

/** Eye height and walking area (a square of this half-size around the plaza). */
const EYE_HEIGHT = 1.7;
const HALF_SIZE = 34;
const PLAYER_RADIUS = 0.4;
const HORIZON = new Color3(0.74, 0.84, 0.93);

/** A round obstacle on the ground that the player cannot walk into. */
interface Obstacle {
  readonly x: number;
  readonly z: number;
  readonly radius: number;
}

export interface Level {
  readonly scene: Scene;
  readonly camera: UniversalCamera;
  /** Adds a mesh (and its children) to the sun's shadow casters; the shadow map is redrawn. */
  castShadows(mesh: AbstractMesh): void;
  /** Redraws the shadow map on the next frame (after a caster moved, appeared or left). */
  refreshShadows(): void;
  /** Where to put a new asset: `distance` ahead of the player on the ground, and the turn that faces it to them. */
  spotInFront(distance: number): { x: number; y: number; z: number; rotationY: number };
}

export function createLevel(engine: AbstractEngine, canvas: HTMLCanvasElement): Level {
  const scene = new Scene(engine);
  scene.clearColor = Color4.FromColor3(HORIZON, 1);
  scene.ambientColor = new Color3(0.25, 0.25, 0.28);
  scene.fogMode = Scene.FOGMODE_EXP2;
  scene.fogDensity = 0.01;
  scene.fogColor = HORIZON;

  // Looking north along the path, a little down, so that new assets stand in the middle of the view.
  const camera = new UniversalCamera('player', new Vector3(0, EYE_HEIGHT, -7), scene);
  camera.rotation.set(0.16, 0, 0);
  camera.minZ = 0.05;
  camera.maxZ = 600;
  camera.speed = 0.25;
  camera.angularSensibility = 2500;
  camera.inertia = 0.8;
  camera.keysUp = [87, 38]; // W, up
  camera.keysDown = [83, 40]; // S, down
  camera.keysLeft = [65]; // A
  camera.keysRight = [68]; // D
  camera.keysRotateLeft = [37]; // left
  camera.keysRotateRight = [39]; // right
  camera.keysUpward = [];
  camera.keysDownward = [];
  camera.attachControl(true);

  const hemisphere = new HemisphericLight('sky light', new Vector3(0, 1, 0), scene);
  hemisphere.intensity = 0.55;
  hemisphere.groundColor = new Color3(0.35, 0.33, 0.3);
  const sun = new DirectionalLight('sun', new Vector3(-0.45, -1, 0.35), scene);
  sun.position = new Vector3(18, 40, -14);
  sun.intensity = 1.15;
  sun.diffuse = new Color3(1, 0.96, 0.88);
  const shadows = new ShadowGenerator(1024, sun);
  shadows.usePercentageCloserFiltering = true;
  shadows.filteringQuality = ShadowGenerator.QUALITY_LOW;
  shadows.bias = 0.002;
  shadows.normalBias = 0.02;
  const shadowMap = shadows.getShadowMap()!;
  shadowMap.refreshRate = RenderTargetTexture.REFRESHRATE_RENDER_ONCE;

  buildSky(scene);
  const obstacles = buildScenery(scene, shadows);

  // The player walks on the ground, inside the level, around obstacles.
  scene.onBeforeRenderObservable.add(() => {
    const position = camera.position;
    position.y = EYE_HEIGHT;
    position.x = Math.min(HALF_SIZE, Math.max(-HALF_SIZE, position.x));
    position.z = Math.min(HALF_SIZE, Math.max(-HALF_SIZE, position.z));
    for (const { x, z, radius } of obstacles) {
      const dx = position.x - x;
      const dz = position.z - z;
      const distance = Math.hypot(dx, dz);
      const min = radius + PLAYER_RADIUS;
      if (distance < min && distance > 1e-6) {
        position.x = x + (dx / distance) * min;
        position.z = z + (dz / distance) * min;
      }
    }
  });

  const refreshShadows = (): void => shadowMap.resetRefreshCounter();
  canvas.addEventListener('pointerdown', () => canvas.focus());
  return {
    scene,
    camera,
    castShadows(mesh) {
      shadows.addShadowCaster(mesh, true);
      mesh.receiveShadows = true;
      refreshShadows();
    },
    refreshShadows,
    spotInFront(distance) {
      const yaw = camera.rotation.y;
      const x = camera.position.x + Math.sin(yaw) * distance;
      const z = camera.position.z + Math.cos(yaw) * distance;
      // An asset's front faces -Z at rotation 0 (docs/conventions.md); turned by the player's yaw it faces them.
      return {
        x: Math.min(HALF_SIZE, Math.max(-HALF_SIZE, x)),
        y: 0,
        z: Math.min(HALF_SIZE, Math.max(-HALF_SIZE, z)),
        rotationY: yaw,
      };
    },
  };
}

/** A dome with a vertical gradient, drawn without lighting or fog, always around the camera. */
function buildSky(scene: Scene): void {
  const texture = new DynamicTexture('sky gradient', { width: 4, height: 256 }, scene, false);
  const context = texture.getContext();
  const gradient = context.createLinearGradient(0, 0, 0, 256);
  gradient.addColorStop(0, '#3b78c4');
  gradient.addColorStop(0.42, '#8fb8de');
  gradient.addColorStop(0.5, HORIZON.toHexString());
  gradient.addColorStop(1, '#9aa58f');
  context.fillStyle = gradient;
  context.fillRect(0, 0, 4, 256);
  texture.update(false);
  const material = new StandardMaterial('sky', scene);
  material.emissiveTexture = texture;
  material.disableLighting = true;
  material.backFaceCulling = false;
  material.fogEnabled = false;
  const dome = CreateSphere('sky', { diameter: 500, segments: 16 }, scene);
  dome.material = material;
  dome.infiniteDistance = true;
  dome.isPickable = false;
  dome.applyFog = false;
}

/** Ground, plaza, tower, gate, trees, rocks and pond; returns the obstacles the player walks around. */
function buildScenery(scene: Scene, shadows: ShadowGenerator): Obstacle[] {
  const material = (name: string, color: Color3, specular = 0.05): StandardMaterial => {
    const result = new StandardMaterial(name, scene);
    result.diffuseColor = color;
    result.specularColor = new Color3(specular, specular, specular);
    return result;
  };
  const ground = CreateGround('ground', { width: 2 * HALF_SIZE + 40, height: 2 * HALF_SIZE + 40, subdivisions: 1 },
    scene);
  const groundMaterial = material('grass', Color3.White());
  groundMaterial.diffuseTexture = grassTexture(scene);
  ground.material = groundMaterial;
  ground.receiveShadows = true;
  ground.isPickable = false;

  // A worn path from the start to the gate.
  const path = CreateGround('path', { width: 2.2, height: 22 }, scene);
  path.position.set(0, 0.005, 2);
  path.material = material('path', new Color3(0.58, 0.5, 0.37));
  path.receiveShadows = true;
  path.isPickable = false;

  const plaza = CreateDisc('plaza', { radius: 4.5, tessellation: 48 }, scene);
  plaza.rotation.x = Math.PI / 2;
  plaza.position.y = 0.01;
  plaza.material = material('plaza stone', new Color3(0.62, 0.6, 0.56));
  plaza.receiveShadows = true;
  plaza.isPickable = false;

  const pond = CreateDisc('pond', { radius: 3.2, tessellation: 40 }, scene);
  pond.rotation.x = Math.PI / 2;
  pond.position.set(10, 0.012, 4);
  const water = material('water', new Color3(0.22, 0.45, 0.62), 0.6);
  water.specularPower = 64;
  pond.material = water;
  pond.receiveShadows = true;
  pond.isPickable = false;

  const stone = material('stone', new Color3(0.55, 0.55, 0.58));
  const roof = material('roof', new Color3(0.62, 0.2, 0.16));
  const wood = material('wood', new Color3(0.45, 0.3, 0.18));
  const leaves = material('leaves', new Color3(0.2, 0.45, 0.2));

  const statics: Record<string, Mesh[]> = { stone: [], roof: [], wood: [], leaves: [] };
  const obstacles: Obstacle[] = [];

  // Tower, north-west of the plaza.
  const tower = CreateCylinder('tower', { diameter: 3.2, height: 7, tessellation: 20 }, scene);
  tower.position.set(-9, 3.5, 9);
  const towerTop = CreateCylinder('tower top', { diameter: 3.8, height: 0.6, tessellation: 20 }, scene);
  towerTop.position.set(-9, 7.2, 9);
  const towerRoof = CreateCylinder('tower roof', { diameterTop: 0, diameterBottom: 4.2, height: 3, tessellation: 20 },
    scene);
  towerRoof.position.set(-9, 9, 9);
  statics.stone!.push(tower, towerTop);
  statics.roof!.push(towerRoof);
  obstacles.push({ x: -9, z: 9, radius: 1.9 });

  // Gate north of the plaza.
  for (const x of [-2.2, 2.2]) {
    const post = CreateBox('gate post', { width: 0.5, depth: 0.5, height: 4 }, scene);
    post.position.set(x, 2, 13);
    statics.wood!.push(post);
    obstacles.push({ x, z: 13, radius: 0.4 });
  }
  const beam = CreateBox('gate beam', { width: 5.6, depth: 0.6, height: 0.5 }, scene);
  beam.position.set(0, 4.1, 13);
  statics.wood!.push(beam);

  // Trees around the meadow (a deterministic scatter, clear of the plaza and the paths).
  const treeSpots: [number, number, number][] = [
    [-14, -4, 1.1], [-18, 6, 1.3], [-6, 18, 1], [8, 16, 1.2], [16, 12, 0.9], [18, -6, 1.25], [12, -14, 1],
    [-10, -15, 1.15], [-22, -12, 0.95], [24, 4, 1.1], [-26, 18, 1.3], [4, 26, 1.05],
  ];
  for (const [x, z, scale] of treeSpots) {
    const trunk = CreateCylinder('trunk', { diameter: 0.45 * scale, height: 2 * scale, tessellation: 8 }, scene);
    trunk.position.set(x, scale, z);
    statics.wood!.push(trunk);
    for (const [y, size] of [[2.4, 2.6], [3.6, 1.9]] as const) {
      const crown = CreateCylinder('crown', { diameterTop: 0, diameterBottom: size * scale, height: 2.2 * scale,
        tessellation: 10 }, scene);
      crown.position.set(x, y * scale, z);
      statics.leaves!.push(crown);
    }
    obstacles.push({ x, z, radius: 0.45 * scale });
  }

  // Rocks.
  const rockSpots: [number, number, number][] = [[6, -6, 0.9], [-7, 2, 0.7], [14, 8, 1.2], [-16, 14, 1.4], [3, 9, 0.5]];
  rockSpots.forEach(([x, z, size], index) => {
    const rock = CreateIcoSphere('rock', { radius: size, subdivisions: 1, flat: true }, scene);
    rock.scaling.set(1.3, 0.7, 1 + 0.15 * index);
    rock.rotation.y = index * 1.3;
    rock.position.set(x, size * 0.35, z);
    statics.stone!.push(rock);
    obstacles.push({ x, z, radius: size * 1.1 });
  });

  const materials: Record<string, StandardMaterial> = { stone, roof, wood, leaves };
  for (const [name, meshes] of Object.entries(statics)) {
    const merged = Mesh.MergeMeshes(meshes, true, true);
    if (!merged) continue;
    merged.name = `scenery: ${name}`;
    merged.material = materials[name]!;
    merged.isPickable = false;
    merged.receiveShadows = true;
    merged.freezeWorldMatrix();
    shadows.addShadowCaster(merged);
  }
  return obstacles;
}

/** Grass with a little noise, tiled over the ground. */
function grassTexture(scene: Scene): DynamicTexture {
  const size = 512;
  const texture = new DynamicTexture('grass', { width: size, height: size }, scene, true);
  const context = texture.getContext();
  context.fillStyle = '#5f8f46';
  context.fillRect(0, 0, size, size);
  let seed = 7;
  const random = (): number => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
  for (let i = 0; i < 9000; i++) {
    const shade = 70 + Math.floor(random() * 60);
    context.fillStyle = `rgb(${shade - 25}, ${shade + 45}, ${shade - 35})`;
    context.fillRect(random() * size, random() * size, 2 + random() * 3, 2 + random() * 3);
  }
  texture.update(true);
  texture.anisotropicFilteringLevel = 4;
  texture.uScale = 14;
  texture.vScale = 14;
  return texture;
}
