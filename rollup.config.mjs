// @ts-check
// Builds the library into dist/: the entry (index.js), the compute worker as its own self-contained entry, the
// onnxruntime-web chunk and .wasm that the worker loads, and the Node CLI (cli.js, run by bin/scaledreamer.js).
// Declarations come from `tsc -p tsconfig.build.json`.
//
// TypeScript is stripped by esbuild rather than @rollup/plugin-typescript: TypeScript 7 (the native compiler) has no
// JavaScript API for that plugin to call, and type checking is tsc's job anyway (`npm run test:types`).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import esbuild from 'rollup-plugin-esbuild';
import { wgsl } from './scripts/wgsl-plugin.mjs';

/** The .wasm of onnxruntime-web's WebGPU build (`onnxruntime-web/webgpu`), which looks for it beside its own chunk. */
const ORT_WEBGPU_WASM = 'ort-wasm-simd-threaded.asyncify.wasm';

/** @returns {import('rollup').Plugin} */
function emitOrtWasm() {
  return {
    name: 'emit-ort-wasm',
    buildStart() {
      const source = readFileSync(createRequire(import.meta.url).resolve(`onnxruntime-web/${ORT_WEBGPU_WASM}`));
      this.emitFile({ type: 'asset', fileName: ORT_WEBGPU_WASM, source });
    },
  };
}

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
/** Dependencies stay imports in index.js, for the app's bundler to resolve once (Babylon must be the app's copy). */
const dependencies = Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies });
const isDependency = (/** @type {string} */ id) =>
  dependencies.some((name) => id === name || id.startsWith(`${name}/`));

const plugins = () => [nodeResolve({ browser: true }), wgsl(), esbuild({ target: 'es2022' })];

/** @type {import('rollup').RollupOptions[]} */
export default [
  {
    input: { index: 'src/index.ts' },
    external: isDependency,
    plugins: plugins(),
    output: { dir: 'dist', format: 'es', sourcemap: true },
  },
  {
    // Its own build, bundling its dependencies, so that it shares no chunk with index.js: apps re-bundle index.js
    // but load the worker as it is. Its file name is fixed because index.js refers to it by URL.
    input: { 'compute.worker': 'src/workers/compute.worker.ts' },
    plugins: [...plugins(), emitOrtWasm()],
    output: { dir: 'dist', format: 'es', sourcemap: true, chunkFileNames: '[name]-[hash].js' },
  },
  {
    // Node only: its own build so that index.js stays free of node: imports.
    input: { cli: 'src/cli/main.ts' },
    external: (id) => id.startsWith('node:') || isDependency(id),
    plugins: [nodeResolve(), wgsl(), esbuild({ target: 'es2022' })],
    output: { dir: 'dist', format: 'es', sourcemap: true, chunkFileNames: 'cli-[name]-[hash].js' },
  },
];
