// What the VolSDF render and backward kernels share (docs/triplane.md: Renderer): the camera uniforms, the constants,
// the ray through a pixel, its span in the cube, and the density. The host (volsdf.ts) assembles
// triplane-field.wgsl + this file + the kernel's own file. RenderParams is mirrored by RENDER_PARAMS_* in volsdf.ts;
// the camera frame comes from camera.ts.

struct RenderParams {
  eye: vec4f,        // xyz
  forward: vec4f,    // xyz
  right: vec4f,      // xyz
  up: vec4f,         // xyz
  light: vec4f,      // xyz: the key light direction
  background: vec4f, // rgb
  width: u32,
  height: u32,
  samples: u32,
  use_jitter: u32,   // 0: offsets 0.5; 1: read jitter[ray * samples + i]
  tan_half_fov: f32,
  beta: f32,
  decoder_gradients: u32, // backward only: 0 skips the decoder's weight gradients
}

const AMBIENT: f32 = 0.35;
const DIFFUSE: f32 = 0.65;
const NORMAL_EPSILON: f32 = 0.02;
const OPACITY_FLOOR: f32 = 1e-6;
const NORMAL_FLOOR: f32 = 1e-6;
const MIN_SPAN: f32 = 1e-4;
const SLAB_EPSILON: f32 = 1e-9;
// The normal probes' offsets k (a private variable, so that a loop may index it).
var<private> tetrahedron: array<vec3f, 4> = array<vec3f, 4>(vec3f(1.0, -1.0, -1.0), vec3f(-1.0, -1.0, 1.0),
  vec3f(-1.0, 1.0, -1.0), vec3f(1.0, 1.0, 1.0));

override WORKGROUP_SIZE: u32;

@group(0) @binding(0) var<uniform> params: RenderParams;
@group(0) @binding(3) var<storage, read> jitter: array<f32>; // [H W, S], or a placeholder when unused

// The unit direction through the centre of pixel `ray` (row-major from the top left; camera.ts: rayDirection).
fn ray_direction(ray: u32) -> vec3f {
  let width = params.width;
  let height = params.height;
  let column = ray % width;
  let row = ray / width;
  let px = ((f32(column) + 0.5) / f32(width) * 2.0 - 1.0) * (f32(width) / f32(height)) * params.tan_half_fov;
  let py = (1.0 - (f32(row) + 0.5) / f32(height) * 2.0) * params.tan_half_fov;
  return normalize(params.forward.xyz + px * params.right.xyz + py * params.up.xyz);
}

// (t0, t1) of the ray o + t d in [-1, 1]^3 (slab test, t0 clamped at 0); it hits the cube when t1 > t0.
fn cube_span(o: vec3f, d: vec3f) -> vec2f {
  let safe = select(d, vec3f(SLAB_EPSILON), abs(d) < vec3f(SLAB_EPSILON));
  let a = (vec3f(-1.0) - o) / safe;
  let b = (vec3f(1.0) - o) / safe;
  let lo = min(a, b);
  let hi = max(a, b);
  return vec2f(max(max(max(lo.x, lo.y), lo.z), 0.0), min(min(hi.x, hi.y), hi.z));
}

// The offset of sample i of a ray within its interval: 0.5, or the given jitter.
fn sample_offset(ray: u32, i: u32) -> f32 {
  if (params.use_jitter != 0u) {
    return jitter[ray * params.samples + i];
  }
  return 0.5;
}

// sigma = Psi_beta(-sdf) / beta (VolSDF eq. 2-3).
fn laplace_density(sdf: f32, beta: f32) -> f32 {
  let s = -sdf;
  let psi = select(1.0 - 0.5 * exp(-s / beta), 0.5 * exp(s / beta), s <= 0.0);
  return psi / beta;
}

// alpha = 1 - exp(-x) without float32's cancellation for small x (a Taylor series below 0.1, where its truncation
// error is under 1e-6 relative): the depth of a nearly empty ray divides by an opacity made of such alphas.
fn alpha_from_optical_depth(x: f32) -> f32 {
  if (x < 0.1) {
    return x * (1.0 - x * (0.5 - x * (1.0 / 6.0 - x / 24.0)));
  }
  return 1.0 - exp(-x);
}
