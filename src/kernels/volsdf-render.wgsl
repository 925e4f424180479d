// VolSDF rendering of one camera, one invocation per pixel (docs/triplane.md: Renderer, steps 1-6); appended to
// triplane-field.wgsl by the host (volsdf.ts). CPU twin: CpuVolsdfRenderer.render in volsdf-cpu.ts.
// RenderParams is mirrored by RENDER_PARAMS_* in volsdf.ts; the camera frame comes from camera.ts.

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
}

const AMBIENT: f32 = 0.35;
const DIFFUSE: f32 = 0.65;
const NORMAL_EPSILON: f32 = 0.02;
const OPACITY_FLOOR: f32 = 1e-6;
const NORMAL_FLOOR: f32 = 1e-6;
const MIN_SPAN: f32 = 1e-4;
const SLAB_EPSILON: f32 = 1e-9;

override WORKGROUP_SIZE: u32;

@group(0) @binding(0) var<uniform> params: RenderParams;
@group(0) @binding(3) var<storage, read> jitter: array<f32>;        // [H W, S], or a placeholder when unused
@group(0) @binding(4) var<storage, read_write> pixels: array<f32>;  // [3, H, W]
@group(0) @binding(5) var<storage, read_write> opacity: array<f32>; // [H, W]
@group(0) @binding(6) var<storage, read_write> depth: array<f32>;   // [H, W]

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

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let width = params.width;
  let height = params.height;
  let ray = id.x;
  if (ray >= width * height) {
    return;
  }
  let column = ray % width;
  let row = ray / width;
  let plane = width * height;
  let background = params.background.xyz;

  // The ray through the pixel's centre (camera.ts: rayDirection).
  let px = ((f32(column) + 0.5) / f32(width) * 2.0 - 1.0) * (f32(width) / f32(height)) * params.tan_half_fov;
  let py = (1.0 - (f32(row) + 0.5) / f32(height) * 2.0) * params.tan_half_fov;
  let o = params.eye.xyz;
  let d = normalize(params.forward.xyz + px * params.right.xyz + py * params.up.xyz);

  // 1. The span inside [-1, 1]^3 (slab test); a ray that misses shows the background.
  let safe = select(d, vec3f(SLAB_EPSILON), abs(d) < vec3f(SLAB_EPSILON));
  let a = (vec3f(-1.0) - o) / safe;
  let b = (vec3f(1.0) - o) / safe;
  let lo = min(a, b);
  let hi = max(a, b);
  let t0 = max(max(max(lo.x, lo.y), lo.z), 0.0);
  let t1_raw = min(min(hi.x, hi.y), hi.z);
  if (!(t1_raw > t0)) {
    for (var ch = 0u; ch < 3u; ch++) {
      pixels[ch * plane + ray] = background[ch];
    }
    opacity[ray] = 0.0;
    depth[ray] = 0.0;
    return;
  }
  let t1 = max(t1_raw, t0 + MIN_SPAN);
  let samples = params.samples;
  let delta = (t1 - t0) / f32(samples);

  // 2-4. Densities, alphas, transmittance and weights, accumulated front to back.
  var trans = 1.0;
  var acc_opacity = 0.0;
  var colour = vec3f(0.0);
  var weighted_t = 0.0;
  for (var i = 0u; i < samples; i++) {
    var u = 0.5;
    if (params.use_jitter != 0u) {
      u = jitter[ray * samples + i];
    }
    let t = t0 + (f32(i) + u) * delta;
    let decoded = decode_point(o + t * d);
    let alpha = alpha_from_optical_depth(laplace_density(decoded.x, params.beta) * delta);
    let w = trans * alpha;
    acc_opacity += w;
    colour += w * decoded.yzw;
    weighted_t += w * t;
    trans *= 1.0 - alpha;
  }
  let expected_depth = weighted_t / max(acc_opacity, OPACITY_FLOOR);

  // 5. The normal from four tetrahedron probes around the expected surface point, and the key light.
  let s = o + expected_depth * d;
  let k0 = vec3f(1.0, -1.0, -1.0);
  let k1 = vec3f(-1.0, -1.0, 1.0);
  let k2 = vec3f(-1.0, 1.0, -1.0);
  let k3 = vec3f(1.0, 1.0, 1.0);
  let g = k0 * decode_point(s + NORMAL_EPSILON * k0).x + k1 * decode_point(s + NORMAL_EPSILON * k1).x
    + k2 * decode_point(s + NORMAL_EPSILON * k2).x + k3 * decode_point(s + NORMAL_EPSILON * k3).x;
  let n = g / max(length(g), NORMAL_FLOOR);
  let shade = AMBIENT + DIFFUSE * max(0.0, dot(n, params.light.xyz));

  // 6. Shaded albedo over the background.
  let pixel = colour * shade + (1.0 - acc_opacity) * background;
  for (var ch = 0u; ch < 3u; ch++) {
    pixels[ch * plane + ray] = pixel[ch];
  }
  opacity[ray] = acc_opacity;
  depth[ray] = expected_depth;
}
