// Step 4 of the guidance step: from the prior's predictions [K B, 3, R, R] (rows as guidance-noisy.wgsl wrote them),
//   ASD: g = w (eps_u + s (eps_c - eps_u) - eps_c')      SDS: g = w (eps_u + s (eps_c - eps_u) - eps)
//   CSD: g = w s (eps_c - eps_u)
// then nan_to_num(g); upstream [B, 3, r, r] = (2 / B) up^T(g), the adjoint of the bilinear upsampling gathered per
// render texel from the output pixels whose taps include it; and per workgroup 0.5 sum(g^2) over the factor x factor
// block each texel owns into loss_partials[b * groups_per_image + group], which the host sums per image.
// Dispatch (ceil(3 r r / WORKGROUP_SIZE), B); one invocation per upstream element.

// A power of two (the tree reduction halves it), set from GUIDANCE_WORKGROUP_SIZE in guidance.ts.
override WORKGROUP_SIZE: u32;

const FLOAT32_MAX: f32 = 0x1.fffffep+127f; // 3.4028235e38, the largest finite f32

@group(0) @binding(2) var<storage, read> predictions: array<f32>;
@group(0) @binding(3) var<storage, read> noise: array<f32>;
@group(0) @binding(4) var<storage, read_write> upstream: array<f32>;
@group(0) @binding(5) var<storage, read_write> loss_partials: array<f32>;

var<workgroup> lane_squares: array<f32, WORKGROUP_SIZE>;

// torch.nan_to_num: NaN -> 0, +-Inf -> +-FLT_MAX. Tested on the bits: WGSL lets a compiler assume that floats are
// never NaN or Inf, so `g != g` could be folded away.
fn nan_to_num(g: f32) -> f32 {
  let bits = bitcast<u32>(g);
  if ((bits & 0x7f800000u) != 0x7f800000u) {
    return g;
  }
  if ((bits & 0x007fffffu) != 0u) {
    return 0.0;
  }
  return select(FLOAT32_MAX, -FLOAT32_MAX, (bits & 0x80000000u) != 0u);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) group: vec3u, @builtin(local_invocation_index) lane: u32) {
  let R = params.prior_resolution;
  let r = params.render_resolution;
  let f = params.factor;
  let image = 3u * R * R;
  let rows = params.batch * image;
  let per_image = 3u * r * r;
  let b = group.y;
  let j = group.x * WORKGROUP_SIZE + lane;
  let w = coefficients[b].weight;
  let s = params.guidance_scale;
  var squares = 0.0;
  if (j < per_image) {
    let ch = j / (r * r);
    let y = (j / r) % r;
    let x = j % r;
    // Output pixels that may read texel (y, x): rows and columns within one texel of its own block.
    let y_end = min(R, (y + 2u) * f);
    let x_end = min(R, (x + 2u) * f);
    var sum = 0.0;
    for (var oy = select(0u, (y - 1u) * f, y >= 1u); oy < y_end; oy++) {
      let ty = upsample_taps(oy);
      let wy = select(0.0, 1.0 - ty.weight, ty.first == y) + select(0.0, ty.weight, ty.second == y);
      if (wy == 0.0) {
        continue;
      }
      for (var ox = select(0u, (x - 1u) * f, x >= 1u); ox < x_end; ox++) {
        let tx = upsample_taps(ox);
        let wx = select(0.0, 1.0 - tx.weight, tx.first == x) + select(0.0, tx.weight, tx.second == x);
        if (wx == 0.0) {
          continue;
        }
        let i = b * image + (ch * R + oy) * R + ox;
        let cond = predictions[i];
        let uncond = predictions[rows + i];
        var g: f32;
        if (params.method == METHOD_CSD) {
          g = w * s * (cond - uncond);
        } else {
          var reference = noise[i];
          if (params.method == METHOD_ASD) {
            reference = predictions[2u * rows + i];
          }
          g = w * (uncond + s * (cond - uncond) - reference);
        }
        g = nan_to_num(g);
        if (oy / f == y && ox / f == x) {
          squares += g * g;
        }
        sum += wy * wx * g;
      }
    }
    upstream[b * per_image + j] = params.upstream_scale * sum;
  }
  lane_squares[lane] = squares;
  workgroupBarrier();
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
    if (lane < stride) {
      lane_squares[lane] += lane_squares[lane + stride];
    }
    workgroupBarrier();
  }
  if (lane == 0u) {
    let groups_per_image = (per_image + WORKGROUP_SIZE - 1u) / WORKGROUP_SIZE;
    loss_partials[b * groups_per_image + group.x] = 0.5 * lane_squares[0];
  }
}
