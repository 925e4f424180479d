// One Adam step over a flat f32 parameter array; the element-wise half of torch.optim.Adam.
// The host computes the per-step scalars (adam-options.ts) so that this kernel and its CPU twin
// (adam-cpu.ts) share them. Layout of AdamUniforms is mirrored by ADAM_UNIFORMS_* in adam.ts.

struct AdamUniforms {
  step_size: f32,              // lr / (1 - beta1^t)
  bias_correction2_sqrt: f32,  // sqrt(1 - beta2^t)
  beta1: f32,
  beta2: f32,
  epsilon: f32,
  count: u32,
}

// Set from ADAM_WORKGROUP_SIZE in adam.ts through the pipeline's override constants.
override WORKGROUP_SIZE: u32;

@group(0) @binding(0) var<uniform> u: AdamUniforms;
@group(0) @binding(1) var<storage, read_write> params: array<f32>;
@group(0) @binding(2) var<storage, read> grads: array<f32>;
@group(0) @binding(3) var<storage, read_write> exp_avg: array<f32>;
@group(0) @binding(4) var<storage, read_write> exp_avg_sq: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let i = id.x;
  if (i >= u.count) {
    return;
  }
  let g = grads[i];
  let m = exp_avg[i] + (1.0 - u.beta1) * (g - exp_avg[i]);
  let v = u.beta2 * exp_avg_sq[i] + (1.0 - u.beta2) * g * g;
  exp_avg[i] = m;
  exp_avg_sq[i] = v;
  params[i] = params[i] - u.step_size * m / (sqrt(v) / u.bias_correction2_sqrt + u.epsilon);
}
