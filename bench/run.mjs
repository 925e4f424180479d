// @ts-check
/**
 * `npm run bench`: bundles bench/node-bench.ts (TypeScript, importing src/) with esbuild into node_modules/.cache,
 * where Node finds onnxruntime-node and three as usual, and runs it with this command's arguments and the
 * repository's folder (the bundle's own import.meta.url points into the cache).
 */
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(ROOT, 'node_modules', '.cache', 'scaledreamer-bench', `node-bench-${process.pid}.mjs`);
await build({
  entryPoints: [join(ROOT, 'bench', 'node-bench.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['onnxruntime-node', 'three'],
  logLevel: 'warning',
});
try {
  const bench = await import(pathToFileURL(outfile).href);
  await bench.main(process.argv.slice(2), ROOT);
} finally {
  (await import('node:fs')).rmSync(outfile, { force: true });
}
