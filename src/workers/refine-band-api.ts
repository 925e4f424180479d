/**
 * The band worker's API (refine-band-protocol.ts) on a {@link BandRenderer}: what refine-band.worker.ts exposes.
 */
import * as Comlink from 'comlink';
import { BandRenderer } from '../refine/band-renderer.js';
import type { RefineBandWorkerApi } from './refine-band-protocol.js';

export function createRefineBandApi(): RefineBandWorkerApi {
  let band: BandRenderer | null = null;
  const started = (): BandRenderer => {
    if (!band) throw new Error('the band worker has no setup() yet');
    return band;
  };
  return {
    setup(setup, planes) {
      band = new BandRenderer(setup, planes.slice());
    },
    render(views, planes) {
      const renderer = started();
      renderer.planes.set(planes);
      const pixels = renderer.render(views);
      return Comlink.transfer(pixels, pixels.map((pixel) => pixel.buffer));
    },
    backward(upstreams) {
      const renderer = started();
      const gradient = new Float32Array(renderer.planes.length);
      renderer.backward(upstreams, gradient);
      return Comlink.transfer(gradient, [gradient.buffer]);
    },
  };
}
