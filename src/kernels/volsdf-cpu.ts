/**
 * CPU twin of the VolSDF renderer (docs/triplane.md: Renderer; PyTorch: render_triplanes in
 * training/distill/renderer.py), forward and backward, one camera per call and one ray at a time.
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
  /** Activation slots: S samples, then the 4 normal probes. */
  private readonly _act: Float64Array;
  private readonly _t: Float64Array;
  private readonly _alpha: Float64Array;
  private readonly _trans: Float64Array;
  private readonly _weight: Float64Array;
  private readonly _dProbe = new Float64Array(3);
  /** Per-ray results of {@link _trace}. */
  private _hit = false;
  private _delta = 0;
  private _opacity = 0;
  private readonly _colour = new Float64Array(3);
  private _depth = 0;
  private readonly _surface = new Float64Array(3);
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
    this._act = new Float64Array((s + PROBES) * field.slotSize);
    this._t = new Float64Array(s);
    this._alpha = new Float64Array(s);
    this._trans = new Float64Array(s);
    this._weight = new Float64Array(s);
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
    const frame = this._frame;
    const act = this._act;
    const slot = field.slotSize;
    const sdfAt = field.sdfOffset;
    const dir = this._dir;
    const ds = this._dProbe;
    const plane = W * H;
    const ox = frame[FRAME_EYE]!;
    const oy = frame[FRAME_EYE + 1]!;
    const oz = frame[FRAME_EYE + 2]!;
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
          ds.fill(0);
          for (let k = 0; k < PROBES; k++) {
            const kx = TETRAHEDRON[3 * k]!;
            const ky = TETRAHEDRON[3 * k + 1]!;
            const kz = TETRAHEDRON[3 * k + 2]!;
            const at = (S + k) * slot;
            field.backward(this._surface[0]! + NORMAL_EPSILON * kx, this._surface[1]! + NORMAL_EPSILON * ky,
              this._surface[2]! + NORMAL_EPSILON * kz, act, at, dgx * kx + dgy * ky + dgz * kz, 0, 0, 0, targets, ds);
          }
          dD = ds[0]! * dx + ds[1]! * dy + ds[2]! * dz;
        }

        // 4. D = sum w t / max(A, floor): the floor passes no gradient below it.
        const aFloored = Math.max(this._opacity, OPACITY_FLOOR);
        const dWeightedT = dD / aFloored;
        if (this._opacity >= OPACITY_FLOOR) dA -= (dD * this._depth) / aFloored;

        // 3. w_i = T_i alpha_i with T_i = prod_{j<i} (1 - alpha_j). Going backwards, u carries
        //    sum_{j>i} dw_j alpha_j prod_{i<m<j} (1 - alpha_m), so d alpha_i = T_i (dw_i - u) with no division.
        let u = 0;
        for (let i = S - 1; i >= 0; i--) {
          const at = i * slot;
          const a0 = act[at + sdfAt + 1]!;
          const a1 = act[at + sdfAt + 2]!;
          const a2 = act[at + sdfAt + 3]!;
          const w = this._weight[i]!;
          const alpha = this._alpha[i]!;
          const t = this._t[i]!;
          const dw = dA + dC0 * a0 + dC1 * a1 + dC2 * a2 + dWeightedT * t;
          const dAlpha = this._trans[i]! * (dw - u);
          u = dw * alpha + (1 - alpha) * u;
          // 2. alpha = 1 - exp(-sigma delta); sigma = Psi(-sdf) / beta.
          const dSigma = dAlpha * (1 - alpha) * this._delta;
          const sdf = act[at + sdfAt]!;
          const dSdf = dSigma * laplaceDensityDerivative(sdf, beta);
          field.backward(ox + t * dx, oy + t * dy, oz + t * dz, act, at, dSdf, w * dC0, w * dC1, w * dC2, targets,
            null);
        }
      }
    }
  }

  /** Steps 1-5 of docs/triplane.md for one ray, leaving everything the backward pass needs in the scratch. */
  private _trace(ray: number, row: number, column: number, jitter: FloatArray | null): void {
    const { width: W, height: H, samples: S, beta } = this.options;
    const field = this.field;
    const frame = this._frame;
    const dir = this._dir;
    const act = this._act;
    const slot = field.slotSize;
    const sdfAt = field.sdfOffset;
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
    let trans = 1;
    let opacity = 0;
    let c0 = 0;
    let c1 = 0;
    let c2 = 0;
    let weightedT = 0;
    for (let i = 0; i < S; i++) {
      const t = t0 + (i + (jitter ? jitter[ray * S + i]! : 0.5)) * delta;
      const at = i * slot;
      const sdf = field.forward(ox + t * dx, oy + t * dy, oz + t * dz, act, at);
      const alpha = 1 - Math.exp(-laplaceDensity(sdf, beta) * delta);
      const w = trans * alpha;
      this._t[i] = t;
      this._alpha[i] = alpha;
      this._trans[i] = trans;
      this._weight[i] = w;
      opacity += w;
      c0 += w * act[at + sdfAt + 1]!;
      c1 += w * act[at + sdfAt + 2]!;
      c2 += w * act[at + sdfAt + 3]!;
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
    this._surface[0] = sx;
    this._surface[1] = sy;
    this._surface[2] = sz;
    let gx = 0;
    let gy = 0;
    let gz = 0;
    for (let k = 0; k < PROBES; k++) {
      const kx = TETRAHEDRON[3 * k]!;
      const ky = TETRAHEDRON[3 * k + 1]!;
      const kz = TETRAHEDRON[3 * k + 2]!;
      const sdf = field.forward(sx + NORMAL_EPSILON * kx, sy + NORMAL_EPSILON * ky, sz + NORMAL_EPSILON * kz, act,
        (S + k) * slot);
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
