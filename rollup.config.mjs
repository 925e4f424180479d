// @ts-check
// Builds the library into dist/: the entry (index.js), the compute and generation workers as their own
// self-contained build, the onnxruntime-web chunks and .wasm files that the workers load, and the Node CLI (cli.js, run by bin/scaledreamer.js).
// Declarations come from `tsc -p tsconfig.build.json`.
//
// TypeScript is stripped by esbuild rather than @rollup/plugin-typescript: TypeScript 7 (the native compiler) has no
// JavaScript API for that plugin to call, and type checking is tsc's job anyway (`npm run test:types`).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import esbuild from 'rollup-plugin-esbuild';
import { wgsl } from './scripts/wgsl-plugin.mjs';

/**
 * The .wasm files of the onnxruntime-web builds that the workers import, each looked for beside its build's chunk:
 * `onnxruntime-web/webgpu` (WebGPU, our own GPUDevice) and `onnxruntime-web/wasm` (the plain WebAssembly build).
 */
const ORT_WASM_FILES = ['ort-wasm-simd-threaded.asyncify.wasm', 'ort-wasm-simd-threaded.wasm'];

/** @returns {import('rollup').Plugin} */
function emitOrtWasm() {
  return {
    name: 'emit-ort-wasm',
    buildStart() {
      for (const fileName of ORT_WASM_FILES) {
        const source = readFileSync(createRequire(import.meta.url).resolve(`onnxruntime-web/${fileName}`));
        this.emitFile({ type: 'asset', fileName, source });
      }
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
    // The workers' own build, bundling their dependencies, so that they share no chunk with index.js: apps
    // re-bundle index.js but load the workers as they are. Their file names are fixed because index.js refers to
    // them by URL; chunks (onnxruntime-web's, the kernels) are shared between the two.
    input: {
      'compute.worker': 'src/workers/compute.worker.ts',
      'generation.worker': 'src/workers/generation.worker.ts',
      // Started by the generation worker, by URL beside it, for CPU refinement on the other cores.
      'refine-band.worker': 'src/workers/refine-band.worker.ts',
    },
    plugins: [...plugins(), emitOrtWasm()],
    output: { dir: 'dist', format: 'es', sourcemap: true, chunkFileNames: '[name]-[hash].js' },
  },
  {
    // The optional entries, scaledreamer-babylon/persistence and scaledreamer-babylon/inspector: their own build so
    // that index.js shares no chunk with them (apps that import only the plugin load none of their code). They load
    // @babylonjs/loaders, and @babylonjs/inspector with React, which stay imports (optional peer dependencies).
    input: { persistence: 'src/persistence/index.ts', inspector: 'src/inspector/index.ts' },
    external: isDependency,
    plugins: plugins(),
    output: { dir: 'dist', format: 'es', sourcemap: true, chunkFileNames: 'entries-[name]-[hash].js' },
  },
  {
    // Node only: its own build so that index.js stays free of node: imports. onnxruntime-node (native) stays an
    // import: the CLI loads it on first use and says so if it is not installed.
    input: { cli: 'src/cli/main.ts' },
    external: (id) => id.startsWith('node:') || id === 'onnxruntime-node' || isDependency(id),
    plugins: [nodeResolve(), wgsl(), esbuild({ target: 'es2022' })],
    output: { dir: 'dist', format: 'es', sourcemap: true, chunkFileNames: 'cli-[name]-[hash].js' },
  },
];
