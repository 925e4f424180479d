/**
 * A forward pass of the CPU VolSDF renderer (volsdf-cpu.ts) kept for its backward pass: `render(camera, jitter,
 * out, tape)` fills a {@link VolsdfTape}, and `backwardFromTape(tape, ...)` backpropagates through it instead of
 * tracing every ray again, which is most of a re-tracing backward's cost. The gradients are the re-tracing
 * backward's bit for bit: the same float64 values go through the same arithmetic in the same order.
 *
 * A tape keeps what a planes-only backward reads (the decoder is frozen in refinement), for the rays that hit the
 * cube only: per ray its compositing curves and scalars (docs/triplane.md: Renderer, steps 2-5), per sample and
 * probe the batch field's taps, silu slopes, SDF and albedo (triplane-batch-cpu.ts: FieldBatchTape). With the
 * default pack (H = 32) that is about 35 kB per ray at S = 48, 36 MB for a 32x32 view that the cube fills.
 *
 * It serves one backward: the camera and jitter travel with it, the backward consumes it, and one whose renderer
 * differs or whose field changed since the render throws instead of using stale activations.
 */
import { CAMERA_FRAME_LENGTH } from './camera.js';
import { FieldBatch, FieldBatchTape } from './triplane-batch-cpu.js';
import type { TriplaneShape } from './triplane-layout.js';
import { AMBIENT, TETRAHEDRON } from './volsdf-options.js';

/** The normal's tetrahedron probes per ray. */
export const NORMAL_PROBES = TETRAHEDRON.length / 3;

/**
 * One ray's forward state in the renderer: what its trace leaves and its backward reads.
 * @internal
 */
export class VolsdfRay {
  /** Whether the ray meets the cube; if not, the rest is unused (its pixel is the background). */
  hit = false;
  delta = 0;
  opacity = 0;
  depth = 0;
  /** |g|, n . l and AMBIENT + DIFFUSE max(0, n . l). */
  gNorm = 0;
  nDotL = 0;
  shade = AMBIENT;
  readonly direction = new Float64Array(3);
  /** sum_i w_i albedo_i. */
  readonly colour = new Float64Array(3);
  /** g = sum_k k_k sdf(s + eps k_k), the unnormalised normal. */
  readonly g = new Float64Array(3);
  /** Per sample `[S]`: t_i, alpha_i, T_i and w_i. */
  readonly t: Float64Array;
  readonly alpha: Float64Array;
  readonly trans: Float64Array;
  readonly weight: Float64Array;
  /** The S samples and the normal probes, with their activations. */
  readonly samples: FieldBatch;
  readonly probes: FieldBatch;

  constructor(
    samples: number,
    readonly shape: TriplaneShape,
  ) {
    this.t = new Float64Array(samples);
    this.alpha = new Float64Array(samples);
    this.trans = new Float64Array(samples);
    this.weight = new Float64Array(samples);
    this.samples = new FieldBatch(samples, shape);
    this.probes = new FieldBatch(NORMAL_PROBES, shape);
  }
}

/** A kept ray's scalars: delta, opacity, depth, gNorm, nDotL, shade, then direction, colour and g. */
const RAY_SCALARS = 15;
/** A kept ray's curves: t, alpha, T and w, S values each. */
const RAY_CURVES = 4;

/**
 * One camera's forward, kept by `CpuVolsdfRenderer.render(camera, jitter, out, tape)` for the
 * `backwardFromTape(tape, ...)` that follows. Empty when made; sized (and grown) by the renders into it, so a caller
 * that renders a view per step can reuse one tape per view. See the file comment for what it keeps.
 */
export class VolsdfTape {
  /** Room for this many hit rays of S samples and hidden width H. */
  private _capacity = 0;
  private _sampleCount = 0;
  private _hidden = 0;
  private _samples: FieldBatchTape | null = null;
  private _probes: FieldBatchTape | null = null;
  /** `[hits, 4, S]` and `[hits, RAY_SCALARS]`. */
  private _curves = new Float64Array(0);
  private _scalars = new Float64Array(0);
  /** Each ray's slot among the kept ones, -1 for a ray that misses the cube. */
  private _slots = new Int32Array(0);
  private _next = 0;
  /** The render's camera frame (the backward reads its light). */
  private readonly _frame = new Float64Array(CAMERA_FRAME_LENGTH);
  /** The renderer whose forward it holds and its field's version then; null when empty or consumed. */
  private _owner: object | null = null;
  private _version = 0;

  /** Whether it holds a forward that no backward has used yet. */
  get filled(): boolean {
    return this._owner !== null;
  }

  /** The memory it holds, in bytes. */
  get byteLength(): number {
    return (this._samples?.byteLength ?? 0) + (this._probes?.byteLength ?? 0) + this._curves.byteLength +
      this._scalars.byteLength + this._slots.byteLength + this._frame.byteLength;
  }

  /**
   * Empties the tape and makes room for `hits` of `rays` rays of `ray`'s sizes, for `owner`'s forward at field
   * version `version` with camera frame `frame`.
   * @internal
   */
  _record(owner: object, version: number, frame: Float64Array, rays: number, hits: number, ray: VolsdfRay): void {
    const S = ray.samples.capacity;
    const H = ray.shape.hidden;
    if (hits > this._capacity || S !== this._sampleCount || H !== this._hidden) {
      this._samples = new FieldBatchTape(hits * S, ray.shape, false);
      this._probes = new FieldBatchTape(hits * NORMAL_PROBES, ray.shape, true);
      this._curves = new Float64Array(hits * RAY_CURVES * S);
      this._scalars = new Float64Array(hits * RAY_SCALARS);
      this._capacity = hits;
      this._sampleCount = S;
      this._hidden = H;
    }
    if (this._slots.length !== rays) this._slots = new Int32Array(rays);
    this._slots.fill(-1);
    this._next = 0;
    this._frame.set(frame);
    this._owner = owner;
    this._version = version;
  }

  /**
   * Keeps ray `index`'s state after its trace (nothing but its miss if it misses the cube).
   * @internal
   */
  _keep(index: number, ray: VolsdfRay): void {
    if (!ray.hit) return;
    const slot = this._next++;
    const S = ray.samples.capacity;
    this._slots[index] = slot;
    this._samples!.keep(ray.samples, S, slot * S);
    this._probes!.keep(ray.probes, NORMAL_PROBES, slot * NORMAL_PROBES);
    const curves = slot * RAY_CURVES * S;
    this._curves.set(ray.t, curves);
    this._curves.set(ray.alpha, curves + S);
    this._curves.set(ray.trans, curves + 2 * S);
    this._curves.set(ray.weight, curves + 3 * S);
    const s = this._scalars;
    const at = slot * RAY_SCALARS;
    s[at] = ray.delta;
    s[at + 1] = ray.opacity;
    s[at + 2] = ray.depth;
    s[at + 3] = ray.gNorm;
    s[at + 4] = ray.nDotL;
    s[at + 5] = ray.shade;
    s.set(ray.direction, at + 6);
    s.set(ray.colour, at + 9);
    s.set(ray.g, at + 12);
  }

  /**
   * Starts `owner`'s backward through this tape at its field's `version`, writing the render's camera frame into
   * `frame`; the tape is empty afterwards.
   * @throws {Error} if the tape is empty (never rendered into, or already used by a backward), holds another
   *   renderer's forward, or the field changed since that forward.
   * @internal
   */
  _replay(owner: object, version: number, frame: Float64Array): void {
    if (this._owner === null) {
      throw new Error('the tape holds no forward: render(camera, jitter, out, tape) before each backwardFromTape() ' +
        '(a backward consumes its tape)');
    }
    if (this._owner !== owner) throw new Error("the tape holds another renderer's forward");
    if (this._version !== version) {
      throw new Error("the field's planes or decoder changed since the tape's render(): its activations are stale");
    }
    frame.set(this._frame);
    this._owner = null;
  }

  /**
   * Writes ray `index`'s kept state into `ray`; false (and `ray` untouched) if the ray misses the cube.
   * @internal
   */
  _restore(index: number, ray: VolsdfRay): boolean {
    const slot = this._slots[index]!;
    ray.hit = slot >= 0;
    if (!ray.hit) return false;
    const S = ray.samples.capacity;
    this._samples!.restore(slot * S, ray.samples, S);
    this._probes!.restore(slot * NORMAL_PROBES, ray.probes, NORMAL_PROBES);
    const curves = slot * RAY_CURVES * S;
    ray.t.set(this._curves.subarray(curves, curves + S));
    ray.alpha.set(this._curves.subarray(curves + S, curves + 2 * S));
    ray.trans.set(this._curves.subarray(curves + 2 * S, curves + 3 * S));
    ray.weight.set(this._curves.subarray(curves + 3 * S, curves + 4 * S));
    const s = this._scalars;
    const at = slot * RAY_SCALARS;
    ray.delta = s[at]!;
    ray.opacity = s[at + 1]!;
    ray.depth = s[at + 2]!;
    ray.gNorm = s[at + 3]!;
    ray.nDotL = s[at + 4]!;
    ray.shade = s[at + 5]!;
    ray.direction.set(s.subarray(at + 6, at + 9));
    ray.colour.set(s.subarray(at + 9, at + 12));
    ray.g.set(s.subarray(at + 12, at + 15));
    return true;
  }
}
