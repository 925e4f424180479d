/**
 * The triplane field of triplane-cpu.ts (same steps, same float64 arithmetic) evaluated a batch of points at a time:
 * the renderer's hot path, where a ray's S samples form one batch. Three things make it faster than the point-at-a-time
 * twin, none of which changes the maths beyond float64 rounding:
 *
 * - {@link CpuTriplaneBatchField.load} snapshots the planes channels-last (`[3, R, R, C]`, float64), so that a tap
 *   reads C contiguous values instead of C values R^2 apart, and the decoder as float64, with transposed copies for
 *   the backward pass;
 * - the MLP runs layer by layer over the batch (dense-cpu.ts: affineBatch), two points per loaded weight;
 * - the forward pass keeps silu'(z) beside silu(z), so that the backward pass needs no exponential.
 *
 * Gradients go to {@link BatchGradients} (float64, channels-last), added to the caller's targets once per call.
 * {@link FieldBatchTape} keeps what the backward pass reads of many batches, so that a renderer can backpropagate
 * through a forward it ran earlier (volsdf-tape-cpu.ts).
 */
import { accumulateBatchGradient, affineBatch } from './dense-cpu.js';
import type { CpuTriplaneField, FieldGradientTargets } from './triplane-cpu.js';
import {
  decoderLayout,
  DECODER_OUTPUTS,
  SPHERE_RADIUS,
  type FloatArray,
  type TriplaneShape,
} from './triplane-layout.js';

// A point's bilinear lookup on one plane: the four taps' offsets in the channels-last planes and their weights, the
// fractional parts of the continuous indices, and d(continuous index)/d(coordinate) (0 where the coordinate is
// clamped).
const TAP_I00 = 0;
const TAP_I01 = 1;
const TAP_I10 = 2;
const TAP_I11 = 3;
const TAP_W00 = 4;
const TAP_W01 = 5;
const TAP_W10 = 6;
const TAP_W11 = 7;
const TAP_FRAC_U = 8;
const TAP_FRAC_V = 9;
const TAP_SCALE_U = 10;
const TAP_SCALE_V = 11;
const TAP_SIZE = 12;
/** Taps per point: one lookup on each of the three planes. */
const POINT_TAPS = 3 * TAP_SIZE;

/**
 * A batch of up to `capacity` points and their activations, point-major within each array: {@link points} is
 * written by the caller, the rest by {@link CpuTriplaneBatchField.forward} and read back by its backward.
 */
export class FieldBatch {
  /** `[N, 3]`, the caller's. */
  readonly points: Float64Array;
  readonly taps: Float64Array;
  /** f `[N, C]`. */
  readonly features: Float64Array;
  /** silu(z) and silu'(z) of both hidden layers, `[N, H]` each. */
  readonly hidden1: Float64Array;
  readonly slope1: Float64Array;
  readonly hidden2: Float64Array;
  readonly slope2: Float64Array;
  /** The decoder's outputs `[N, 4]`, then the SDF `[N]` and the albedo `[N, 3]`. */
  readonly outputs: Float64Array;
  readonly sdf: Float64Array;
  readonly albedo: Float64Array;

  constructor(
    readonly capacity: number,
    { channels: C, hidden: H }: TriplaneShape,
  ) {
    this.points = new Float64Array(3 * capacity);
    this.taps = new Float64Array(POINT_TAPS * capacity);
    this.features = new Float64Array(C * capacity);
    this.hidden1 = new Float64Array(H * capacity);
    this.slope1 = new Float64Array(H * capacity);
    this.hidden2 = new Float64Array(H * capacity);
    this.slope2 = new Float64Array(H * capacity);
    this.outputs = new Float64Array(DECODER_OUTPUTS * capacity);
    this.sdf = new Float64Array(capacity);
    this.albedo = new Float64Array(3 * capacity);
  }
}

/** A kept tap: four texel offsets (Int32), then fu, fv and, for point gradients, the scales (float64). */
const KEPT_OFFSETS = 4;
const KEPT_FRACTIONS = 2;
const KEPT_FRACTIONS_AND_SCALES = 4;

/**
 * What {@link CpuTriplaneBatchField.backward} reads of batches for the planes' gradients (and, with
 * `pointGradients`, the points'), plus their SDFs, kept for `capacity` points in all: a renderer keeps its forward
 * here and backpropagates through it later (volsdf-tape-cpu.ts). It leaves out what only the decoder's gradients read
 * (features, hidden values), keeps the tap offsets as Int32 and each tap's four weights as the two fractions they
 * come from; {@link restore} rebuilds the weights with the forward's own arithmetic, so a restored batch holds the
 * forward's values bit for bit in everything a planes-only backward reads.
 */
export class FieldBatchTape {
  /** `[N, 3, 4]`. */
  private readonly _offsets: Int32Array;
  /** `[N, 3, 2]` (fu, fv) or, for point gradients, `[N, 3, 4]` (fu, fv, d index / du, d index / dv). */
  private readonly _fractions: Float64Array;
  private readonly _fractionsPerTap: number;
  /** `[N, H]` each. */
  private readonly _slope1: Float64Array;
  private readonly _slope2: Float64Array;
  private readonly _sdf: Float64Array;
  /** `[N, 3]`. */
  private readonly _albedo: Float64Array;
  /** `[N, 3]`, for point gradients only. */
  private readonly _points: Float64Array | null;

  constructor(
    readonly capacity: number,
    readonly shape: TriplaneShape,
    readonly pointGradients: boolean,
  ) {
    const H = shape.hidden;
    this._fractionsPerTap = pointGradients ? KEPT_FRACTIONS_AND_SCALES : KEPT_FRACTIONS;
    this._offsets = new Int32Array(3 * KEPT_OFFSETS * capacity);
    this._fractions = new Float64Array(3 * this._fractionsPerTap * capacity);
    this._slope1 = new Float64Array(H * capacity);
    this._slope2 = new Float64Array(H * capacity);
    this._sdf = new Float64Array(capacity);
    this._albedo = new Float64Array(3 * capacity);
    this._points = pointGradients ? new Float64Array(3 * capacity) : null;
  }

  /** The memory it holds, in bytes. */
  get byteLength(): number {
    return this._offsets.byteLength + this._fractions.byteLength + this._slope1.byteLength +
      this._slope2.byteLength + this._sdf.byteLength + this._albedo.byteLength + (this._points?.byteLength ?? 0);
  }

  /**
   * Keeps the first `count` points of `batch`, after its {@link CpuTriplaneBatchField.forward}, as points
   * `[at, at + count)`.
   * @throws {RangeError} if they do not fit.
   */
  keep(batch: FieldBatch, count: number, at: number): void {
    this._checkRange(count, at);
    const H = this.shape.hidden;
    const F = this._fractionsPerTap;
    const { taps } = batch;
    for (let p = 0; p < count; p++) {
      for (let k = 0; k < 3; k++) {
        const t = p * POINT_TAPS + k * TAP_SIZE;
        const o = ((at + p) * 3 + k) * KEPT_OFFSETS;
        this._offsets[o] = taps[t + TAP_I00]!;
        this._offsets[o + 1] = taps[t + TAP_I01]!;
        this._offsets[o + 2] = taps[t + TAP_I10]!;
        this._offsets[o + 3] = taps[t + TAP_I11]!;
        const f = ((at + p) * 3 + k) * F;
        this._fractions[f] = taps[t + TAP_FRAC_U]!;
        this._fractions[f + 1] = taps[t + TAP_FRAC_V]!;
        if (this.pointGradients) {
          this._fractions[f + 2] = taps[t + TAP_SCALE_U]!;
          this._fractions[f + 3] = taps[t + TAP_SCALE_V]!;
        }
      }
    }
    this._slope1.set(batch.slope1.subarray(0, count * H), at * H);
    this._slope2.set(batch.slope2.subarray(0, count * H), at * H);
    this._sdf.set(batch.sdf.subarray(0, count), at);
    this._albedo.set(batch.albedo.subarray(0, 3 * count), 3 * at);
    this._points?.set(batch.points.subarray(0, 3 * count), 3 * at);
  }

  /**
   * Writes points `[at, at + count)` back into the first `count` of `batch`, ready for a backward pass without
   * decoder gradients (and with point gradients only if this tape keeps them).
   * @throws {RangeError} if they are out of range.
   */
  restore(at: number, batch: FieldBatch, count: number): void {
    this._checkRange(count, at);
    const H = this.shape.hidden;
    const F = this._fractionsPerTap;
    const { taps } = batch;
    for (let p = 0; p < count; p++) {
      for (let k = 0; k < 3; k++) {
        const t = p * POINT_TAPS + k * TAP_SIZE;
        const o = ((at + p) * 3 + k) * KEPT_OFFSETS;
        taps[t + TAP_I00] = this._offsets[o]!;
        taps[t + TAP_I01] = this._offsets[o + 1]!;
        taps[t + TAP_I10] = this._offsets[o + 2]!;
        taps[t + TAP_I11] = this._offsets[o + 3]!;
        const f = ((at + p) * 3 + k) * F;
        writeTapWeights(taps, t, this._fractions[f]!, this._fractions[f + 1]!);
        if (this.pointGradients) {
          taps[t + TAP_SCALE_U] = this._fractions[f + 2]!;
          taps[t + TAP_SCALE_V] = this._fractions[f + 3]!;
        }
      }
    }
    batch.slope1.set(this._slope1.subarray(at * H, (at + count) * H));
    batch.slope2.set(this._slope2.subarray(at * H, (at + count) * H));
    batch.sdf.set(this._sdf.subarray(at, at + count));
    batch.albedo.set(this._albedo.subarray(3 * at, 3 * (at + count)));
    if (this._points) batch.points.set(this._points.subarray(3 * at, 3 * (at + count)));
  }

  private _checkRange(count: number, at: number): void {
    if (!(Number.isInteger(at) && Number.isInteger(count) && at >= 0 && count >= 0 && at + count <= this.capacity)) {
      throw new RangeError(`points [${at}, ${at} + ${count}) must lie in [0, ${this.capacity})`);
    }
  }
}

/** Gradient accumulators in the batch field's layouts: planes channels-last `[3, R, R, C]`, decoder flat. */
export class BatchGradients {
  readonly planes: Float64Array;
  readonly decoder: Float64Array;
  /** Whether the decoder's gradients are wanted (they cost three weight-gradient products per batch). */
  withDecoder = false;

  constructor(readonly shape: TriplaneShape) {
    const { channels: C, resolution: R } = shape;
    this.planes = new Float64Array(3 * R * R * C);
    this.decoder = new Float64Array(decoderLayout(shape).length);
  }

  /** Zeroes the accumulators for a call that fills `targets`. */
  reset(targets: FieldGradientTargets): void {
    this.planes.fill(0);
    this.withDecoder = targets.decoder !== null;
    if (this.withDecoder) this.decoder.fill(0);
  }

  /** targets += the accumulated gradients, in the targets' layouts. */
  addTo(targets: FieldGradientTargets): void {
    const { channels: C, resolution: R } = this.shape;
    const texels = R * R;
    const gp = targets.planes;
    if (gp) {
      for (let k = 0; k < 3; k++) {
        for (let c = 0; c < C; c++) {
          const row = (k * C + c) * texels;
          for (let t = 0, at = k * texels * C + c; t < texels; t++, at += C) {
            gp[row + t] = gp[row + t]! + this.planes[at]!;
          }
        }
      }
    }
    const gd = targets.decoder;
    if (gd) for (let i = 0; i < gd.length; i++) gd[i] = gd[i]! + this.decoder[i]!;
  }
}

/**
 * A {@link CpuTriplaneField} evaluated in batches. Call {@link load} whenever the field's planes or decoder may have
 * changed (the renderer does at each render and backward); the batches then read the snapshot.
 */
export class CpuTriplaneBatchField {
  /**
   * Bumped by each {@link load} that finds the field changed: activations made at one version are valid for a
   * backward pass at the same version only.
   */
  get version(): number {
    return this._version;
  }

  private _version = 0;
  private readonly _planes: Float64Array;
  private readonly _w1: Float64Array;
  private readonly _b1: Float64Array;
  private readonly _w2: Float64Array;
  private readonly _b2: Float64Array;
  private readonly _w3: Float64Array;
  private readonly _b3: Float64Array;
  /** W1^T `[C, H]`, W2^T `[H, H]`, W3^T `[H, 4]`, and zeros for their missing biases. */
  private readonly _w1T: Float64Array;
  private readonly _w2T: Float64Array;
  private readonly _w3T: Float64Array;
  private readonly _noBias: Float64Array;
  /** Backward scratch for `capacity` points: d outputs `[N, 4]`, dz2 and dz1 `[N, H]`, df `[N, C]`. */
  private readonly _dOutputs: Float64Array;
  private readonly _dz2: Float64Array;
  private readonly _dz1: Float64Array;
  private readonly _dFeatures: Float64Array;

  /** @param capacity the largest batch that {@link backward} will be given. */
  constructor(
    readonly field: CpuTriplaneField,
    capacity: number,
  ) {
    const { channels: C, resolution: R, hidden: H } = field.shape;
    this._planes = new Float64Array(3 * R * R * C);
    this._w1 = new Float64Array(H * C);
    this._b1 = new Float64Array(H);
    this._w2 = new Float64Array(H * H);
    this._b2 = new Float64Array(H);
    this._w3 = new Float64Array(DECODER_OUTPUTS * H);
    this._b3 = new Float64Array(DECODER_OUTPUTS);
    this._w1T = new Float64Array(C * H);
    this._w2T = new Float64Array(H * H);
    this._w3T = new Float64Array(H * DECODER_OUTPUTS);
    this._noBias = new Float64Array(Math.max(C, H));
    this._dOutputs = new Float64Array(DECODER_OUTPUTS * capacity);
    this._dz2 = new Float64Array(H * capacity);
    this._dz1 = new Float64Array(H * capacity);
    this._dFeatures = new Float64Array(C * capacity);
  }

  get shape(): TriplaneShape {
    return this.field.shape;
  }

  /**
   * Snapshots the field's current planes (channels-last) and decoder (float64, and transposed), and bumps
   * {@link version} if any value differs from the last snapshot.
   */
  load(): void {
    const { channels: C, resolution: R, hidden: H } = this.field.shape;
    const { planes, decoder } = this.field;
    const L = this.field.layout;
    const texels = R * R;
    const snapshot = this._planes;
    let changed = false;
    for (let k = 0; k < 3; k++) {
      for (let c = 0; c < C; c++) {
        const row = (k * C + c) * texels;
        for (let t = 0, at = k * texels * C + c; t < texels; t++, at += C) {
          const value = planes[row + t]!;
          if (!Object.is(snapshot[at], value)) {
            snapshot[at] = value;
            changed = true;
          }
        }
      }
    }
    let decoderChanged = copyChanged(decoder, L.fc1Weight, this._w1);
    decoderChanged = copyChanged(decoder, L.fc1Bias, this._b1) || decoderChanged;
    decoderChanged = copyChanged(decoder, L.fc2Weight, this._w2) || decoderChanged;
    decoderChanged = copyChanged(decoder, L.fc2Bias, this._b2) || decoderChanged;
    decoderChanged = copyChanged(decoder, L.outWeight, this._w3) || decoderChanged;
    decoderChanged = copyChanged(decoder, L.outBias, this._b3) || decoderChanged;
    if (decoderChanged) {
      transpose(this._w1, H, C, this._w1T);
      transpose(this._w2, H, H, this._w2T);
      transpose(this._w3, DECODER_OUTPUTS, H, this._w3T);
    }
    if (changed || decoderChanged) this._version++;
  }

  /** Decodes the batch's first `count` points (triplane-cpu.ts: forward, steps 1-3). */
  forward(batch: FieldBatch, count: number): void {
    const { channels: C, resolution: R, hidden: H } = this.field.shape;
    const planes = this._planes;
    const { points, taps, features: f } = batch;

    // 1. f = sum over the planes of the bilinear samples (grid_sample, align_corners = true, border padding), each
    //    channel summed in registers in the point-at-a-time twin's order.
    for (let p = 0; p < count; p++) {
      const x = points[3 * p]!;
      const y = points[3 * p + 1]!;
      const z = points[3 * p + 2]!;
      const t0 = p * POINT_TAPS;
      const t1 = t0 + TAP_SIZE;
      const t2 = t1 + TAP_SIZE;
      writeTap(taps, t0, 0, R, C, x, y);
      writeTap(taps, t1, 1, R, C, x, z);
      writeTap(taps, t2, 2, R, C, y, z);
      const a00 = taps[t0 + TAP_I00]! | 0;
      const a01 = taps[t0 + TAP_I01]! | 0;
      const a10 = taps[t0 + TAP_I10]! | 0;
      const a11 = taps[t0 + TAP_I11]! | 0;
      const b00 = taps[t1 + TAP_I00]! | 0;
      const b01 = taps[t1 + TAP_I01]! | 0;
      const b10 = taps[t1 + TAP_I10]! | 0;
      const b11 = taps[t1 + TAP_I11]! | 0;
      const c00 = taps[t2 + TAP_I00]! | 0;
      const c01 = taps[t2 + TAP_I01]! | 0;
      const c10 = taps[t2 + TAP_I10]! | 0;
      const c11 = taps[t2 + TAP_I11]! | 0;
      const wa00 = taps[t0 + TAP_W00]!;
      const wa01 = taps[t0 + TAP_W01]!;
      const wa10 = taps[t0 + TAP_W10]!;
      const wa11 = taps[t0 + TAP_W11]!;
      const wb00 = taps[t1 + TAP_W00]!;
      const wb01 = taps[t1 + TAP_W01]!;
      const wb10 = taps[t1 + TAP_W10]!;
      const wb11 = taps[t1 + TAP_W11]!;
      const wc00 = taps[t2 + TAP_W00]!;
      const wc01 = taps[t2 + TAP_W01]!;
      const wc10 = taps[t2 + TAP_W10]!;
      const wc11 = taps[t2 + TAP_W11]!;
      for (let c = 0, fc = p * C; c < C; c++, fc++) {
        let s = 0 + wa00 * planes[a00 + c]! + wa01 * planes[a01 + c]! + wa10 * planes[a10 + c]!;
        s += wa11 * planes[a11 + c]!;
        s = s + wb00 * planes[b00 + c]! + wb01 * planes[b01 + c]! + wb10 * planes[b10 + c]! + wb11 * planes[b11 + c]!;
        s = s + wc00 * planes[c00 + c]! + wc01 * planes[c01 + c]! + wc10 * planes[c10 + c]! + wc11 * planes[c11 + c]!;
        f[fc] = s;
      }
    }

    // 2. h1 = silu(W1 f + b1), h2 = silu(W2 h1 + b2), o = W3 h2 + b3.
    affineBatch(this._w1, this._b1, f, H, C, count, batch.hidden1);
    siluInPlace(batch.hidden1, batch.slope1, count * H);
    affineBatch(this._w2, this._b2, batch.hidden1, H, H, count, batch.hidden2);
    siluInPlace(batch.hidden2, batch.slope2, count * H);
    const out = batch.outputs;
    affineBatch(this._w3, this._b3, batch.hidden2, DECODER_OUTPUTS, H, count, out);

    // 3. The sphere bias and the albedo.
    for (let p = 0; p < count; p++) {
      const x = points[3 * p]!;
      const y = points[3 * p + 1]!;
      const z = points[3 * p + 2]!;
      const o = p * DECODER_OUTPUTS;
      batch.sdf[p] = out[o]! + Math.sqrt(x * x + y * y + z * z) - SPHERE_RADIUS;
      for (let j = 1; j < DECODER_OUTPUTS; j++) batch.albedo[3 * p + j - 1] = 1 / (1 + Math.exp(-out[o + j]!));
    }
  }

  /**
   * Backpropagates upstream gradients of the SDF `dSdf[N]` and albedo `dAlbedo[N, 3]` of the batch's first `count`
   * points through the activations that {@link forward} left, into `gradients` and, if given, `dPoints[N, 3]`
   * (written: d/dx, d/dy, d/dz of each point, for points that themselves depend on parameters).
   */
  backward(
    batch: FieldBatch,
    count: number,
    dSdf: Float64Array,
    dAlbedo: Float64Array,
    gradients: BatchGradients,
    dPoints: Float64Array | null,
  ): void {
    const { channels: C, hidden: H } = this.field.shape;
    const L = this.field.layout;
    const gd = gradients.withDecoder ? gradients.decoder : null;
    const { albedo, slope1, slope2 } = batch;
    const dOut = this._dOutputs;
    const dz2 = this._dz2;
    const dz1 = this._dz1;
    const df = this._dFeatures;

    // Through the sigmoid: d logit = d albedo * s (1 - s).
    for (let p = 0; p < count; p++) {
      const o = p * DECODER_OUTPUTS;
      dOut[o] = dSdf[p]!;
      for (let j = 0; j < 3; j++) {
        const a = albedo[3 * p + j]!;
        dOut[o + 1 + j] = dAlbedo[3 * p + j]! * a * (1 - a);
      }
    }
    // Output layer: dW3 = dOut h2^T, dh2 = W3^T dOut, then dz2 = dh2 silu'(z2).
    if (gd) accumulateBatchGradient(gd, L.outWeight, gd, L.outBias, dOut, batch.hidden2, DECODER_OUTPUTS, H, count);
    affineBatch(this._w3T, this._noBias, dOut, H, DECODER_OUTPUTS, count, dz2);
    for (let e = 0; e < count * H; e++) dz2[e] = dz2[e]! * slope2[e]!;
    // Hidden layer 2: dW2 = dz2 h1^T; dh1 = W2^T dz2, then dz1 = dh1 silu'(z1).
    if (gd) accumulateBatchGradient(gd, L.fc2Weight, gd, L.fc2Bias, dz2, batch.hidden1, H, H, count);
    affineBatch(this._w2T, this._noBias, dz2, H, H, count, dz1);
    for (let e = 0; e < count * H; e++) dz1[e] = dz1[e]! * slope1[e]!;
    // Hidden layer 1: dW1 = dz1 f^T; df = W1^T dz1.
    if (gd) accumulateBatchGradient(gd, L.fc1Weight, gd, L.fc1Bias, dz1, batch.features, H, C, count);
    affineBatch(this._w1T, this._noBias, dz1, C, H, count, df);
    this._scatter(batch, count, df, dSdf, gradients.planes, dPoints);
  }

  /** Through the bilinear taps into the planes' gradients and, for dPoints, into the coordinates. */
  private _scatter(
    batch: FieldBatch,
    count: number,
    df: Float64Array,
    dSdf: Float64Array,
    gp: Float64Array,
    dPoints: Float64Array | null,
  ): void {
    const C = this.field.shape.channels;
    const planes = this._planes;
    const { points, taps } = batch;
    for (let p = 0; p < count; p++) {
      const fp = p * C;
      const at = p * POINT_TAPS;
      let dx = 0;
      let dy = 0;
      let dz = 0;
      for (let k = 0; k < 3; k++) {
        const t = at + k * TAP_SIZE;
        const fu = taps[t + TAP_FRAC_U]!;
        const fv = taps[t + TAP_FRAC_V]!;
        const i00 = taps[t + TAP_I00]! | 0;
        const i01 = taps[t + TAP_I01]! | 0;
        const i10 = taps[t + TAP_I10]! | 0;
        const i11 = taps[t + TAP_I11]! | 0;
        const w00 = taps[t + TAP_W00]!;
        const w01 = taps[t + TAP_W01]!;
        const w10 = taps[t + TAP_W10]!;
        const w11 = taps[t + TAP_W11]!;
        for (let c = 0; c < C; c++) {
          const g = df[fp + c]!;
          gp[i00 + c] = gp[i00 + c]! + w00 * g;
          gp[i01 + c] = gp[i01 + c]! + w01 * g;
          gp[i10 + c] = gp[i10 + c]! + w10 * g;
          gp[i11 + c] = gp[i11 + c]! + w11 * g;
        }
        if (!dPoints) continue;
        let du = 0;
        let dv = 0;
        for (let c = 0; c < C; c++) {
          const p00 = planes[i00 + c]!;
          const p01 = planes[i01 + c]!;
          const p10 = planes[i10 + c]!;
          const p11 = planes[i11 + c]!;
          du += df[fp + c]! * ((p01 - p00) * (1 - fv) + (p11 - p10) * fv);
          dv += df[fp + c]! * ((p10 - p00) * (1 - fu) + (p11 - p01) * fu);
        }
        // Plane 0 samples (x, y), plane 1 (x, z), plane 2 (y, z).
        du *= taps[t + TAP_SCALE_U]!;
        dv *= taps[t + TAP_SCALE_V]!;
        if (k === 2) dy += du;
        else dx += du;
        if (k === 0) dy += dv;
        else dz += dv;
      }
      if (!dPoints) continue;
      // The sphere bias |p|: d|p|/dp = p / |p| (0 at the origin, as in PyTorch).
      const x = points[3 * p]!;
      const y = points[3 * p + 1]!;
      const z = points[3 * p + 2]!;
      const norm = Math.sqrt(x * x + y * y + z * z);
      if (norm > 0) {
        const g = dSdf[p]! / norm;
        dx += g * x;
        dy += g * y;
        dz += g * z;
      }
      dPoints[3 * p] = dx;
      dPoints[3 * p + 1] = dy;
      dPoints[3 * p + 2] = dz;
    }
  }
}

/** to = from[start .. start + to.length), telling whether any value differed (NaN equals NaN, -0 differs from 0). */
function copyChanged(from: FloatArray, start: number, to: Float64Array): boolean {
  let changed = false;
  for (let i = 0; i < to.length; i++) {
    const value = from[start + i]!;
    if (!Object.is(to[i], value)) {
      to[i] = value;
      changed = true;
    }
  }
  return changed;
}

/** out `[m, n]` = w^T for w `[n, m]`. */
function transpose(w: Float64Array, n: number, m: number, out: Float64Array): void {
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) out[j * n + i] = w[i * m + j]!;
}

/** z -> silu(z) = z sigmoid(z) in place, and silu'(z) = s (1 + z (1 - s)), s = sigmoid(z), into `slope`. */
function siluInPlace(values: Float64Array, slope: Float64Array, length: number): void {
  for (let e = 0; e < length; e++) {
    const z = values[e]!;
    const d = 1 + Math.exp(-z);
    const s = 1 / d;
    values[e] = z / d;
    slope[e] = s * (1 + z * (1 - s));
  }
}

/**
 * One plane's lookup for the point (u, v), as triplane-cpu.ts's _tap: align_corners = true maps a in [-1, 1] to
 * the continuous index (a + 1) / 2 (R - 1), clamped to [0, R - 1] (border padding); a clamped coordinate gets no
 * gradient; NaN clamps to 0. Offsets are channels-last: ((k R + row) R + column) C.
 */
function writeTap(taps: Float64Array, t: number, k: number, R: number, C: number, u: number, v: number): void {
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
  const base = k * R * R;
  taps[t + TAP_I00] = (base + v0 * R + u0) * C;
  taps[t + TAP_I01] = (base + v0 * R + u1) * C;
  taps[t + TAP_I10] = (base + v1 * R + u0) * C;
  taps[t + TAP_I11] = (base + v1 * R + u1) * C;
  writeTapWeights(taps, t, gu - u0, gv - v0);
  taps[t + TAP_SCALE_U] = su;
  taps[t + TAP_SCALE_V] = sv;
}

/** A tap's bilinear weights from its fractional parts (fu, fv), and the fractions themselves. */
function writeTapWeights(taps: Float64Array, t: number, fu: number, fv: number): void {
  taps[t + TAP_W00] = (1 - fu) * (1 - fv);
  taps[t + TAP_W01] = fu * (1 - fv);
  taps[t + TAP_W10] = (1 - fu) * fv;
  taps[t + TAP_W11] = fu * fv;
  taps[t + TAP_FRAC_U] = fu;
  taps[t + TAP_FRAC_V] = fv;
}
