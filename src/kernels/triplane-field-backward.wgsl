// Backward pass of the triplane field for one point, accumulating into gradient buffers with atomic float adds
// (WGSL has no float atomics: a compare-exchange loop on the bits). Assembled after triplane-field.wgsl by the
// host (volsdf.ts). CPU twin: CpuTriplaneField.backward in triplane-cpu.ts.

@group(0) @binding(7) var<storage, read_write> grad_planes: array<atomic<u32>>;  // [3, C, R, R] f32 bits
@group(0) @binding(8) var<storage, read_write> grad_decoder: array<atomic<u32>>; // decoder.bin order, f32 bits

fn add_to_grad_planes(i: u32, value: f32) {
  if (value == 0.0) {
    return;
  }
  var old = atomicLoad(&grad_planes[i]);
  loop {
    let swapped = atomicCompareExchangeWeak(&grad_planes[i], old, bitcast<u32>(bitcast<f32>(old) + value));
    if (swapped.exchanged) {
      break;
    }
    old = swapped.old_value;
  }
}

fn add_to_grad_decoder(i: u32, value: f32) {
  if (value == 0.0) {
    return;
  }
  var old = atomicLoad(&grad_decoder[i]);
  loop {
    let swapped = atomicCompareExchangeWeak(&grad_decoder[i], old, bitcast<u32>(bitcast<f32>(old) + value));
    if (swapped.exchanged) {
      break;
    }
    old = swapped.old_value;
  }
}

// silu'(z) = s (1 + z (1 - s)), s = sigmoid(z).
fn silu_derivative(z: f32) -> f32 {
  let s = sigmoid(z);
  return s * (1.0 + z * (1.0 - s));
}

// Backpropagates d sdf and d albedo at p into the planes (and the decoder when decoder_grads); returns d/dp.
// The forward activations are recomputed here rather than stored per sample.
fn backward_point(p: vec3f, d_sdf: f32, d_albedo: vec3f, decoder_grads: bool) -> vec3f {
  // Forward again: taps, features, pre-activations.
  var taps: array<PlaneTap, 3>;
  var f: array<f32, MAX_CHANNELS>;
  for (var c = 0u; c < CHANNELS; c++) {
    f[c] = 0.0;
  }
  for (var k = 0u; k < 3u; k++) {
    let uv = plane_coordinates(k, p);
    taps[k] = plane_tap(uv.x, uv.y);
    add_plane_sample(k, taps[k], &f);
  }
  var z1: array<f32, MAX_HIDDEN>;
  for (var i = 0u; i < HIDDEN; i++) {
    var s = decoder[FC1_BIAS + i];
    for (var c = 0u; c < CHANNELS; c++) {
      s += decoder[i * CHANNELS + c] * f[c];
    }
    z1[i] = s;
  }
  var z2: array<f32, MAX_HIDDEN>;
  for (var i = 0u; i < HIDDEN; i++) {
    var s = decoder[FC2_BIAS + i];
    for (var m = 0u; m < HIDDEN; m++) {
      s += decoder[FC2_WEIGHT + i * HIDDEN + m] * silu(z1[m]);
    }
    z2[i] = s;
  }
  var logits = vec3f(decoder[OUT_BIAS + 1u], decoder[OUT_BIAS + 2u], decoder[OUT_BIAS + 3u]);
  for (var m = 0u; m < HIDDEN; m++) {
    logits += silu(z2[m]) * vec3f(decoder[OUT_WEIGHT + HIDDEN + m], decoder[OUT_WEIGHT + 2u * HIDDEN + m],
      decoder[OUT_WEIGHT + 3u * HIDDEN + m]);
  }
  let albedo = vec3f(sigmoid(logits.x), sigmoid(logits.y), sigmoid(logits.z));
  let d_out = vec4f(d_sdf, d_albedo * albedo * (1.0 - albedo));

  // Output layer, then through SiLU.
  var dz2: array<f32, MAX_HIDDEN>;
  for (var m = 0u; m < HIDDEN; m++) {
    let w = vec4f(decoder[OUT_WEIGHT + m], decoder[OUT_WEIGHT + HIDDEN + m], decoder[OUT_WEIGHT + 2u * HIDDEN + m],
      decoder[OUT_WEIGHT + 3u * HIDDEN + m]);
    dz2[m] = dot(w, d_out) * silu_derivative(z2[m]);
    if (decoder_grads) {
      let h = silu(z2[m]);
      for (var j = 0u; j < DECODER_OUTPUTS; j++) {
        add_to_grad_decoder(OUT_WEIGHT + j * HIDDEN + m, d_out[j] * h);
      }
    }
  }
  if (decoder_grads) {
    for (var j = 0u; j < DECODER_OUTPUTS; j++) {
      add_to_grad_decoder(OUT_BIAS + j, d_out[j]);
    }
  }
  // Hidden layer 2.
  var dz1: array<f32, MAX_HIDDEN>;
  for (var m = 0u; m < HIDDEN; m++) {
    var s = 0.0;
    for (var i = 0u; i < HIDDEN; i++) {
      s += decoder[FC2_WEIGHT + i * HIDDEN + m] * dz2[i];
    }
    dz1[m] = s * silu_derivative(z1[m]);
  }
  if (decoder_grads) {
    for (var i = 0u; i < HIDDEN; i++) {
      add_to_grad_decoder(FC2_BIAS + i, dz2[i]);
      for (var m = 0u; m < HIDDEN; m++) {
        add_to_grad_decoder(FC2_WEIGHT + i * HIDDEN + m, dz2[i] * silu(z1[m]));
      }
    }
  }
  // Hidden layer 1.
  var df: array<f32, MAX_CHANNELS>;
  for (var c = 0u; c < CHANNELS; c++) {
    df[c] = 0.0;
  }
  for (var i = 0u; i < HIDDEN; i++) {
    let g = dz1[i];
    for (var c = 0u; c < CHANNELS; c++) {
      df[c] += decoder[i * CHANNELS + c] * g;
    }
    if (decoder_grads) {
      add_to_grad_decoder(FC1_BIAS + i, g);
      for (var c = 0u; c < CHANNELS; c++) {
        add_to_grad_decoder(i * CHANNELS + c, g * f[c]);
      }
    }
  }

  // Into the planes' texels and, through the taps' weights, into the point.
  var d_point = vec3f(0.0);
  let plane = RESOLUTION * RESOLUTION;
  for (var k = 0u; k < 3u; k++) {
    let tap = taps[k];
    let w00 = (1.0 - tap.fu) * (1.0 - tap.fv);
    let w01 = tap.fu * (1.0 - tap.fv);
    let w10 = (1.0 - tap.fu) * tap.fv;
    let w11 = tap.fu * tap.fv;
    var base = k * CHANNELS * plane;
    var du = 0.0;
    var dv = 0.0;
    for (var c = 0u; c < CHANNELS; c++) {
      let g = df[c];
      add_to_grad_planes(base + tap.i00, w00 * g);
      add_to_grad_planes(base + tap.i01, w01 * g);
      add_to_grad_planes(base + tap.i10, w10 * g);
      add_to_grad_planes(base + tap.i11, w11 * g);
      let p00 = planes[base + tap.i00];
      let p01 = planes[base + tap.i01];
      let p10 = planes[base + tap.i10];
      let p11 = planes[base + tap.i11];
      du += g * ((p01 - p00) * (1.0 - tap.fv) + (p11 - p10) * tap.fv);
      dv += g * ((p10 - p00) * (1.0 - tap.fu) + (p11 - p01) * tap.fu);
      base += plane;
    }
    du *= tap.scale_u;
    dv *= tap.scale_v;
    if (k == 0u) {
      d_point += vec3f(du, dv, 0.0);
    } else if (k == 1u) {
      d_point += vec3f(du, 0.0, dv);
    } else {
      d_point += vec3f(0.0, du, dv);
    }
  }
  // The sphere bias |p|: d|p|/dp = p / |p| (0 at the origin).
  let norm = length(p);
  if (norm > 0.0) {
    d_point += d_sdf * p / norm;
  }
  return d_point;
}
