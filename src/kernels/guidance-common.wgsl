// Shared by the guidance kernels (guidance-noisy.wgsl, guidance-gradient.wgsl); the host is guidance.ts and the CPU
// twin guidance-cpu.ts. Layouts are mirrored there: GuidanceParams by GUIDANCE_PARAMS_*, GuidanceImage by COEF_* and
// COEFFICIENTS_PER_IMAGE in guidance-options.ts.

const METHOD_ASD: u32 = 0u;
const METHOD_SDS: u32 = 1u;
const METHOD_CSD: u32 = 2u;

struct GuidanceParams {
  batch: u32,              // B rendered images
  render_resolution: u32,  // r
  prior_resolution: u32,   // R = factor * r
  factor: u32,
  method: u32,             // METHOD_*
  guidance_scale: f32,
  upstream_scale: f32,     // 2 / B: d(batch-mean surrogate loss) / d rgb = upstream_scale * up^T(g)
  inverse_factor: f32,     // 1 / factor, rounded to f32 as PyTorch's scale
}

// Per-image coefficients from the host (guidanceCoefficients): alphabar at t and at ASD's t + dt, and w(t).
struct GuidanceImage {
  sqrt_ab: f32,
  sqrt_one_minus_ab: f32,
  sqrt_ab_shifted: f32,
  sqrt_one_minus_ab_shifted: f32,
  weight: f32,
  _pad0: f32,
  _pad1: f32,
  _pad2: f32,
}

@group(0) @binding(0) var<uniform> params: GuidanceParams;
@group(0) @binding(1) var<storage, read> coefficients: array<GuidanceImage>;

// One axis of the bilinear upsampling from r to R = factor r (upsampleTaps in guidance-options.ts; PyTorch's
// upsample_bilinear2d with align_corners = false): output index i reads texels `first` and `second` (clamped at the
// edge) with weights 1 - weight and weight.
struct UpsampleTaps {
  first: u32,
  second: u32,
  weight: f32,
}

fn upsample_taps(i: u32) -> UpsampleTaps {
  let r = params.render_resolution;
  let source = max(params.inverse_factor * (f32(i) + 0.5) - 0.5, 0.0);
  let first = min(u32(source), r - 1u);
  return UpsampleTaps(first, min(first + 1u, r - 1u), source - f32(first));
}
