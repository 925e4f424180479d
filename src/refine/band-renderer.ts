/**
 * One thread's share of a refinement step's rendering on the CPU: a band of every view's rows (volsdf-cpu.ts,
 * option `rows`), rendered with a tape and backpropagated into the planes from it. CpuRefineKernels runs one band
 * itself and hands the others to band workers (refine-band.worker.ts), which run this same class, so that a step's
 * render and backward use every core.
 */
import type { OrbitCamera } from '../kernels/camera.js';
import { CpuTriplaneField } from '../kernels/triplane-cpu.js';
import type { FloatArray, TriplaneShape } from '../kernels/triplane-layout.js';
import { CpuVolsdfRenderer } from '../kernels/volsdf-cpu.js';
import { VolsdfTape } from '../kernels/volsdf-tape-cpu.js';

/** One view of a step, for one band: its camera, background and the band's rows. */
export interface BandView {
  readonly camera: OrbitCamera;
  readonly background: readonly [number, number, number];
  /** Side of the (square) view. */
  readonly side: number;
  /** Samples per ray. */
  readonly samples: number;
  /** `[start, end)` of the view's rows. */
  readonly rows: readonly [number, number];
  /** The band's ray jitter `[(end - start) side, S]`. */
  readonly jitter: FloatArray;
}

/** What a band renderer is made from: the triplane's shape, the (frozen) decoder and VolSDF's beta. */
export interface BandRendererSetup {
  readonly shape: TriplaneShape;
  /** Flat decoder weights in decoder.bin order (not copied, never written). */
  readonly decoder: Float32Array;
  readonly beta: number;
}

export class BandRenderer {
  private readonly _field: CpuTriplaneField;
  private _renderers: CpuVolsdfRenderer[] = [];
  /** One per view, kept across steps so that their memory is reused. */
  private readonly _tapes: VolsdfTape[] = [];

  /**
   * @param planes the planes `[3, C, R, R]` it renders: read on every render, never written. A band worker's are its
   *   own copy, which {@link render} refreshes.
   */
  constructor(
    private readonly _setup: BandRendererSetup,
    readonly planes: Float32Array,
  ) {
    this._field = new CpuTriplaneField(_setup.shape, planes, _setup.decoder);
  }

  /** Renders each view's band, keeping its forward; returns the bands' pixels `[3, end - start, side]`. */
  render(views: readonly BandView[]): Float32Array[] {
    this._renderers = views.map((view) => new CpuVolsdfRenderer(this._field, {
      width: view.side,
      height: view.side,
      rows: view.rows,
      samples: view.samples,
      beta: this._setup.beta,
      background: view.background,
    }));
    return views.map((view, b) => {
      const tape = (this._tapes[b] ??= new VolsdfTape());
      return this._renderers[b]!.render(view.camera, view.jitter, undefined, tape).pixels as Float32Array;
    });
  }

  /**
   * Adds the planes' gradient of `sum(pixels * upstream)` over the last {@link render}'s bands into `gradient`.
   * @param upstreams one `[3, end - start, side]` per view.
   * @throws {Error} without a {@link render} of as many views since the last backward.
   */
  backward(upstreams: readonly FloatArray[], gradient: Float32Array): void {
    if (upstreams.length !== this._renderers.length) {
      throw new Error(`backward() needs the render() of its ${upstreams.length} views`);
    }
    this._renderers.forEach((renderer, b) => {
      renderer.backwardFromTape(this._tapes[b]!, upstreams[b]!, { planes: gradient, decoder: null });
    });
  }
}

/**
 * The bands of a `side`-row view for `count` threads: contiguous, in order, sizes differing by at most one row
 * (fewer bands than threads when the view has fewer rows).
 */
export function splitRows(side: number, count: number): [number, number][] {
  const bands = Math.max(1, Math.min(count, side));
  return Array.from({ length: bands }, (_, i): [number, number] => [
    Math.floor((i * side) / bands),
    Math.floor(((i + 1) * side) / bands),
  ]);
}

/** Rows `[start, end)` of each channel of a `[3, side, side]` image, as a `[3, end - start, side]` copy. */
export function bandOf(image: FloatArray, side: number, [start, end]: readonly [number, number]): Float32Array {
  const band = new Float32Array(3 * (end - start) * side);
  for (let c = 0; c < 3; c++) {
    band.set(image.subarray((c * side + start) * side, (c * side + end) * side), c * (end - start) * side);
  }
  return band;
}

/** Writes a band `[3, end - start, side]` into its rows of a `[3, side, side]` image. */
export function placeBand(band: FloatArray, side: number, [start, end]: readonly [number, number], image: FloatArray): void {
  const rows = end - start;
  for (let c = 0; c < 3; c++) image.set(band.subarray(c * rows * side, (c + 1) * rows * side), (c * side + start) * side);
}
