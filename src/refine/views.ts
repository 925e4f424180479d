/**
 * The views of refinement, as in training (training/world/camera.py and pool.py; docs/conventions.md): orbit cameras
 * from the world's distribution, their view-dependent prompts and network camera vectors, and solid backgrounds.
 */
import type { OrbitCamera } from '../kernels/camera.js';
import type { RefineRandom } from './random.js';

/** The training distribution of cameras (degrees; distance in asset units). */
export const AZIMUTH_RANGE: readonly [number, number] = [0, 360];
export const ELEVATION_RANGE: readonly [number, number] = [-10, 45];
export const DISTANCE_RANGE: readonly [number, number] = [2.6, 3.2];
export const FOV_RANGE: readonly [number, number] = [40, 50];
/** k of the prior's `camera` input. */
export const CAMERA_VECTOR_SIZE = 4;

export type Rgb = readonly [number, number, number];

/** One sampled view of a step: the camera, its background and the prompt the prior is conditioned on. */
export interface RefineView {
  readonly camera: OrbitCamera;
  readonly background: Rgb;
  /** The prompt with its view suffix (", front view", ...). */
  readonly prompt: string;
}

/** A camera from the training distribution (sample_cameras: azimuth, elevation, distance, fov, each uniform). */
export function sampleCamera(random: RefineRandom): OrbitCamera {
  return {
    azimuth: random.range(...AZIMUTH_RANGE),
    elevation: random.range(...ELEVATION_RANGE),
    distance: random.range(...DISTANCE_RANGE),
    fov: random.range(...FOV_RANGE),
  };
}

/** The view suffixes of training (the manifest's `prior.text.view_suffixes`, without the ", "). */
export const VIEW_SUFFIXES = ['front view', 'side view', 'back view', 'overhead view'] as const;
export type ViewSuffix = (typeof VIEW_SUFFIXES)[number];

/** threestudio's view-dependent suffix (camera.py view_suffix). */
export function viewSuffix(azimuth: number, elevation: number): ViewSuffix {
  if (elevation > 60) return 'overhead view';
  const a = ((azimuth % 360) + 360) % 360;
  if (a < 45 || a >= 315) return 'front view';
  if (a >= 135 && a < 225) return 'back view';
  return 'side view';
}

export function viewPrompt(prompt: string, camera: OrbitCamera): string {
  return `${prompt}, ${viewSuffix(camera.azimuth, camera.elevation)}`;
}

/** (sin az, cos az, el / 90, (dist - 2.9) / 0.3) into `out[at .. at + 4)` (Cameras.as_vector). */
export function cameraVector(camera: OrbitCamera, out: Float32Array, at = 0): void {
  const az = (camera.azimuth * Math.PI) / 180;
  out[at] = Math.sin(az);
  out[at + 1] = Math.cos(az);
  out[at + 2] = camera.elevation / 90;
  out[at + 3] = (camera.distance - 2.9) / 0.3;
}

/** A solid background as in training (random_backgrounds): half light greys in [0.75, 1], half random colours. */
export function sampleBackground(random: RefineRandom): Rgb {
  const colour: Rgb = [random.uniform(), random.uniform(), random.uniform()];
  const grey = 0.75 + 0.25 * random.uniform();
  return random.uniform() < 0.5 ? [grey, grey, grey] : colour;
}
