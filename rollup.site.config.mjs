// @ts-check
// Builds the site that `npm start` and the browser tests serve into build/, flat: the demo (index.html + demo.js,
// bundled by esbuild: scripts/esbuild-app-plugin.mjs says why), each test page (test/browser/pages/NAME.html +
// NAME.js) and their shared chunks, plus the default model pack
// under build/models/default/, where the demo and the pages load it from. Apps import the library by its
// package name from dist/, as a user's app would, so `npm run build` must run first.
import { readFileSync, readdirSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { nodeResolve } from '@rollup/plugin-node-resolve';
import esbuild from 'rollup-plugin-esbuild';
import { esbuildApp } from './scripts/esbuild-app-plugin.mjs';
import { wgsl } from './scripts/wgsl-plugin.mjs';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const PAGES_DIR = 'test/browser/pages';
const pageNames = readdirSync(PAGES_DIR)
  .filter((file) => file.endsWith('.html'))
  .map((file) => basename(file, '.html'));

/** The HTML file of each entry, emitted under the given name; each one loads `./<entry>.js`. */
const htmlFiles = {
  'index.html': 'demo/index.html',
  ...Object.fromEntries(pageNames.map((name) => [`${name}.html`, join(PAGES_DIR, `${name}.html`)])),
};

/** The package's entries (`scaledreamer-babylon`, `scaledreamer-babylon/inspector`, ...) -> their files in dist/. */
const LIBRARY_ENTRIES = {
  [pkg.name]: './dist/index.js',
  [`${pkg.name}/inspector`]: './dist/inspector.js',
  [`${pkg.name}/persistence`]: './dist/persistence.js',
};

/**
 * Resolves `import ... from 'scaledreamer-babylon'` (and its other entries) to the built dist/ files, and emits the
 * files that index.js loads by URL (the worker, its chunks and the .wasm) beside the app's bundle, where its
 * `new URL('./compute.worker.js', import.meta.url)` points once bundled. Vite and webpack do the latter on their own.
 * @returns {import('rollup').Plugin}
 */
function libraryFromDist() {
  const isLibraryEntry = (/** @type {string} */ file) =>
    /^(index|inspector|persistence|entries-.+)\.js(\.map)?$/.test(file) || file.endsWith('.d.ts');
  return {
    name: 'library-from-dist',
    resolveId(id) {
      const file = LIBRARY_ENTRIES[id];
      return file ? this.resolve(file) : null;
    },
    generateBundle() {
      for (const entry of readdirSync('dist', { withFileTypes: true })) {
        if (!entry.isFile() || isLibraryEntry(entry.name)) continue;
        this.emitFile({ type: 'asset', fileName: entry.name, source: readFileSync(join('dist', entry.name)) });
      }
      for (const [fileName, source] of Object.entries(htmlFiles)) {
        this.emitFile({ type: 'asset', fileName, source: readFileSync(source) });
      }
    },
  };
}

/** Every file under `dir`, recursively. */
function filesUnder(/** @type {string} */ dir) {
  /** @type {string[]} */
  const files = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...filesUnder(path));
    else if (entry.isFile()) files.push(path);
  }
  return files;
}

/**
 * Emits models/default/ as build/models/default/ (the pack's manifest lists every file, so all of them go).
 * @returns {import('rollup').Plugin}
 */
function defaultModelPack() {
  return {
    name: 'default-model-pack',
    generateBundle() {
      for (const file of filesUnder('models/default')) {
        this.emitFile({ type: 'asset', fileName: relative('.', file), source: readFileSync(file) });
      }
    },
  };
}

/** @type {import('rollup').RollupOptions} */
export default {
  input: {
    ...Object.fromEntries(pageNames.map((name) => [name, join(PAGES_DIR, `${name}.ts`)])),
  },
  plugins: [
    libraryFromDist(),
    defaultModelPack(),
    esbuildApp({ name: 'demo', entry: 'demo/main.ts', alias: LIBRARY_ENTRIES }),
    nodeResolve({ browser: true }),
    wgsl(),
    esbuild({ target: 'es2022' }),
  ],
  output: {
    dir: 'build',
    format: 'es',
    sourcemap: true,
    entryFileNames: '[name].js',
    chunkFileNames: '[name]-[hash].js',
  },
};
