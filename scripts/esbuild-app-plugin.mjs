// @ts-check
/**
 * Rollup plugin for the site build: bundles an app (the demo) with esbuild and emits its files into rollup's output.
 *
 * Why not rollup: the demo loads Babylon's Inspector (React, Fluent UI, much of @babylonjs/core) for its prompt
 * inspector, and rollup took about a minute more to bundle it on this 2-core machine (and needs
 * @rollup/plugin-commonjs for React); esbuild takes seconds. The test pages stay with rollup.
 *
 * The app imports the library by its package name: `alias` maps those names to the built files in dist/, as a user's
 * bundler would find them (rollup's library-from-dist plugin copies the workers and .wasm files they load by URL
 * beside the app's files, which must therefore be written flat into the same folder).
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

/**
 * The Inspector's editors (node material, GUI, ...), which it imports only when the user opens one: each is a
 * multi-megabyte bundle, left out of the site (opening one from the demo's Inspector fails).
 */
const INSPECTOR_EDITORS = ['node-editor', 'node-geometry-editor', 'node-particle-editor', 'node-render-graph-editor',
  'gui-editor', 'lite'].flatMap((name) => [`@babylonjs/${name}`, `@babylonjs/${name}/*`]);

/**
 * @param {{ name: string, entry: string, alias: Record<string, string> }} app the entry `entry` becomes `<name>.js`,
 *   its chunks `<name>.chunk-*.js`.
 * @returns {import('rollup').Plugin}
 */
export function esbuildApp({ name, entry, alias }) {
  /** @type {Set<string>} */
  const emitted = new Set();
  return {
    name: 'esbuild-app',
    async generateBundle() {
      emitted.clear();
      const result = await build({
        entryPoints: { [name]: entry },
        bundle: true,
        splitting: true,
        format: 'esm',
        platform: 'browser',
        target: 'es2022',
        outdir: 'out',
        chunkNames: `${name}.chunk-[name]-[hash]`,
        sourcemap: true,
        write: false,
        alias,
        // The library is imported from dist/, not from src/ through tsconfig.json's `paths`.
        tsconfigRaw: '{}',
        external: INSPECTOR_EDITORS,
        define: { 'process.env.NODE_ENV': '"production"' },
        logLevel: 'warning',
      });
      const root = `${process.cwd()}/out/`;
      for (const file of result.outputFiles) {
        if (!file.path.startsWith(root)) throw new Error(`esbuild wrote outside its folder: ${file.path}`);
        const fileName = file.path.slice(root.length);
        emitted.add(fileName);
        this.emitFile({ type: 'asset', fileName, source: file.contents });
      }
    },
    // Chunk names carry content hashes: remove the app's chunks from earlier builds, which nothing loads any more.
    writeBundle({ dir }) {
      if (!dir) return;
      for (const file of readdirSync(dir)) {
        if (file.startsWith(`${name}.chunk-`) && !emitted.has(file)) rmSync(join(dir, file));
      }
    },
  };
}
