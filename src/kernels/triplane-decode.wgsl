// SDF and albedo of a batch of points, one invocation per point; appended to triplane-field.wgsl by the host
// (triplane.ts). CPU twin: decodeTriplaneCpu in triplane-cpu.ts. DecodeParams is mirrored by DECODE_PARAMS_* in
// triplane.ts.

struct DecodeParams {
  count: u32,
}

override WORKGROUP_SIZE: u32;

@group(0) @binding(0) var<uniform> params: DecodeParams;
@group(0) @binding(3) var<storage, read> points: array<f32>;       // [N, 3]
@group(0) @binding(4) var<storage, read_write> sdf: array<f32>;    // [N]
@group(0) @binding(5) var<storage, read_write> albedo: array<f32>; // [N, 3]

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) id: vec3u) {
  let i = id.x;
  if (i >= params.count) {
    return;
  }
  let out = decode_point(vec3f(points[3u * i], points[3u * i + 1u], points[3u * i + 2u]));
  sdf[i] = out.x;
  albedo[3u * i] = out.y;
  albedo[3u * i + 1u] = out.z;
  albedo[3u * i + 2u] = out.w;
}
