/**
 * Orbit cameras, their rays and key light, and the rays' span in the cube [-1, 1]^3 (docs/conventions.md: Cameras,
 * Pixels, Shading; PyTorch: training/world/camera.py and cube_span in training/distill/renderer.py). Computed in
 * float64 on the host; the WGSL renderer receives the frame as uniforms and repeats the per-pixel steps.
 */

/** An orbit camera looking at the origin with +Y up; angles in degrees. */
export interface OrbitCamera {
  /** 0 = on the +Z axis (front view), increasing towards +X. */
  readonly azimuth: number;
  /** Above the horizon when positive; in (-90, 90). */
  readonly elevation: number;
  /** Distance to the origin, > 0. */
  readonly distance: number;
  /** Vertical field of view, in (0, 180). */
  readonly fov: number;
}

/**
 * The camera's frame, flat for speed and for the uniforms: eye (0..3), forward (3..6), right (6..9), up (9..12),
 * key light direction (12..15), tan(fov / 2) (15).
 */
export type CameraFrame = Float64Array;
export const CAMERA_FRAME_LENGTH = 16;
export const FRAME_EYE = 0;
export const FRAME_FORWARD = 3;
export const FRAME_RIGHT = 6;
export const FRAME_UP = 9;
export const FRAME_LIGHT = 12;
export const FRAME_TAN_HALF_FOV = 15;

/** The key light: normalize(to_camera + KEY_LIGHT_UP * (0, 1, 0) + KEY_LIGHT_RIGHT * right) (conventions: Shading). */
export const KEY_LIGHT_UP = 0.8;
export const KEY_LIGHT_RIGHT = 0.4;

/** Ray directions below this magnitude per axis are replaced by it in the slab test, as renderer.py does. */
export const SLAB_EPSILON = 1e-9;

const DEG = Math.PI / 180;

/**
 * @throws {RangeError} naming the camera field that is out of range (or not finite).
 */
export function checkCamera(camera: OrbitCamera): void {
  if (!Number.isFinite(camera.azimuth)) throw new RangeError(`camera.azimuth must be finite, got ${camera.azimuth}`);
  if (!(Math.abs(camera.elevation) < 90)) {
    throw new RangeError(`camera.elevation must be in (-90, 90) degrees, got ${camera.elevation}`);
  }
  if (!(camera.distance > 0 && Number.isFinite(camera.distance))) {
    throw new RangeError(`camera.distance must be finite and > 0, got ${camera.distance}`);
  }
  if (!(camera.fov > 0 && camera.fov < 180)) {
    throw new RangeError(`camera.fov must be in (0, 180) degrees, got ${camera.fov}`);
  }
}

function normalize3(a: Float64Array, at: number): void {
  const n = Math.hypot(a[at]!, a[at + 1]!, a[at + 2]!);
  a[at] = a[at]! / n;
  a[at + 1] = a[at + 1]! / n;
  a[at + 2] = a[at + 2]! / n;
}

/**
 * The camera's frame (Cameras.frames and light_direction in camera.py).
 * @param out reused if given.
 * @throws {RangeError} if the camera is out of range.
 */
export function cameraFrame(
  camera: OrbitCamera,
  out: CameraFrame = new Float64Array(CAMERA_FRAME_LENGTH),
): CameraFrame {
  checkCamera(camera);
  const az = camera.azimuth * DEG;
  const el = camera.elevation * DEG;
  const ex = camera.distance * Math.cos(el) * Math.sin(az);
  const ey = camera.distance * Math.sin(el);
  const ez = camera.distance * Math.cos(el) * Math.cos(az);
  out[FRAME_EYE] = ex;
  out[FRAME_EYE + 1] = ey;
  out[FRAME_EYE + 2] = ez;
  out[FRAME_FORWARD] = -ex;
  out[FRAME_FORWARD + 1] = -ey;
  out[FRAME_FORWARD + 2] = -ez;
  normalize3(out, FRAME_FORWARD);
  const fx = out[FRAME_FORWARD]!;
  const fy = out[FRAME_FORWARD + 1]!;
  const fz = out[FRAME_FORWARD + 2]!;
  // right = forward x (0, 1, 0), normalised; up = right x forward.
  out[FRAME_RIGHT] = -fz;
  out[FRAME_RIGHT + 1] = 0;
  out[FRAME_RIGHT + 2] = fx;
  normalize3(out, FRAME_RIGHT);
  const rx = out[FRAME_RIGHT]!;
  const ry = out[FRAME_RIGHT + 1]!;
  const rz = out[FRAME_RIGHT + 2]!;
  out[FRAME_UP] = ry * fz - rz * fy;
  out[FRAME_UP + 1] = rz * fx - rx * fz;
  out[FRAME_UP + 2] = rx * fy - ry * fx;
  out[FRAME_LIGHT] = -fx + KEY_LIGHT_RIGHT * rx;
  out[FRAME_LIGHT + 1] = -fy + KEY_LIGHT_UP + KEY_LIGHT_RIGHT * ry;
  out[FRAME_LIGHT + 2] = -fz + KEY_LIGHT_RIGHT * rz;
  normalize3(out, FRAME_LIGHT);
  out[FRAME_TAN_HALF_FOV] = Math.tan((camera.fov * DEG) / 2);
  return out;
}

/**
 * The unit direction of the ray through the centre of pixel (column, row), row 0 at the top (rays in camera.py).
 * @param out receives the direction at `out[at .. at + 3)`.
 */
export function rayDirection(
  frame: CameraFrame,
  width: number,
  height: number,
  column: number,
  row: number,
  out: Float64Array,
  at = 0,
): void {
  const tan = frame[FRAME_TAN_HALF_FOV]!;
  const px = (((column + 0.5) / width) * 2 - 1) * (width / height) * tan;
  const py = (1 - ((row + 0.5) / height) * 2) * tan;
  const dx = frame[FRAME_FORWARD]! + px * frame[FRAME_RIGHT]! + py * frame[FRAME_UP]!;
  const dy = frame[FRAME_FORWARD + 1]! + px * frame[FRAME_RIGHT + 1]! + py * frame[FRAME_UP + 1]!;
  const dz = frame[FRAME_FORWARD + 2]! + px * frame[FRAME_RIGHT + 2]! + py * frame[FRAME_UP + 2]!;
  const n = Math.sqrt(dx * dx + dy * dy + dz * dz);
  out[at] = dx / n;
  out[at + 1] = dy / n;
  out[at + 2] = dz / n;
}

/**
 * Slab test of the ray o + t d against [-1, 1]^3: writes t0 (clamped at 0) and t1 to `out[0]`, `out[1]`; the ray
 * hits the cube when t1 > t0.
 */
export function cubeSpan(
  ox: number,
  oy: number,
  oz: number,
  dx: number,
  dy: number,
  dz: number,
  out: Float64Array,
): void {
  let t0 = -Infinity;
  let t1 = Infinity;
  for (let axis = 0; axis < 3; axis++) {
    const o = axis === 0 ? ox : axis === 1 ? oy : oz;
    const d = axis === 0 ? dx : axis === 1 ? dy : dz;
    const inv = 1 / (Math.abs(d) < SLAB_EPSILON ? SLAB_EPSILON : d);
    const a = (-1 - o) * inv;
    const b = (1 - o) * inv;
    t0 = Math.max(t0, Math.min(a, b));
    t1 = Math.min(t1, Math.max(a, b));
  }
  out[0] = Math.max(t0, 0);
  out[1] = t1;
}
