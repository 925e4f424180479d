/**
 * CPU twin of the VolSDF renderer (docs/triplane.md: Renderer; PyTorch: render_triplanes in
 * training/distill/renderer.py), forward and backward, one camera per call and one ray at a time; a ray's S samples
 * are decoded as one batch (triplane-batch-cpu.ts), its four normal probes as another.
 *
 * Two backward passes, with bit-identical gradients. {@link CpuVolsdfRenderer.backward} re-traces each ray (keeping
 * that ray's activations only), so that memory stays O(S) per ray rather than O(H W S) per image, at the cost of
 * one extra forward; it serves decoder gradients too. {@link CpuVolsdfRenderer.backwardFromTape} backpropagates,
 * into the planes only, through the activations that a render kept in a {@link VolsdfTape} (volsdf-tape-cpu.ts):
 * no second forward, about 35 kB per ray that hits the cube (default pack, S = 48).
 *
 * A renderer can own a band of the image's rows (option `rows`): it traces those rays only, and its pixels, jitter
 * and upstream gradients are the band's. Bands of one camera split a view's work between threads; their gradients
 * add up to the whole image's.
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
import { BatchGradients, CpuTriplaneBatchField } from './triplane-batch-cpu.js';
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
import { NORMAL_PROBES as PROBES, VolsdfRay, type VolsdfTape } from './volsdf-tape-cpu.js';

/**
 * Options of the CPU renderer: {@link VolsdfOptions} and the band of rows it renders, `[start, end)` with
 * 0 <= start < end <= height (default the whole image).
 */
export interface CpuVolsdfOptions extends VolsdfOptions {
  rows?: readonly [number, number];
}

/**
 * One rendered camera (or band of rows), PyTorch's layouts without the batch: pixels `[3, h, W]`, opacity and depth
 * `[h, W]`, h the rows rendered.
 */
export interface VolsdfImage {
  readonly pixels: FloatArray;
  readonly opacity: FloatArray;
  readonly depth: FloatArray;
}

/**
 * Renders a {@link CpuTriplaneField} from orbit cameras, and backpropagates image gradients into its planes and
 * (optionally) its decoder. Holds per-ray scratch only; the field's arrays are read on every call.
 */
export class CpuVolsdfRenderer {
  readonly options: ResolvedVolsdfOptions;
  /** The band of rows rendered, `[start, end)`. */
  readonly rows: readonly [number, number];
  private readonly _frame = new Float64Array(CAMERA_FRAME_LENGTH);
  private readonly _span = new Float64Array(2);
  private readonly _decoder: CpuTriplaneBatchField;
  /** The ray being traced or backpropagated. */
  private readonly _ray: VolsdfRay;
  /** Made by the first backward call. */
  private _gradients: BatchGradients | null = null;
  /** Upstream gradients of the samples' SDF `[S]` and albedo `[S, 3]`, and of the probes'. */
  private readonly _dSdf: Float64Array;
  private readonly _dAlbedo: Float64Array;
  private readonly _probeDSdf = new Float64Array(PROBES);
  private readonly _probeDAlbedo = new Float64Array(3 * PROBES);
  private readonly _probeDPoints = new Float64Array(3 * PROBES);

  /**
   * @throws {RangeError} naming the option that is out of range.
   */
  constructor(
    readonly field: CpuTriplaneField,
    options: CpuVolsdfOptions,
  ) {
    this.options = resolveVolsdfOptions(options);
    this.rows = resolveRows(options.rows, this.options.height);
    const s = this.options.samples;
    this._decoder = new CpuTriplaneBatchField(field, Math.max(s, PROBES));
    this._ray = new VolsdfRay(s, field.shape);
    this._dSdf = new Float64Array(s);
    this._dAlbedo = new Float64Array(3 * s);
  }

  /**
   * Renders one camera.
   * @param jitter `[h * W, S]` sample offsets in [0, 1) (training); null for the fixed 0.5 (inference, golden).
   * @param out written if given, else allocated.
   * @param tape if given, keeps this forward for one {@link backwardFromTape} (replacing what it held).
   * @throws {RangeError} if the camera is out of range or an array has the wrong length.
   */
  render(camera: OrbitCamera, jitter: FloatArray | null = null, out?: VolsdfImage, tape?: VolsdfTape): VolsdfImage {
    const { width: W, background } = this.options;
    const H = this._bandHeight;
    this._checkJitter(jitter);
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
    tape?._record(this, this._decoder.version, this._frame, W * H, this._countHits(), this._ray);
    const ray = this._ray;
    const plane = W * H;
    for (let row = this.rows[0], index = 0; row < this.rows[1]; row++) {
      for (let column = 0; column < W; column++, index++) {
        this._trace(index, row, column, jitter);
        tape?._keep(index, ray);
        const a = ray.opacity;
        for (let ch = 0; ch < 3; ch++) {
          image.pixels[ch * plane + index] = ray.colour[ch]! * ray.shade + (1 - a) * background[ch]!;
        }
        image.opacity[index] = a;
        image.depth[index] = ray.depth;
      }
    }
    return image;
  }

  /**
   * Accumulates the gradients of `sum(pixels * upstream)` for one camera into `targets` (planes and, if non-null,
   * decoder), tracing every ray again. Use the same camera and jitter as the {@link render} whose pixels `upstream`
   * refers to.
   * @param upstream `[3, h, W]`.
   * @throws {RangeError} if the camera is out of range or an array has the wrong length.
   */
  backward(
    camera: OrbitCamera,
    upstream: FloatArray,
    targets: FieldGradientTargets,
    jitter: FloatArray | null = null,
  ): void {
    this._checkJitter(jitter);
    this._checkBackward(upstream, targets);
    cameraFrame(camera, this._frame);
    this._decoder.load();
    const gradients = this._resetGradients(targets);
    const W = this.options.width;
    for (let row = this.rows[0], index = 0; row < this.rows[1]; row++) {
      for (let column = 0; column < W; column++, index++) {
        this._trace(index, row, column, jitter);
        // A ray that misses the cube has zero weights: its pixel is the background, which has no parameters.
        if (this._ray.hit) this._backwardRay(index, upstream, gradients);
      }
    }
    gradients.addTo(targets);
  }

  /**
   * {@link backward} into the planes only, through the forward that `tape` kept (its camera and jitter): the same
   * gradients bit for bit, without tracing the rays again. Consumes the tape.
   * @param tape filled by this renderer's {@link render}, with the field unchanged since.
   * @param upstream `[3, h, W]`, for that render's pixels.
   * @param targets `decoder` must be null (the tape keeps no decoder activations; {@link backward} has them).
   * @throws {RangeError} if an array has the wrong length or `targets.decoder` is not null.
   * @throws {Error} if the tape is empty (never rendered into, or already used by a backward), holds another
   *   renderer's forward, or the field's planes or decoder changed since its render.
   */
  backwardFromTape(tape: VolsdfTape, upstream: FloatArray, targets: FieldGradientTargets): void {
    this._checkBackward(upstream, targets);
    if (targets.decoder !== null) {
      throw new RangeError('targets.decoder must be null with a tape (it keeps no decoder activations); ' +
        'backward() gives decoder gradients');
    }
    // The probes' point gradients read the planes' snapshot, which must be the render's: the version says so.
    this._decoder.load();
    tape._replay(this, this._decoder.version, this._frame);
    const gradients = this._resetGradients(targets);
    const rays = this.options.width * this._bandHeight;
    for (let index = 0; index < rays; index++) {
      if (tape._restore(index, this._ray)) this._backwardRay(index, upstream, gradients);
    }
    gradients.addTo(targets);
  }

  /** The rows rendered. */
  private get _bandHeight(): number {
    return this.rows[1] - this.rows[0];
  }

  private _checkJitter(jitter: FloatArray | null): void {
    if (this._bandHeight === this.options.height) {
      checkJitter(jitter, this.options);
      return;
    }
    const expected = this.options.width * this._bandHeight * this.options.samples;
    if (jitter && jitter.length !== expected) {
      throw new RangeError(`jitter must hold width * rows * samples = ${expected} floats, got ${jitter.length}`);
    }
  }

  /** @throws {RangeError} if `upstream` or a target has the wrong length. */
  private _checkBackward(upstream: FloatArray, targets: FieldGradientTargets): void {
    const W = this.options.width;
    const H = this._bandHeight;
    const field = this.field;
    if (upstream.length !== 3 * W * H) {
      throw new RangeError(`upstream must hold 3 * ${H} * ${W} = ${3 * W * H} floats, got ${upstream.length}`);
    }
    if (targets.planes && targets.planes.length !== field.planes.length) {
      throw new RangeError(`targets.planes must hold ${field.planes.length} floats, got ${targets.planes.length}`);
    }
    if (targets.decoder && targets.decoder.length !== field.decoder.length) {
      throw new RangeError(`targets.decoder must hold ${field.decoder.length} floats, got ${targets.decoder.length}`);
    }
  }

  private _resetGradients(targets: FieldGradientTargets): BatchGradients {
    const gradients = (this._gradients ??= new BatchGradients(this.field.shape));
    gradients.reset(targets);
    return gradients;
  }

  /** Steps 6-2 of docs/triplane.md backwards for ray `index`, a hit, from the state its trace left in `_ray`. */
  private _backwardRay(index: number, upstream: FloatArray, gradients: BatchGradients): void {
    const { width: W, samples: S, beta, background } = this.options;
    const H = this._bandHeight;
    const frame = this._frame;
    const ray = this._ray;
    const albedo = ray.samples.albedo;
    const dSdf = this._dSdf;
    const dAlbedo = this._dAlbedo;
    const dir = ray.direction;
    const plane = W * H;
    const g0 = upstream[index]!;
    const g1 = upstream[plane + index]!;
    const g2 = upstream[2 * plane + index]!;
    const dx = dir[0]!;
    const dy = dir[1]!;
    const dz = dir[2]!;

    // 6. pixel = C shade + (1 - A) background.
    const dC0 = g0 * ray.shade;
    const dC1 = g1 * ray.shade;
    const dC2 = g2 * ray.shade;
    const dShade = g0 * ray.colour[0]! + g1 * ray.colour[1]! + g2 * ray.colour[2]!;
    let dA = -(g0 * background[0] + g1 * background[1] + g2 * background[2]);

    // 5. shade = AMBIENT + DIFFUSE max(0, n . l), n = g / max(|g|, floor), g = sum_k k_k sdf(s + eps k_k).
    let dD = 0;
    if (ray.nDotL >= 0 && dShade !== 0) {
      const dNDotL = DIFFUSE * dShade;
      const lx = frame[FRAME_LIGHT]! * dNDotL;
      const ly = frame[FRAME_LIGHT + 1]! * dNDotL;
      const lz = frame[FRAME_LIGHT + 2]! * dNDotL;
      let dgx: number;
      let dgy: number;
      let dgz: number;
      const gn = ray.gNorm;
      if (gn >= NORMAL_FLOOR) {
        // d(g / |g|) = (dn - n (n . dn)) / |g|.
        const nx = ray.g[0]! / gn;
        const ny = ray.g[1]! / gn;
        const nz = ray.g[2]! / gn;
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
      this._decoder.backward(ray.probes, PROBES, this._probeDSdf, this._probeDAlbedo, gradients, dProbes);
      for (let k = 0; k < PROBES; k++) {
        dD += dProbes[3 * k]! * dx + dProbes[3 * k + 1]! * dy + dProbes[3 * k + 2]! * dz;
      }
    }

    // 4. D = sum w t / max(A, floor): the floor passes no gradient below it.
    const aFloored = Math.max(ray.opacity, OPACITY_FLOOR);
    const dWeightedT = dD / aFloored;
    if (ray.opacity >= OPACITY_FLOOR) dA -= (dD * ray.depth) / aFloored;

    // 3. w_i = T_i alpha_i with T_i = prod_{j<i} (1 - alpha_j). Going backwards, u carries
    //    sum_{j>i} dw_j alpha_j prod_{i<m<j} (1 - alpha_m), so d alpha_i = T_i (dw_i - u) with no division.
    let u = 0;
    for (let i = S - 1; i >= 0; i--) {
      const a0 = albedo[3 * i]!;
      const a1 = albedo[3 * i + 1]!;
      const a2 = albedo[3 * i + 2]!;
      const w = ray.weight[i]!;
      const alpha = ray.alpha[i]!;
      const t = ray.t[i]!;
      const dw = dA + dC0 * a0 + dC1 * a1 + dC2 * a2 + dWeightedT * t;
      const dAlpha = ray.trans[i]! * (dw - u);
      u = dw * alpha + (1 - alpha) * u;
      // 2. alpha = 1 - exp(-sigma delta); sigma = Psi(-sdf) / beta.
      const dSigma = dAlpha * (1 - alpha) * ray.delta;
      dSdf[i] = dSigma * laplaceDensityDerivative(ray.samples.sdf[i]!, beta);
      dAlbedo[3 * i] = w * dC0;
      dAlbedo[3 * i + 1] = w * dC1;
      dAlbedo[3 * i + 2] = w * dC2;
    }
    this._decoder.backward(ray.samples, S, dSdf, dAlbedo, gradients, null);
  }

  /** The rays of the current frame that meet the cube. */
  private _countHits(): number {
    const W = this.options.width;
    let hits = 0;
    for (let row = this.rows[0]; row < this.rows[1]; row++) {
      for (let column = 0; column < W; column++) if (this._enter(row, column)) hits++;
    }
    return hits;
  }

  /** Step 1 of docs/triplane.md: the ray's direction into `_ray` and its span inside the cube into `_span`. */
  private _enter(row: number, column: number): boolean {
    const { width: W, height: H } = this.options;
    const frame = this._frame;
    const dir = this._ray.direction;
    rayDirection(frame, W, H, column, row, dir);
    cubeSpan(frame[FRAME_EYE]!, frame[FRAME_EYE + 1]!, frame[FRAME_EYE + 2]!, dir[0]!, dir[1]!, dir[2]!, this._span);
    return this._span[1]! > this._span[0]!;
  }

  /** Steps 1-5 of docs/triplane.md for ray `index`, leaving everything the backward pass needs in `_ray`. */
  private _trace(index: number, row: number, column: number, jitter: FloatArray | null): void {
    const { samples: S, beta } = this.options;
    const frame = this._frame;
    const ray = this._ray;
    const dir = ray.direction;
    const ox = frame[FRAME_EYE]!;
    const oy = frame[FRAME_EYE + 1]!;
    const oz = frame[FRAME_EYE + 2]!;

    // 1. The span inside the cube; a ray that misses gets zero weights (and is not decoded at all).
    ray.hit = this._enter(row, column);
    const dx = dir[0]!;
    const dy = dir[1]!;
    const dz = dir[2]!;
    const t0 = this._span[0]!;
    const t1 = Math.max(this._span[1]!, t0 + MIN_SPAN);
    ray.colour.fill(0);
    ray.opacity = 0;
    ray.depth = 0;
    ray.shade = AMBIENT;
    if (!ray.hit) return;
    const delta = (t1 - t0) / S;
    ray.delta = delta;

    // 2-4. Densities, alphas, transmittance, weights; opacity, albedo and depth.
    const samples = ray.samples;
    const points = samples.points;
    for (let i = 0; i < S; i++) {
      const t = t0 + (i + (jitter ? jitter[index * S + i]! : 0.5)) * delta;
      ray.t[i] = t;
      points[3 * i] = ox + t * dx;
      points[3 * i + 1] = oy + t * dy;
      points[3 * i + 2] = oz + t * dz;
    }
    this._decoder.forward(samples, S);
    const { sdf: sampleSdf, albedo } = samples;
    let trans = 1;
    let opacity = 0;
    let c0 = 0;
    let c1 = 0;
    let c2 = 0;
    let weightedT = 0;
    for (let i = 0; i < S; i++) {
      const t = ray.t[i]!;
      const alpha = 1 - Math.exp(-laplaceDensity(sampleSdf[i]!, beta) * delta);
      const w = trans * alpha;
      ray.alpha[i] = alpha;
      ray.trans[i] = trans;
      ray.weight[i] = w;
      opacity += w;
      c0 += w * albedo[3 * i]!;
      c1 += w * albedo[3 * i + 1]!;
      c2 += w * albedo[3 * i + 2]!;
      weightedT += w * t;
      trans *= 1 - alpha;
    }
    ray.opacity = opacity;
    ray.colour[0] = c0;
    ray.colour[1] = c1;
    ray.colour[2] = c2;
    const depth = weightedT / Math.max(opacity, OPACITY_FLOOR);
    ray.depth = depth;

    // 5. The normal at the expected surface point from four tetrahedron probes, and the key light.
    const sx = ox + depth * dx;
    const sy = oy + depth * dy;
    const sz = oz + depth * dz;
    const probes = ray.probes;
    for (let k = 0; k < PROBES; k++) {
      probes.points[3 * k] = sx + NORMAL_EPSILON * TETRAHEDRON[3 * k]!;
      probes.points[3 * k + 1] = sy + NORMAL_EPSILON * TETRAHEDRON[3 * k + 1]!;
      probes.points[3 * k + 2] = sz + NORMAL_EPSILON * TETRAHEDRON[3 * k + 2]!;
    }
    this._decoder.forward(probes, PROBES);
    let gx = 0;
    let gy = 0;
    let gz = 0;
    for (let k = 0; k < PROBES; k++) {
      const kx = TETRAHEDRON[3 * k]!;
      const ky = TETRAHEDRON[3 * k + 1]!;
      const kz = TETRAHEDRON[3 * k + 2]!;
      const sdf = probes.sdf[k]!;
      gx += kx * sdf;
      gy += ky * sdf;
      gz += kz * sdf;
    }
    ray.g[0] = gx;
    ray.g[1] = gy;
    ray.g[2] = gz;
    const gn = Math.sqrt(gx * gx + gy * gy + gz * gz);
    ray.gNorm = gn;
    const gm = Math.max(gn, NORMAL_FLOOR);
    const nDotL = (gx * frame[FRAME_LIGHT]! + gy * frame[FRAME_LIGHT + 1]! + gz * frame[FRAME_LIGHT + 2]!) / gm;
    ray.nDotL = nDotL;
    ray.shade = AMBIENT + DIFFUSE * Math.max(0, nDotL);
  }
}

/** `[start, end)`, checked, for an image of `height` rows. */
function resolveRows(rows: readonly [number, number] | undefined, height: number): readonly [number, number] {
  if (rows === undefined) return [0, height];
  const [start, end] = rows;
  if (rows.length !== 2 || !Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end <= start ||
    end > height) {
    throw new RangeError(`rows must be [start, end) with 0 <= start < end <= height ${height}, got ` +
      `${JSON.stringify(rows)}`);
  }
  return [start, end];
}
