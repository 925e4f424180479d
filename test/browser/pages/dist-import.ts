// The smallest app on the built library: imports dist/ by package name and checks that the files it loads by URL
// are served beside it.
import * as library from 'scaledreamer-babylon';
import { reportResult } from './page-result.js';

const LOADED_BY_URL = [
  'compute.worker.js',
  'generation.worker.js',
  'ort-wasm-simd-threaded.asyncify.wasm',
  'ort-wasm-simd-threaded.wasm',
];

reportResult(
  (async () => ({
    crossOriginIsolated,
    exports: Object.keys(library).sort(),
    loadedByUrl: await Promise.all(
      LOADED_BY_URL.map(async (file) => {
        const response = await fetch(new URL(file, import.meta.url), { method: 'HEAD' });
        return { file, status: response.status, contentType: response.headers.get('Content-Type') };
      }),
    ),
  }))(),
);
