/**
 * CpuRefineKernels with band workers (here in-process stand-ins running the workers' BandRenderer): the first views are
 * the single thread's bit for bit, the refined planes match it to float32 rounding, each band renders only its rows, and
 * a band worker's failure fails the step.
 */
import { describe, expect, test } from 'vitest';
import { decoderLayout, planesLength } from '../../src/kernels/triplane-layout.js';
import { BandRenderer, splitRows, type BandView } from '../../src/refine/band-renderer.js';
import { CpuRefineKernels, type RemoteBandRenderer } from '../../src/refine/cpu-kernels.js';
import { refineTriplane } from '../../src/refine/refine.js';
import { ConstantImagePrior } from '../fixtures/constant-image-prior.js';
import { uniformArray } from '../fixtures/random.js';

const SHAPE = { channels: 4, resolution: 8, hidden: 8 };
const PLANES = uniformArray(Float32Array, planesLength(SHAPE), 1, -0.1, 0.1);
const DECODER = uniformArray(Float32Array, decoderLayout(SHAPE).length, 2, -0.3, 0.3);
const OPTIONS = { resolution: 8, samples: 6, steps: 4, viewsPerStep: 2, reportEvery: 1, seed: 3 };

/** A band worker's calls, in this thread: its own planes copy, as a worker has. */
class InProcessBand implements RemoteBandRenderer {
  readonly rowsRendered: (readonly [number, number])[] = [];
  private readonly _band = new BandRenderer({ shape: SHAPE, decoder: DECODER, beta: 0.03 }, new Float32Array(PLANES.length));
  constructor(private readonly _failOnBackward = false) {}
  async render(views: readonly BandView[], planes: Float32Array): Promise<Float32Array[]> {
    this._band.planes.set(planes);
    this.rowsRendered.push(...views.map((view) => view.rows));
    return this._band.render(views);
  }
  async backward(upstreams: readonly Float32Array[]): Promise<Float32Array> {
    if (this._failOnBackward) throw new Error('band worker ended');
    const gradient = new Float32Array(this._band.planes.length);
    this._band.backward(upstreams, gradient);
    return gradient;
  }
}

async function refine(bands: RemoteBandRenderer[]) {
  const kernels = new CpuRefineKernels(SHAPE, PLANES, DECODER, { learningRate: 0.01, beta: 0.03, bands });
  const views: Float32Array[] = [];
  const result = await refineTriplane({ kernels, prior: new ConstantImagePrior(), samples: 6 }, 'a barrel', OPTIONS, {
    onProgress: async () => {
      views.push(await kernels.readViews());
    },
  });
  return { planes: result.planes, views };
}

describe('band workers', () => {
  test('splitRows: contiguous bands in order, at most one row apart, no empty band', () => {
    expect(splitRows(32, 2)).toEqual([[0, 16], [16, 32]]);
    expect(splitRows(7, 3)).toEqual([[0, 2], [2, 4], [4, 7]]);
    expect(splitRows(2, 4)).toEqual([[0, 1], [1, 2]]);
    expect(splitRows(5, 1)).toEqual([[0, 5]]);
  });

  test.each([1, 2, 3])('with %i band workers: the first views of one thread bit for bit, its planes to float32 rounding',
    async (workers) => {
      const single = await refine([]);
      const bands = Array.from({ length: workers }, () => new InProcessBand());
      const shared = await refine(bands);
      // The first step renders the same planes; later ones planes that differ by rounding.
      expect(shared.views[0]).toEqual(single.views[0]);
      shared.views.forEach((view, step) => view.forEach((v, i) => {
        expect(Math.abs(v - single.views[step]![i]!)).toBeLessThan(1e-4);
      }));
      const scale = Math.max(...single.planes.map((v, i) => Math.abs(v - PLANES[i]!)));
      expect(scale).toBeGreaterThan(1e-3);
      for (let i = 0; i < PLANES.length; i++) {
        expect(Math.abs(shared.planes[i]! - single.planes[i]!)).toBeLessThan(1e-3 * scale);
      }
      const bandRows = splitRows(8, workers + 1).slice(1);
      bands.forEach((band, i) => {
        // Each step, both views, only its own rows.
        expect(band.rowsRendered).toEqual(Array.from({ length: 2 * OPTIONS.steps }, () => bandRows[i]));
      });
    });

  test("a band worker's failure rejects the step with its error", async () => {
    await expect(refine([new InProcessBand(true)])).rejects.toThrow('band worker ended');
  });
});
