/**
 * The triplane field's forward pass for many points at once, for meshing (forward only; the renderer and its
 * gradients use {@link CpuTriplaneField}, the reference twin). Same maths as docs/triplane.md, reassociated so that
 * the first layer runs once per texel instead of once per point:
 *
 *   W1 f(p) + b1 = W1 (sum_k bilerp(P_k, p)) + b1 = sum_k bilerp(W1 P_k, p) + b1,
 *
 * since bilinear sampling is linear in the texels and its four weights sum to 1. The constructor projects every
 * texel of the three planes through W1 (3 R^2 C H multiply-adds, ~6 M for the default pack, once per triplane) into
 * a channels-last `[3, R, R, H]` array with b1 folded into plane 0; a point then costs 12 taps of H values instead
 * of 12 taps of C values plus the C x H layer, and its taps are contiguous. Float64 throughout, like the twin: the
 * results differ from CpuTriplaneField's only by rounding (reassociation), ~1e-15.
 */
import { affine } from './dense-cpu.js';
import { DECODER_OUTPUTS, SPHERE_RADIUS, checkTriplane, decoderLayout, type FloatArray, type TriplaneShape } from
  './triplane-layout.js';

export class CpuTriplaneDecoder {
  /** `[3, R, R, H]`: W1 P_k per texel, plus b1 on plane 0. */
  private readonly _projected: Float64Array;
  /** W2 `[H, H]`, b2, W3 `[4, H]`, b3, as float64. */
  private readonly _w2: Float64Array;
  private readonly _b2: Float64Array;
  private readonly _w3: Float64Array;
  private readonly _b3: Float64Array;
  private readonly _h1: Float64Array;
  private readonly _h2: Float64Array;

  /**
   * Projects the planes; later changes to `planes` or `decoder` are not seen (make a new decoder).
   * @throws {RangeError} if a size is invalid or an array's length does not match `shape`.
   */
  constructor(
    readonly shape: TriplaneShape,
    planes: FloatArray,
    decoder: FloatArray,
  ) {
    checkTriplane(shape, planes, decoder);
    const { channels: C, resolution: R, hidden: H } = shape;
    const L = decoderLayout(shape);
    const texels = R * R;
    const projected = new Float64Array(3 * texels * H);
    const f = new Float64Array(C);
    const b1 = Float64Array.from(decoder.subarray(L.fc1Bias, L.fc1Bias + H));
    const noBias = new Float64Array(H);
    const w1 = Float64Array.from(decoder.subarray(L.fc1Weight, L.fc1Weight + H * C));
    for (let k = 0; k < 3; k++) {
      for (let t = 0; t < texels; t++) {
        for (let c = 0; c < C; c++) f[c] = planes[(k * C + c) * texels + t]!;
        affine(w1, 0, k === 0 ? b1 : noBias, 0, f, 0, H, C, projected, (k * texels + t) * H);
      }
    }
    this._projected = projected;
    this._w2 = Float64Array.from(decoder.subarray(L.fc2Weight, L.fc2Weight + H * H));
    this._b2 = Float64Array.from(decoder.subarray(L.fc2Bias, L.fc2Bias + H));
    this._w3 = Float64Array.from(decoder.subarray(L.outWeight, L.outWeight + DECODER_OUTPUTS * H));
    this._b3 = Float64Array.from(decoder.subarray(L.outBias, L.outBias + DECODER_OUTPUTS));
    this._h1 = new Float64Array(H);
    this._h2 = new Float64Array(H);
  }

  /**
   * SDF (and, if `albedo` is given, albedo) at `count` points.
   * @param points `[N, 3]`, N >= count.
   * @param sdf `[N]`, written.
   * @param albedo `[N, 3]`, written, or null to skip the albedo (cheaper: one output row instead of four).
   */
  decode(points: FloatArray, count: number, sdf: FloatArray, albedo: FloatArray | null = null): void {
    for (let i = 0; i < count; i++) {
      const x = points[3 * i]!;
      const y = points[3 * i + 1]!;
      const z = points[3 * i + 2]!;
      sdf[i] = this._point(x, y, z, albedo, 3 * i) + Math.sqrt(x * x + y * y + z * z) - SPHERE_RADIUS;
    }
  }

  /** o[0] for one point, writing sigmoid(o[1..3]) to `albedo[at ..]` when asked. */
  private _point(x: number, y: number, z: number, albedo: FloatArray | null, at: number): number {
    const { resolution: R, hidden: H } = this.shape;
    const q = this._projected;
    const h1 = this._h1;
    const h2 = this._h2;
    const half = (R - 1) / 2;
    const rowStride = R * H;

    // 1. z1 = sum over the planes of the bilinear samples of W1 P_k (+ b1, folded into plane 0), then SiLU.
    for (let k = 0; k < 3; k++) {
      // Plane 0 samples (x, y), plane 1 (x, z), plane 2 (y, z); align_corners = true, border padding (NaN -> 0).
      let gu = ((k === 2 ? y : x) + 1) * half;
      let gv = ((k === 0 ? y : z) + 1) * half;
      gu = gu > 0 ? (gu < R - 1 ? gu : R - 1) : 0;
      gv = gv > 0 ? (gv < R - 1 ? gv : R - 1) : 0;
      const u0 = Math.floor(gu);
      const v0 = Math.floor(gv);
      const fu = gu - u0;
      const fv = gv - v0;
      const i00 = k * R * rowStride + v0 * rowStride + u0 * H;
      // At the last texel the second tap's weight is 0; clamping its index keeps the read in bounds.
      const i01 = u0 < R - 1 ? i00 + H : i00;
      const i10 = v0 < R - 1 ? i00 + rowStride : i00;
      const i11 = i10 + (i01 - i00);
      const w00 = (1 - fu) * (1 - fv);
      const w01 = fu * (1 - fv);
      const w10 = (1 - fu) * fv;
      const w11 = fu * fv;
      if (k === 0) {
        for (let h = 0; h < H; h++) h1[h] = w00 * q[i00 + h]! + w01 * q[i01 + h]! + w10 * q[i10 + h]! + w11 * q[i11 + h]!;
      } else {
        for (let h = 0; h < H; h++) {
          h1[h] = h1[h]! + w00 * q[i00 + h]! + w01 * q[i01 + h]! + w10 * q[i10 + h]! + w11 * q[i11 + h]!;
        }
      }
    }
    for (let h = 0; h < H; h++) {
      const s = h1[h]!;
      h1[h] = s / (1 + Math.exp(-s));
    }

    // 2. h2 = silu(W2 h1 + b2).
    affine(this._w2, 0, this._b2, 0, h1, 0, H, H, h2, 0);
    for (let h = 0; h < H; h++) {
      const s = h2[h]!;
      h2[h] = s / (1 + Math.exp(-s));
    }

    // 3. o = W3 h2 + b3: the SDF row, and the albedo rows through a sigmoid when asked.
    const w3 = this._w3;
    const b3 = this._b3;
    let o0 = b3[0]!;
    for (let m = 0; m < H; m++) o0 += w3[m]! * h2[m]!;
    if (albedo) {
      for (let j = 1; j < DECODER_OUTPUTS; j++) {
        let s = b3[j]!;
        for (let m = 0, row = j * H; m < H; m++) s += w3[row + m]! * h2[m]!;
        albedo[at + j - 1] = 1 / (1 + Math.exp(-s));
      }
    }
    return o0;
  }
}

