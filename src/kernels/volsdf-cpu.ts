/**
 * CPU twin of the VolSDF renderer (docs/triplane.md: Renderer; PyTorch: render_triplanes in
 * training/distill/renderer.py), forward and backward, one camera per call and one ray at a time; a ray's S samples
 * are decoded as one batch (triplane-batch-cpu.ts), its four normal probes as another.
 *
 * The backward pass re-traces each ray (keeping that ray's activations only), so that memory stays O(S) per ray
 * rather than O(H W S) per image; its cost is one extra forward.
 */
import {
  cameraFrame,
  CAMERA_FRAME_LENGTH,
  cubeSpan,
  FRAME_EYE,
  FRAME_LIGHT,
  rayDirection,
  type OrbitCamera,
} from './camera.js';
import { BatchGradients, CpuTriplaneBatchField, FieldBatch } from './triplane-batch-cpu.js';
import type { CpuTriplaneField, FieldGradientTargets } from './triplane-cpu.js';
import type { FloatArray } from './triplane-layout.js';
import {
  AMBIENT,
  checkJitter,
  DIFFUSE,
  laplaceDensity,
  laplaceDensityDerivative,
  MIN_SPAN,
  NORMAL_EPSILON,
  NORMAL_FLOOR,
  OPACITY_FLOOR,
  resolveVolsdfOptions,
  TETRAHEDRON,
  type ResolvedVolsdfOptions,
  type VolsdfOptions,
} from './volsdf-options.js';

/** One rendered camera, PyTorch's layouts without the batch: pixels `[3, H, W]`, opacity and depth `[H, W]`. */
export interface VolsdfImage {
  readonly pixels: FloatArray;
  readonly opacity: FloatArray;
  readonly depth: FloatArray;
}

const PROBES = 4;

/**
 * Renders a {@link CpuTriplaneField} from orbit cameras, and backpropagates image gradients into its planes and
 * (optionally) its decoder. Holds per-ray scratch only; the field's arrays are read on every call.
 */
export class CpuVolsdfRenderer {
  readonly options: ResolvedVolsdfOptions;
  private readonly _frame = new Float64Array(CAMERA_FRAME_LENGTH);
  private readonly _dir = new Float64Array(3);
  private readonly _span = new Float64Array(2);
  private readonly _decoder: CpuTriplaneBatchField;
  /** A ray's samples and its normal probes, with their activations. */
  private readonly _samples: FieldBatch;
  private readonly _probes: FieldBatch;
  /** Made by the first backward call. */
  private _gradients: BatchGradients | null = null;
  private readonly _t: Float64Array;
  private readonly _alpha: Float64Array;
  private readonly _trans: Float64Array;
  private readonly _weight: Float64Array;
  /** Upstream gradients of the samples' SDF `[S]` and albedo `[S, 3]`, and of the probes'. */
  private readonly _dSdf: Float64Array;
  private readonly _dAlbedo: Float64Array;
  private readonly _probeDSdf = new Float64Array(PROBES);
  private readonly _probeDAlbedo = new Float64Array(3 * PROBES);
  private readonly _probeDPoints = new Float64Array(3 * PROBES);
  /** Per-ray results of {@link _trace}. */
  private _hit = false;
  private _delta = 0;
  private _opacity = 0;
  private readonly _colour = new Float64Array(3);
  private _depth = 0;
  private readonly _g = new Float64Array(3);
  private _gNorm = 0;
  private _nDotL = 0;
  private _shade = 0;

  /**
   * @throws {RangeError} naming the option that is out of range.
   */
  constructor(
    readonly field: CpuTriplaneField,
    options: VolsdfOptions,
  ) {
    this.options = resolveVolsdfOptions(options);
    const s = this.options.samples;
    this._decoder = new CpuTriplaneBatchField(field, Math.max(s, PROBES));
    this._samples = new FieldBatch(s, field.shape);
    this._probes = new FieldBatch(PROBES, field.shape);
    this._t = new Float64Array(s);
    this._alpha = new Float64Array(s);
    this._trans = new Float64Array(s);
    this._weight = new Float64Array(s);
    this._dSdf = new Float64Array(s);
    this._dAlbedo = new Float64Array(3 * s);
  }

  /**
   * Renders one camera.
   * @param jitter `[H * W, S]` sample offsets in [0, 1) (training); null for the fixed 0.5 (inference, golden).
   * @param out written if given, else allocated.
   * @throws {RangeError} if the camera is out of range or an array has the wrong length.
   */
  render(camera: OrbitCamera, jitter: FloatArray | null = null, out?: VolsdfImage): VolsdfImage {
    const { width: W, height: H, background } = this.options;
    checkJitter(jitter, this.options);
    const image = out ?? {
      pixels: new Float32Array(3 * W * H),
      opacity: new Float32Array(W * H),
      depth: new Float32Array(W * H),
    };
    if (image.pixels.length !== 3 * W * H || image.opacity.length !== W * H || image.depth.length !== W * H) {
      throw new RangeError(`out must hold pixels [3, ${H}, ${W}], opacity and depth [${H}, ${W}]`);
    }
    cameraFrame(camera, this._frame);
    this._decoder.load();
    const plane = W * H;
    for (let row = 0, ray = 0; row < H; row++) {
      for (let column = 0; column < W; column++, ray++) {
        this._trace(ray, row, column, jitter);
        const a = this._opacity;
        for (let ch = 0; ch < 3; ch++) {
          image.pixels[ch * plane + ray] = this._colour[ch]! * this._shade + (1 - a) * background[ch]!;
        }
        image.opacity[ray] = a;
        image.depth[ray] = this._depth;
      }
    }
    return image;
  }

  /**
   * Accumulates the gradients of `sum(pixels * upstream)` for one camera into `targets` (planes and, if non-null,
   * decoder). Use the same camera and jitter as the {@link render} whose pixels `upstream` refers to.
   * @param upstream `[3, H, W]`.
   * @throws {RangeError} if the camera is out of range or an array has the wrong length.
   */
  backward(
    camera: OrbitCamera,
    upstream: FloatArray,
    targets: FieldGradientTargets,
    jitter: FloatArray | null = null,
  ): void {
    const { width: W, height: H, samples: S, beta, background } = this.options;
    const field = this.field;
    checkJitter(jitter, this.options);
    if (upstream.length !== 3 * W * H) {
      throw new RangeError(`upstream must hold 3 * ${H} * ${W} = ${3 * W * H} floats, got ${upstream.length}`);
    }
    if (targets.planes && targets.planes.length !== field.planes.length) {
      throw new RangeError(`targets.planes must hold ${field.planes.length} floats, got ${targets.planes.length}`);
    }
    if (targets.decoder && targets.decoder.length !== field.decoder.length) {
      throw new RangeError(`targets.decoder must hold ${field.decoder.length} floats, got ${targets.decoder.length}`);
    }
    cameraFrame(camera, this._frame);
    this._decoder.load();
    const gradients = (this._gradients ??= new BatchGradients(field.shape));
    gradients.reset(targets);
    const frame = this._frame;
    const albedo = this._samples.albedo;
    const dSdf = this._dSdf;
    const dAlbedo = this._dAlbedo;
    const dir = this._dir;
    const plane = W * H;
    for (let row = 0, ray = 0; row < H; row++) {
      for (let column = 0; column < W; column++, ray++) {
        this._trace(ray, row, column, jitter);
        // A ray that misses the cube has zero weights: its pixel is the background, which has no parameters.
        if (!this._hit) continue;
        const g0 = upstream[ray]!;
        const g1 = upstream[plane + ray]!;
        const g2 = upstream[2 * plane + ray]!;
        const dx = dir[0]!;
        const dy = dir[1]!;
        const dz = dir[2]!;

        // 6. pixel = C shade + (1 - A) background.
        const dC0 = g0 * this._shade;
        const dC1 = g1 * this._shade;
        const dC2 = g2 * this._shade;
        const dShade = g0 * this._colour[0]! + g1 * this._colour[1]! + g2 * this._colour[2]!;
        let dA = -(g0 * background[0] + g1 * background[1] + g2 * background[2]);

        // 5. shade = AMBIENT + DIFFUSE max(0, n . l), n = g / max(|g|, floor), g = sum_k k_k sdf(s + eps k_k).
        let dD = 0;
        if (this._nDotL >= 0 && dShade !== 0) {
          const dNDotL = DIFFUSE * dShade;
          const lx = frame[FRAME_LIGHT]! * dNDotL;
          const ly = frame[FRAME_LIGHT + 1]! * dNDotL;
          const lz = frame[FRAME_LIGHT + 2]! * dNDotL;
          let dgx: number;
          let dgy: number;
          let dgz: number;
          const gn = this._gNorm;
          if (gn >= NORMAL_FLOOR) {
            // d(g / |g|) = (dn - n (n . dn)) / |g|.
            const nx = this._g[0]! / gn;
            const ny = this._g[1]! / gn;
            const nz = this._g[2]! / gn;
            const nd = nx * lx + ny * ly + nz * lz;
            dgx = (lx - nx * nd) / gn;
            dgy = (ly - ny * nd) / gn;
            dgz = (lz - nz * nd) / gn;
          } else {
            dgx = lx / NORMAL_FLOOR;
            dgy = ly / NORMAL_FLOOR;
            dgz = lz / NORMAL_FLOOR;
          }
          // The probes sit at o + D d + eps k: their SDFs depend on the planes and, through D, on every sample.
          for (let k = 0; k < PROBES; k++) {
            const kx = TETRAHEDRON[3 * k]!;
            const ky = TETRAHEDRON[3 * k + 1]!;
            const kz = TETRAHEDRON[3 * k + 2]!;
            this._probeDSdf[k] = dgx * kx + dgy * ky + dgz * kz;
          }
          const dProbes = this._probeDPoints;
          this._decoder.backward(this._probes, PROBES, this._probeDSdf, this._probeDAlbedo, gradients, dProbes);
          for (let k = 0; k < PROBES; k++) {
            dD += dProbes[3 * k]! * dx + dProbes[3 * k + 1]! * dy + dProbes[3 * k + 2]! * dz;
          }
        }

        // 4. D = sum w t / max(A, floor): the floor passes no gradient below it.
        const aFloored = Math.max(this._opacity, OPACITY_FLOOR);
        const dWeightedT = dD / aFloored;
        if (this._opacity >= OPACITY_FLOOR) dA -= (dD * this._depth) / aFloored;

        // 3. w_i = T_i alpha_i with T_i = prod_{j<i} (1 - alpha_j). Going backwards, u carries
        //    sum_{j>i} dw_j alpha_j prod_{i<m<j} (1 - alpha_m), so d alpha_i = T_i (dw_i - u) with no division.
        let u = 0;
        for (let i = S - 1; i >= 0; i--) {
          const a0 = albedo[3 * i]!;
          const a1 = albedo[3 * i + 1]!;
          const a2 = albedo[3 * i + 2]!;
          const w = this._weight[i]!;
          const alpha = this._alpha[i]!;
          const t = this._t[i]!;
          const dw = dA + dC0 * a0 + dC1 * a1 + dC2 * a2 + dWeightedT * t;
          const dAlpha = this._trans[i]! * (dw - u);
          u = dw * alpha + (1 - alpha) * u;
          // 2. alpha = 1 - exp(-sigma delta); sigma = Psi(-sdf) / beta.
          const dSigma = dAlpha * (1 - alpha) * this._delta;
          dSdf[i] = dSigma * laplaceDensityDerivative(this._samples.sdf[i]!, beta);
          dAlbedo[3 * i] = w * dC0;
          dAlbedo[3 * i + 1] = w * dC1;
          dAlbedo[3 * i + 2] = w * dC2;
        }
        this._decoder.backward(this._samples, S, dSdf, dAlbedo, gradients, null);
      }
    }
    gradients.addTo(targets);
  }

  /** Steps 1-5 of docs/triplane.md for one ray, leaving everything the backward pass needs in the scratch. */
  private _trace(ray: number, row: number, column: number, jitter: FloatArray | null): void {
    const { width: W, height: H, samples: S, beta } = this.options;
    const frame = this._frame;
    const dir = this._dir;
    const ox = frame[FRAME_EYE]!;
    const oy = frame[FRAME_EYE + 1]!;
    const oz = frame[FRAME_EYE + 2]!;
    rayDirection(frame, W, H, column, row, dir);
    const dx = dir[0]!;
    const dy = dir[1]!;
    const dz = dir[2]!;

    // 1. The span inside the cube; a ray that misses gets zero weights (and is not decoded at all).
    cubeSpan(ox, oy, oz, dx, dy, dz, this._span);
    const t0 = this._span[0]!;
    const t1 = Math.max(this._span[1]!, t0 + MIN_SPAN);
    this._hit = this._span[1]! > t0;
    this._colour.fill(0);
    this._opacity = 0;
    this._depth = 0;
    this._shade = AMBIENT;
    if (!this._hit) return;
    const delta = (t1 - t0) / S;
    this._delta = delta;

    // 2-4. Densities, alphas, transmittance, weights; opacity, albedo and depth.
    const points = this._samples.points;
    for (let i = 0; i < S; i++) {
      const t = t0 + (i + (jitter ? jitter[ray * S + i]! : 0.5)) * delta;
      this._t[i] = t;
      points[3 * i] = ox + t * dx;
      points[3 * i + 1] = oy + t * dy;
      points[3 * i + 2] = oz + t * dz;
    }
    this._decoder.forward(this._samples, S);
    const { sdf: sampleSdf, albedo } = this._samples;
    let trans = 1;
    let opacity = 0;
    let c0 = 0;
    let c1 = 0;
    let c2 = 0;
    let weightedT = 0;
    for (let i = 0; i < S; i++) {
      const t = this._t[i]!;
      const alpha = 1 - Math.exp(-laplaceDensity(sampleSdf[i]!, beta) * delta);
      const w = trans * alpha;
      this._alpha[i] = alpha;
      this._trans[i] = trans;
      this._weight[i] = w;
      opacity += w;
      c0 += w * albedo[3 * i]!;
      c1 += w * albedo[3 * i + 1]!;
      c2 += w * albedo[3 * i + 2]!;
      weightedT += w * t;
      trans *= 1 - alpha;
    }
    this._opacity = opacity;
    this._colour[0] = c0;
    this._colour[1] = c1;
    this._colour[2] = c2;
    const depth = weightedT / Math.max(opacity, OPACITY_FLOOR);
    this._depth = depth;

    // 5. The normal at the expected surface point from four tetrahedron probes, and the key light.
    const sx = ox + depth * dx;
    const sy = oy + depth * dy;
    const sz = oz + depth * dz;
    const probes = this._probes.points;
    for (let k = 0; k < PROBES; k++) {
      probes[3 * k] = sx + NORMAL_EPSILON * TETRAHEDRON[3 * k]!;
      probes[3 * k + 1] = sy + NORMAL_EPSILON * TETRAHEDRON[3 * k + 1]!;
      probes[3 * k + 2] = sz + NORMAL_EPSILON * TETRAHEDRON[3 * k + 2]!;
    }
    this._decoder.forward(this._probes, PROBES);
    let gx = 0;
    let gy = 0;
    let gz = 0;
    for (let k = 0; k < PROBES; k++) {
      const kx = TETRAHEDRON[3 * k]!;
      const ky = TETRAHEDRON[3 * k + 1]!;
      const kz = TETRAHEDRON[3 * k + 2]!;
      const sdf = this._probes.sdf[k]!;
      gx += kx * sdf;
      gy += ky * sdf;
      gz += kz * sdf;
    }
    this._g[0] = gx;
    this._g[1] = gy;
    this._g[2] = gz;
    const gn = Math.sqrt(gx * gx + gy * gy + gz * gz);
    this._gNorm = gn;
    const gm = Math.max(gn, NORMAL_FLOOR);
    const nDotL = (gx * frame[FRAME_LIGHT]! + gy * frame[FRAME_LIGHT + 1]! + gz * frame[FRAME_LIGHT + 2]!) / gm;
    this._nDotL = nDotL;
    this._shade = AMBIENT + DIFFUSE * Math.max(0, nDotL);
  }
}
