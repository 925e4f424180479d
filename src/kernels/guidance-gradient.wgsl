// Step 4 of the guidance step: from the prior's predictions [K B, 3, R, R] (rows as guidance-noisy.wgsl wrote them),
//   ASD: g = w (eps_u + s (eps_c - eps_u) - eps_c')      SDS: g = w (eps_u + s (eps_c - eps_u) - eps)
//   CSD: g = w s (eps_c - eps_u)
// then nan_to_num(g); upstream [B, 3, r, r] = (2 / B) * the sum of g over each factor x factor block (the adjoint of
// the nearest upsampling), and per workgroup 0.5 sum(g^2) into loss_partials[b * groups_per_image + group], which the
// host sums per image. Dispatch (ceil(3 r r / WORKGROUP_SIZE), B); one invocation per upstream element.

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
    var sum = 0.0;
    for (var dy = 0u; dy < f; dy++) {
      for (var dx = 0u; dx < f; dx++) {
        let i = b * image + (ch * R + y * f + dy) * R + x * f + dx;
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
        squares += g * g;
        sum += g;
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
