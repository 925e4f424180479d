// Backward pass of the VolSDF renderer for one camera, one invocation per pixel: re-traces the ray (steps 1-5 of
// docs/triplane.md), then backpropagates the pixel's upstream gradient through shading, the normal probes (which
// move with the depth), compositing and the density into the planes and, optionally, the decoder. Assembled after
// triplane-field.wgsl, volsdf-common.wgsl and triplane-field-backward.wgsl by the host (volsdf.ts). CPU twin:
// CpuVolsdfRenderer.backward in volsdf-cpu.ts.

// Samples per ray that the per-ray arrays hold; mirrored by VOLSDF_BACKWARD_MAX_SAMPLES in volsdf.ts.
const MAX_SAMPLES: u32 = 128u;

@group(0) @binding(4) var<storage, read> upstream: array<f32>; // [3, H, W]: d loss / d pixels

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let ray = id.x;
  let plane = params.width * params.height;
  if (ray >= plane) {
    return;
  }
  let o = params.eye.xyz;
  let d = ray_direction(ray);
  let span = cube_span(o, d);
  let t0 = span.x;
  // A ray that misses the cube shows the background, which has no parameters.
  if (!(span.y > t0)) {
    return;
  }
  let t1 = max(span.y, t0 + MIN_SPAN);
  let samples = params.samples;
  let delta = (t1 - t0) / f32(samples);
  let beta = params.beta;
  let decoder_grads = params.decoder_gradients != 0u;

  // Forward again, keeping what the backward pass reads.
  var sdf_at: array<f32, MAX_SAMPLES>;
  var alpha_at: array<f32, MAX_SAMPLES>;
  var trans_at: array<f32, MAX_SAMPLES>;
  var albedo_at: array<vec3f, MAX_SAMPLES>;
  var trans = 1.0;
  var acc_opacity = 0.0;
  var colour = vec3f(0.0);
  var weighted_t = 0.0;
  for (var i = 0u; i < samples; i++) {
    let t = t0 + (f32(i) + sample_offset(ray, i)) * delta;
    let decoded = decode_point(o + t * d);
    let alpha = alpha_from_optical_depth(laplace_density(decoded.x, beta) * delta);
    let w = trans * alpha;
    sdf_at[i] = decoded.x;
    alpha_at[i] = alpha;
    trans_at[i] = trans;
    albedo_at[i] = decoded.yzw;
    acc_opacity += w;
    colour += w * decoded.yzw;
    weighted_t += w * t;
    trans *= 1.0 - alpha;
  }
  let opacity_floored = max(acc_opacity, OPACITY_FLOOR);
  let expected_depth = weighted_t / opacity_floored;
  let s = o + expected_depth * d;
  var g = vec3f(0.0);
  for (var k = 0u; k < 4u; k++) {
    g += tetrahedron[k] * decode_point(s + NORMAL_EPSILON * tetrahedron[k]).x;
  }
  let g_norm = length(g);
  let n = g / max(g_norm, NORMAL_FLOOR);
  let light = params.light.xyz;
  let n_dot_l = dot(n, light);
  let shade = AMBIENT + DIFFUSE * max(0.0, n_dot_l);

  // 6. pixel = C shade + (1 - A) background.
  let d_pixel = vec3f(upstream[ray], upstream[plane + ray], upstream[2u * plane + ray]);
  let d_colour = d_pixel * shade;
  let d_shade = dot(d_pixel, colour);
  var d_opacity = -dot(d_pixel, params.background.xyz);

  // 5. Through the normal n = g / max(|g|, floor) and the probes, which sit at o + D d + eps k.
  var d_depth = 0.0;
  if (n_dot_l >= 0.0 && d_shade != 0.0) {
    let dn = DIFFUSE * d_shade * light;
    var dg = dn / NORMAL_FLOOR;
    if (g_norm >= NORMAL_FLOOR) {
      dg = (dn - n * dot(n, dn)) / g_norm;
    }
    var d_surface = vec3f(0.0);
    for (var k = 0u; k < 4u; k++) {
      let offset = tetrahedron[k];
      d_surface += backward_point(s + NORMAL_EPSILON * offset, dot(dg, offset), vec3f(0.0), decoder_grads);
    }
    d_depth = dot(d_surface, d);
  }

  // 4. D = sum w t / max(A, floor): the floor passes no gradient below it.
  let d_weighted_t = d_depth / opacity_floored;
  if (acc_opacity >= OPACITY_FLOOR) {
    d_opacity -= d_depth * expected_depth / opacity_floored;
  }

  // 3-2. Back to front: u carries sum_{j>i} dw_j alpha_j prod_{i<m<j} (1 - alpha_m), so that
  //      d alpha_i = T_i (dw_i - u); then alpha = 1 - exp(-sigma delta) and sigma = Psi(-sdf) / beta.
  var u = 0.0;
  for (var j = 0u; j < samples; j++) {
    let i = samples - 1u - j;
    let t = t0 + (f32(i) + sample_offset(ray, i)) * delta;
    let alpha = alpha_at[i];
    let w = trans_at[i] * alpha;
    let dw = d_opacity + dot(d_colour, albedo_at[i]) + d_weighted_t * t;
    let d_alpha = trans_at[i] * (dw - u);
    u = dw * alpha + (1.0 - alpha) * u;
    let d_sigma = d_alpha * (1.0 - alpha) * delta;
    let d_sdf = d_sigma * (-0.5 * exp(-abs(sdf_at[i]) / beta) / (beta * beta));
    _ = backward_point(o + t * d, d_sdf, w * d_colour, decoder_grads);
  }
}
