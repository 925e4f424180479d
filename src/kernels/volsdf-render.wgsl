// VolSDF rendering of one camera, one invocation per pixel (docs/triplane.md: Renderer, steps 1-6); assembled after
// triplane-field.wgsl and volsdf-common.wgsl by the host (volsdf.ts). CPU twin: CpuVolsdfRenderer.render in
// volsdf-cpu.ts.

@group(0) @binding(4) var<storage, read_write> pixels: array<f32>;  // [3, H, W]
@group(0) @binding(5) var<storage, read_write> opacity: array<f32>; // [H, W]
@group(0) @binding(6) var<storage, read_write> depth: array<f32>;   // [H, W]

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let ray = id.x;
  let plane = params.width * params.height;
  if (ray >= plane) {
    return;
  }
  let background = params.background.xyz;
  let o = params.eye.xyz;
  let d = ray_direction(ray);

  // 1. The span inside the cube; a ray that misses shows the background.
  let span = cube_span(o, d);
  let t0 = span.x;
  if (!(span.y > t0)) {
    for (var ch = 0u; ch < 3u; ch++) {
      pixels[ch * plane + ray] = background[ch];
    }
    opacity[ray] = 0.0;
    depth[ray] = 0.0;
    return;
  }
  let t1 = max(span.y, t0 + MIN_SPAN);
  let samples = params.samples;
  let delta = (t1 - t0) / f32(samples);

  // 2-4. Densities, alphas, transmittance and weights, accumulated front to back.
  var trans = 1.0;
  var acc_opacity = 0.0;
  var colour = vec3f(0.0);
  var weighted_t = 0.0;
  for (var i = 0u; i < samples; i++) {
    let t = t0 + (f32(i) + sample_offset(ray, i)) * delta;
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
  var g = vec3f(0.0);
  for (var k = 0u; k < 4u; k++) {
    g += tetrahedron[k] * decode_point(s + NORMAL_EPSILON * tetrahedron[k]).x;
  }
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
