// The triplane field (docs/triplane.md), shared by triplane-decode.wgsl and volsdf-render.wgsl: the host prepends
// this file to theirs (triplane.ts). Float32 twin of CpuTriplaneField in triplane-cpu.ts.
//
// planes: [3, C, R, R] row-major (plane k, channel c, row v, column u); plane 0 samples (x, y), 1 (x, z), 2 (y, z).
// decoder: W1 [H, C], b1 [H], W2 [H, H], b2 [H], W3 [4, H], b3 [4], flat (decoder.bin order).

// Sizes, set per pipeline from the field's shape; C <= MAX_CHANNELS and H <= MAX_HIDDEN (checked on the host, which
// mirrors both as TRIPLANE_MAX_CHANNELS and TRIPLANE_MAX_HIDDEN).
override CHANNELS: u32;
override RESOLUTION: u32;
override HIDDEN: u32;
const MAX_CHANNELS: u32 = 64u;
const MAX_HIDDEN: u32 = 64u;
const DECODER_OUTPUTS: u32 = 4u;
const SPHERE_RADIUS: f32 = 0.5;

// Offsets of the decoder tensors (triplane-layout.ts: decoderLayout).
override FC1_BIAS: u32 = HIDDEN * CHANNELS;
override FC2_WEIGHT: u32 = FC1_BIAS + HIDDEN;
override FC2_BIAS: u32 = FC2_WEIGHT + HIDDEN * HIDDEN;
override OUT_WEIGHT: u32 = FC2_BIAS + HIDDEN;
override OUT_BIAS: u32 = OUT_WEIGHT + DECODER_OUTPUTS * HIDDEN;

@group(0) @binding(1) var<storage, read> planes: array<f32>;
@group(0) @binding(2) var<storage, read> decoder: array<f32>;

// One bilinear lookup: texel offsets within a channel, fractional parts, and d(continuous index)/d(coordinate).
struct PlaneTap {
  i00: u32,
  i01: u32,
  i10: u32,
  i11: u32,
  fu: f32,
  fv: f32,
  scale_u: f32, // 0 where the coordinate is clamped (PyTorch's clip_coordinates_set_grad)
  scale_v: f32,
}

// align_corners = true: a in [-1, 1] -> continuous index (a + 1) / 2 (R - 1), clamped to [0, R - 1] (border padding).
fn plane_tap(u: f32, v: f32) -> PlaneTap {
  let last = f32(RESOLUTION - 1u);
  let raw_u = (u + 1.0) * 0.5 * last;
  let raw_v = (v + 1.0) * 0.5 * last;
  let gu = clamp(raw_u, 0.0, last);
  let gv = clamp(raw_v, 0.0, last);
  let u0 = min(u32(floor(gu)), RESOLUTION - 1u);
  let v0 = min(u32(floor(gv)), RESOLUTION - 1u);
  let u1 = min(u0 + 1u, RESOLUTION - 1u);
  let v1 = min(v0 + 1u, RESOLUTION - 1u);
  var tap: PlaneTap;
  tap.i00 = v0 * RESOLUTION + u0;
  tap.i01 = v0 * RESOLUTION + u1;
  tap.i10 = v1 * RESOLUTION + u0;
  tap.i11 = v1 * RESOLUTION + u1;
  tap.fu = gu - f32(u0);
  tap.fv = gv - f32(v0);
  tap.scale_u = select(0.0, 0.5 * last, raw_u > 0.0 && raw_u < last);
  tap.scale_v = select(0.0, 0.5 * last, raw_v > 0.0 && raw_v < last);
  return tap;
}

// The (u, v) that plane k samples at p: (x, y), (x, z) or (y, z).
fn plane_coordinates(k: u32, p: vec3f) -> vec2f {
  if (k == 0u) {
    return p.xy;
  }
  if (k == 1u) {
    return p.xz;
  }
  return p.yz;
}

// Adds plane k's bilinear sample to f.
fn add_plane_sample(k: u32, tap: PlaneTap, f: ptr<function, array<f32, MAX_CHANNELS>>) {
  let w00 = (1.0 - tap.fu) * (1.0 - tap.fv);
  let w01 = tap.fu * (1.0 - tap.fv);
  let w10 = (1.0 - tap.fu) * tap.fv;
  let w11 = tap.fu * tap.fv;
  let plane = RESOLUTION * RESOLUTION;
  var base = k * CHANNELS * plane;
  for (var c = 0u; c < CHANNELS; c++) {
    (*f)[c] += w00 * planes[base + tap.i00] + w01 * planes[base + tap.i01] + w10 * planes[base + tap.i10]
      + w11 * planes[base + tap.i11];
    base += plane;
  }
}

fn silu(x: f32) -> f32 {
  return x / (1.0 + exp(-x));
}

fn sigmoid(x: f32) -> f32 {
  return 1.0 / (1.0 + exp(-x));
}

// (sdf, albedo r, g, b) at p.
fn decode_point(p: vec3f) -> vec4f {
  // 1. Features: the sum of the three planes' samples.
  var f: array<f32, MAX_CHANNELS>;
  for (var c = 0u; c < CHANNELS; c++) {
    f[c] = 0.0;
  }
  for (var k = 0u; k < 3u; k++) {
    let uv = plane_coordinates(k, p);
    add_plane_sample(k, plane_tap(uv.x, uv.y), &f);
  }

  // 2. h1 = silu(W1 f + b1), h2 = silu(W2 h1 + b2), o = W3 h2 + b3.
  var h1: array<f32, MAX_HIDDEN>;
  for (var i = 0u; i < HIDDEN; i++) {
    var s = decoder[FC1_BIAS + i];
    for (var c = 0u; c < CHANNELS; c++) {
      s += decoder[i * CHANNELS + c] * f[c];
    }
    h1[i] = silu(s);
  }
  var h2: array<f32, MAX_HIDDEN>;
  for (var i = 0u; i < HIDDEN; i++) {
    var s = decoder[FC2_BIAS + i];
    for (var m = 0u; m < HIDDEN; m++) {
      s += decoder[FC2_WEIGHT + i * HIDDEN + m] * h1[m];
    }
    h2[i] = silu(s);
  }
  var o = vec4f(decoder[OUT_BIAS], decoder[OUT_BIAS + 1u], decoder[OUT_BIAS + 2u], decoder[OUT_BIAS + 3u]);
  for (var m = 0u; m < HIDDEN; m++) {
    let h = h2[m];
    o += h * vec4f(decoder[OUT_WEIGHT + m], decoder[OUT_WEIGHT + HIDDEN + m], decoder[OUT_WEIGHT + 2u * HIDDEN + m],
      decoder[OUT_WEIGHT + 3u * HIDDEN + m]);
  }

  // 3. The sphere bias and the albedo.
  return vec4f(o.x + length(p) - SPHERE_RADIUS, sigmoid(o.y), sigmoid(o.z), sigmoid(o.w));
}
