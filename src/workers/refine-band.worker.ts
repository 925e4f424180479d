/**
 * Module worker that renders and backpropagates bands of a refinement's views on its own core (band-renderer.ts),
 * for the CPU refinement in the generation worker (refine-band-workers.ts starts it). Reached through comlink.
 */
import * as Comlink from 'comlink';
import { createRefineBandApi } from './refine-band-api.js';

Comlink.expose(createRefineBandApi());
