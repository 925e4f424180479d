/**
 * Module worker that renders and backpropagates bands of a refinement's views on its own core (band-renderer.ts),
 * for the CPU refinement in the generation worker (refine-band-workers.ts starts it). Reached through comlink.
 */
import * as Comlink from 'comlink';
import { BandRenderer } from '../refine/band-renderer.js';
import type { RefineBandWorkerApi } from './refine-band-protocol.js';

let band: BandRenderer | null = null;

function started(): BandRenderer {
  if (!band) throw new Error('the band worker has no setup() yet');
  return band;
}

const api: RefineBandWorkerApi = {
  setup(setup, planes) {
    band = new BandRenderer(setup, planes.slice());
  },
  render(views, planes) {
    const renderer = started();
    renderer.planes.set(planes);
    const pixels = renderer.render(views);
    return Comlink.transfer(pixels, pixels.map((band) => band.buffer));
  },
  backward(upstreams) {
    const renderer = started();
    const gradient = new Float32Array(renderer.planes.length);
    renderer.backward(upstreams, gradient);
    return Comlink.transfer(gradient, [gradient.buffer]);
  },
};

Comlink.expose(api);
