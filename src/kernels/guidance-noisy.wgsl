// Step 2 of the guidance step: the prior's `sample` rows [K B, 3, R, R] from renders rgb [B, 3, r, r] and noise eps
// [B, 3, R, R]: x = 2 up(rgb) - 1 with up the bilinear upsampling by `factor` (align_corners = false, as the
// trainer's F.interpolate), rows [0, B) and [B, 2B) x_t = sqrt(ab_t) x + sqrt(1 - ab_t) eps (for the conditional
// and the unconditional prompt), and for ASD rows [2B, 3B) x_{t+dt} with the same eps (Ho et al. 2020, eq. 4;
// ScaleDreamer, eq. 9). One invocation per element of eps.

override WORKGROUP_SIZE: u32;

@group(0) @binding(2) var<storage, read> rgb: array<f32>;
@group(0) @binding(3) var<storage, read> noise: array<f32>;
@group(0) @binding(4) var<storage, read_write> samples: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let R = params.prior_resolution;
  let r = params.render_resolution;
  let image = 3u * R * R;
  let rows = params.batch * image;
  let i = id.x;
  if (i >= rows) {
    return;
  }
  let b = i / image;
  let within = i % image;
  let ch = within / (R * R);
  let ty = upsample_taps((within / R) % R);
  let tx = upsample_taps(within % R);
  let plane = (b * 3u + ch) * r * r;
  let row0 = plane + ty.first * r;
  let row1 = plane + ty.second * r;
  let up = (1.0 - ty.weight) * ((1.0 - tx.weight) * rgb[row0 + tx.first] + tx.weight * rgb[row0 + tx.second]) +
    ty.weight * ((1.0 - tx.weight) * rgb[row1 + tx.first] + tx.weight * rgb[row1 + tx.second]);
  let pixel = 2.0 * up - 1.0;
  let c = coefficients[b];
  let e = noise[i];
  let x_t = c.sqrt_ab * pixel + c.sqrt_one_minus_ab * e;
  samples[i] = x_t;
  samples[rows + i] = x_t;
  if (params.method == METHOD_ASD) {
    samples[2u * rows + i] = c.sqrt_ab_shifted * pixel + c.sqrt_one_minus_ab_shifted * e;
  }
}
