/**
 * CPU twin of the triplane field (docs/triplane.md; PyTorch: training/distill/triplane.py): bilinear sampling of three
 * feature planes, summed, then the decoder MLP C -> H -> H -> 4 with SiLU; `sdf = o[0] + |p| - 0.5`,
 * `albedo = sigmoid(o[1..3])`. Forward and backward, one point at a time on caller-owned scratch, so that the batch
 * functions and the renderer allocate nothing per point.
 *
 * Arithmetic is float64 on float32 tensors; the WGSL kernels (triplane-field.wgsl) do the same steps in float32.
 */
import {
  checkTriplane,
  decoderLayout,
  DECODER_OUTPUTS,
  SPHERE_RADIUS,
  type DecoderLayout,
  type FloatArray,
  type TriplaneShape,
} from './triplane-layout.js';
import { accumulateLayerGradient, affine, affineTransposed } from './dense-cpu.js';

/** Where a point's gradients go; each array is accumulated into (+=), never overwritten. */
export interface FieldGradientTargets {
  /** `[3, C, R, R]`, like the planes; null to skip. */
  readonly planes: FloatArray | null;
  /** Flat, in decoder.bin order; null to skip the decoder's weight gradients (they are the costliest part). */
  readonly decoder: FloatArray | null;
}

// One bilinear lookup on one plane in the field's tap scratch: four texel offsets within a channel, the fractional
// parts of the continuous indices, and d(continuous index)/d(coordinate) (0 where the coordinate is clamped).
const TAP_I00 = 0;
const TAP_I01 = 1;
const TAP_I10 = 2;
const TAP_I11 = 3;
const TAP_FRAC_U = 4;
const TAP_FRAC_V = 5;
const TAP_SCALE_U = 6;
const TAP_SCALE_V = 7;
const TAP_SIZE = 8;

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

function silu(x: number): number {
  return x / (1 + Math.exp(-x));
}

/** d silu / dx = s (1 + x (1 - s)), s = sigmoid(x). */
function siluDerivative(x: number): number {
  const s = sigmoid(x);
  return s * (1 + x * (1 - s));
}

/**
 * A triplane field bound to its planes and decoder weights (not copied: edit them in place between calls, e.g. after
 * an optimizer step). Activations of a point live in a "slot" of {@link slotSize} floats in a caller's Float64Array,
 * written by {@link forward} and read back by {@link backward}.
 */
export class CpuTriplaneField {
  /** Floats per activation slot: features C, z1/h1/z2/h2 (4 H), decoder outputs (4), sdf and albedo (4). */
  readonly slotSize: number;
  readonly layout: DecoderLayout;
  private readonly _taps = new Float64Array(3 * TAP_SIZE);
  private readonly _dOut = new Float64Array(DECODER_OUTPUTS);
  private readonly _dHidden: Float64Array;
  private readonly _dHidden1: Float64Array;
  private readonly _dFeatures: Float64Array;

  /**
   * @param shape C, R and H.
   * @param planes `[3, C, R, R]`, read on every call.
   * @param decoder flat decoder weights in decoder.bin order, read on every call.
   * @throws {RangeError} if a size is invalid or an array's length does not match `shape`.
   */
  constructor(
    readonly shape: TriplaneShape,
    readonly planes: FloatArray,
    readonly decoder: FloatArray,
  ) {
    checkTriplane(shape, planes, decoder);
    this.layout = decoderLayout(shape);
    this.slotSize = shape.channels + 4 * shape.hidden + 2 * DECODER_OUTPUTS;
    this._dHidden = new Float64Array(shape.hidden);
    this._dHidden1 = new Float64Array(shape.hidden);
    this._dFeatures = new Float64Array(shape.channels);
  }

  /** Offset of the SDF in a slot; the albedo (3) follows it. */
  get sdfOffset(): number {
    return this.shape.channels + 4 * this.shape.hidden + DECODER_OUTPUTS;
  }

  /**
   * Decodes the point (x, y, z) into `act[slot .. slot + slotSize)` and returns its SDF; its albedo is at
   * `act[slot + sdfOffset + 1 ..]`.
   */
  forward(x: number, y: number, z: number, act: Float64Array, slot: number): number {
    const { channels: C, resolution: R, hidden: H } = this.shape;
    const planes = this.planes;
    const w = this.decoder;
    const L = this.layout;
    const taps = this._taps;
    const plane = R * R;
    this._lookup(x, y, z);

    // 1. f = sum over the planes of the bilinear samples (grid_sample, align_corners = true, border padding).
    for (let c = 0; c < C; c++) act[slot + c] = 0;
    for (let k = 0; k < 3; k++) {
      const t = k * TAP_SIZE;
      const fu = taps[t + TAP_FRAC_U]!;
      const fv = taps[t + TAP_FRAC_V]!;
      const w00 = (1 - fu) * (1 - fv);
      const w01 = fu * (1 - fv);
      const w10 = (1 - fu) * fv;
      const w11 = fu * fv;
      let i00 = taps[t + TAP_I00]! + k * C * plane;
      let i01 = taps[t + TAP_I01]! + k * C * plane;
      let i10 = taps[t + TAP_I10]! + k * C * plane;
      let i11 = taps[t + TAP_I11]! + k * C * plane;
      for (let c = 0; c < C; c++) {
        act[slot + c] =
          act[slot + c]! + w00 * planes[i00]! + w01 * planes[i01]! + w10 * planes[i10]! + w11 * planes[i11]!;
        i00 += plane;
        i01 += plane;
        i10 += plane;
        i11 += plane;
      }
    }

    // 2. h1 = silu(W1 f + b1), h2 = silu(W2 h1 + b2), o = W3 h2 + b3.
    const z1 = slot + C;
    const h1 = z1 + H;
    const z2 = h1 + H;
    const h2 = z2 + H;
    const out = h2 + H;
    affine(w, L.fc1Weight, w, L.fc1Bias, act, slot, H, C, act, z1);
    for (let i = 0; i < H; i++) act[h1 + i] = silu(act[z1 + i]!);
    affine(w, L.fc2Weight, w, L.fc2Bias, act, h1, H, H, act, z2);
    for (let i = 0; i < H; i++) act[h2 + i] = silu(act[z2 + i]!);
    affine(w, L.outWeight, w, L.outBias, act, h2, DECODER_OUTPUTS, H, act, out);

    // 3. The sphere bias and the albedo.
    const sdfAt = out + DECODER_OUTPUTS;
    const sdf = act[out]! + Math.sqrt(x * x + y * y + z * z) - SPHERE_RADIUS;
    act[sdfAt] = sdf;
    for (let j = 1; j < DECODER_OUTPUTS; j++) act[sdfAt + j] = sigmoid(act[out + j]!);
    return sdf;
  }

  /**
   * Backpropagates upstream gradients of the point's SDF and albedo (d0, d1, d2) through the slot that
   * {@link forward} filled for the same point, accumulating into `targets` and, if given, into
   * `dPoint[0..3)` (d/dx, d/dy, d/dz; needed where the point itself depends on parameters, as the normal probes do).
   */
  backward(
    x: number,
    y: number,
    z: number,
    act: Float64Array,
    slot: number,
    dSdf: number,
    dAlbedo0: number,
    dAlbedo1: number,
    dAlbedo2: number,
    targets: FieldGradientTargets,
    dPoint: Float64Array | null,
  ): void {
    const { channels: C, resolution: R, hidden: H } = this.shape;
    const w = this.decoder;
    const L = this.layout;
    const gw = targets.decoder;
    const dOut = this._dOut;
    const dh = this._dHidden; // dz2
    const df = this._dFeatures;
    const z1 = slot + C;
    const h1 = z1 + H;
    const z2 = h1 + H;
    const h2 = z2 + H;
    const out = h2 + H;
    const albedo = out + DECODER_OUTPUTS + 1;

    // Through sigmoid: d logit = d albedo * s (1 - s).
    dOut[0] = dSdf;
    const a0 = act[albedo]!;
    const a1 = act[albedo + 1]!;
    const a2 = act[albedo + 2]!;
    dOut[1] = dAlbedo0 * a0 * (1 - a0);
    dOut[2] = dAlbedo1 * a1 * (1 - a1);
    dOut[3] = dAlbedo2 * a2 * (1 - a2);

    // Output layer: dW3 = dOut h2^T, dh2 = W3^T dOut, then through SiLU: silu'(z) = s (1 + z (1 - s)).
    if (gw) accumulateLayerGradient(gw, L.outWeight, gw, L.outBias, dOut, act, h2, DECODER_OUTPUTS, H);
    affineTransposed(w, L.outWeight, dOut, DECODER_OUTPUTS, H, dh);
    for (let m = 0; m < H; m++) dh[m] = dh[m]! * siluDerivative(act[z2 + m]!);
    // Hidden layer 2: dW2 = dz2 h1^T; dh1 = W2^T dz2, then dz1 through SiLU.
    if (gw) accumulateLayerGradient(gw, L.fc2Weight, gw, L.fc2Bias, dh, act, h1, H, H);
    const dz1 = this._dHidden1;
    affineTransposed(w, L.fc2Weight, dh, H, H, dz1);
    for (let m = 0; m < H; m++) dz1[m] = dz1[m]! * siluDerivative(act[z1 + m]!);
    // Hidden layer 1: dW1 = dz1 f^T; df = W1^T dz1.
    if (gw) accumulateLayerGradient(gw, L.fc1Weight, gw, L.fc1Bias, dz1, act, slot, H, C);
    affineTransposed(w, L.fc1Weight, dz1, H, C, df);

    // Through the bilinear taps into the planes and, for dPoint, into the coordinates.
    this._lookup(x, y, z);
    const taps = this._taps;
    const gp = targets.planes;
    const planes = this.planes;
    const plane = R * R;
    for (let k = 0; k < 3; k++) {
      const t = k * TAP_SIZE;
      const fu = taps[t + TAP_FRAC_U]!;
      const fv = taps[t + TAP_FRAC_V]!;
      const base = k * C * plane;
      let i00 = taps[t + TAP_I00]! + base;
      let i01 = taps[t + TAP_I01]! + base;
      let i10 = taps[t + TAP_I10]! + base;
      let i11 = taps[t + TAP_I11]! + base;
      if (gp) {
        const w00 = (1 - fu) * (1 - fv);
        const w01 = fu * (1 - fv);
        const w10 = (1 - fu) * fv;
        const w11 = fu * fv;
        for (let c = 0, off = 0; c < C; c++, off += plane) {
          const g = df[c]!;
          gp[i00 + off] = gp[i00 + off]! + w00 * g;
          gp[i01 + off] = gp[i01 + off]! + w01 * g;
          gp[i10 + off] = gp[i10 + off]! + w10 * g;
          gp[i11 + off] = gp[i11 + off]! + w11 * g;
        }
      }
      if (dPoint) {
        let du = 0;
        let dv = 0;
        for (let c = 0; c < C; c++) {
          const p00 = planes[i00]!;
          const p01 = planes[i01]!;
          const p10 = planes[i10]!;
          const p11 = planes[i11]!;
          du += df[c]! * ((p01 - p00) * (1 - fv) + (p11 - p10) * fv);
          dv += df[c]! * ((p10 - p00) * (1 - fu) + (p11 - p01) * fu);
          i00 += plane;
          i01 += plane;
          i10 += plane;
          i11 += plane;
        }
        const ua = k === 2 ? 1 : 0;
        const va = k === 0 ? 1 : 2;
        dPoint[ua] = dPoint[ua]! + du * taps[t + TAP_SCALE_U]!;
        dPoint[va] = dPoint[va]! + dv * taps[t + TAP_SCALE_V]!;
      }
    }
    if (dPoint) {
      // The sphere bias |p|: d|p|/dp = p / |p| (0 at the origin, as in PyTorch).
      const norm = Math.sqrt(x * x + y * y + z * z);
      if (norm > 0) {
        const g = dSdf / norm;
        dPoint[0] = dPoint[0]! + g * x;
        dPoint[1] = dPoint[1]! + g * y;
        dPoint[2] = dPoint[2]! + g * z;
      }
    }
  }

  /** Fills the three planes' taps for the point (x, y, z): plane 0 samples (x, y), plane 1 (x, z), plane 2 (y, z). */
  private _lookup(x: number, y: number, z: number): void {
    this._tap(0, x, y);
    this._tap(1, x, z);
    this._tap(2, y, z);
  }

  /**
   * align_corners = true: a in [-1, 1] -> continuous index (a + 1) / 2 (R - 1), clamped to [0, R - 1] (border
   * padding). A clamped coordinate gets no gradient, like PyTorch's clip_coordinates_set_grad; NaN clamps to 0.
   */
  private _tap(k: number, u: number, v: number): void {
    const R = this.shape.resolution;
    const taps = this._taps;
    const t = k * TAP_SIZE;
    const half = (R - 1) / 2;
    let gu = (u + 1) * half;
    let su = half;
    if (!(gu > 0)) {
      gu = 0;
      su = 0;
    } else if (gu >= R - 1) {
      gu = R - 1;
      su = 0;
    }
    let gv = (v + 1) * half;
    let sv = half;
    if (!(gv > 0)) {
      gv = 0;
      sv = 0;
    } else if (gv >= R - 1) {
      gv = R - 1;
      sv = 0;
    }
    const u0 = Math.floor(gu);
    const v0 = Math.floor(gv);
    // At the last texel the second tap's weight is 0; clamping its index keeps the read in bounds.
    const u1 = Math.min(u0 + 1, R - 1);
    const v1 = Math.min(v0 + 1, R - 1);
    taps[t + TAP_I00] = v0 * R + u0;
    taps[t + TAP_I01] = v0 * R + u1;
    taps[t + TAP_I10] = v1 * R + u0;
    taps[t + TAP_I11] = v1 * R + u1;
    taps[t + TAP_FRAC_U] = gu - u0;
    taps[t + TAP_FRAC_V] = gv - v0;
    taps[t + TAP_SCALE_U] = su;
    taps[t + TAP_SCALE_V] = sv;
  }
}

function pointCount(points: FloatArray): number {
  if (points.length % 3 !== 0) throw new RangeError(`points.length must be a multiple of 3, got ${points.length}`);
  return points.length / 3;
}

function checkLength(name: string, array: ArrayLike<number>, expected: number): void {
  if (array.length !== expected) throw new RangeError(`${name} must hold ${expected} floats, got ${array.length}`);
}

/**
 * Decodes a batch of points.
 * @param points `[N, 3]`.
 * @param sdf `[N]`, written.
 * @param albedo `[N, 3]`, written.
 * @throws {RangeError} naming the array whose length does not fit.
 */
export function decodeTriplaneCpu(
  field: CpuTriplaneField,
  points: FloatArray,
  sdf: FloatArray,
  albedo: FloatArray,
): void {
  const n = pointCount(points);
  checkLength('sdf', sdf, n);
  checkLength('albedo', albedo, 3 * n);
  const act = new Float64Array(field.slotSize);
  const at = field.sdfOffset;
  for (let i = 0; i < n; i++) {
    sdf[i] = field.forward(points[3 * i]!, points[3 * i + 1]!, points[3 * i + 2]!, act, 0);
    albedo[3 * i] = act[at + 1]!;
    albedo[3 * i + 1] = act[at + 2]!;
    albedo[3 * i + 2] = act[at + 3]!;
  }
}

/**
 * Gradients of `sum(gradSdf * sdf) + sum(gradAlbedo * albedo)` over a batch of points, accumulated into `targets`.
 * @param gradSdf `[N]`.
 * @param gradAlbedo `[N, 3]`.
 * @param gradPoints `[N, 3]`, written (not accumulated) if given.
 * @throws {RangeError} naming the array whose length does not fit.
 */
export function decodeTriplaneBackwardCpu(
  field: CpuTriplaneField,
  points: FloatArray,
  gradSdf: FloatArray,
  gradAlbedo: FloatArray,
  targets: FieldGradientTargets,
  gradPoints: FloatArray | null = null,
): void {
  const n = pointCount(points);
  checkLength('gradSdf', gradSdf, n);
  checkLength('gradAlbedo', gradAlbedo, 3 * n);
  if (targets.planes) checkLength('targets.planes', targets.planes, field.planes.length);
  if (targets.decoder) checkLength('targets.decoder', targets.decoder, field.decoder.length);
  if (gradPoints) checkLength('gradPoints', gradPoints, 3 * n);
  const act = new Float64Array(field.slotSize);
  const dPoint = gradPoints ? new Float64Array(3) : null;
  for (let i = 0; i < n; i++) {
    const x = points[3 * i]!;
    const y = points[3 * i + 1]!;
    const z = points[3 * i + 2]!;
    field.forward(x, y, z, act, 0);
    dPoint?.fill(0);
    field.backward(x, y, z, act, 0, gradSdf[i]!, gradAlbedo[3 * i]!, gradAlbedo[3 * i + 1]!, gradAlbedo[3 * i + 2]!,
      targets, dPoint);
    if (gradPoints && dPoint) gradPoints.set(dPoint, 3 * i);
  }
}
