/**
 * The package as a user gets it: `npm pack` of the built dist/ (npm run test:browser builds it), installed into a
 * fresh consumer project with `npm install <tarball>`, whose app is the README's Usage snippet, verbatim, bundled
 * with esbuild and served cross-origin isolated with the worker files and the default pack copied beside it as the
 * README says. Chromium then runs it: the snippet must put a mesh in its scene.
 *
 * Fast and reproducible: every runtime dependency is pinned (package.json `overrides`) to the version this
 * repository's lockfile installed, so npm takes the tarballs `npm ci` left in its cache (`--prefer-offline`) and asks
 * the registry only for package metadata, which `npm ci` never caches (a fresh CI machine has none, so `--offline`
 * failed there). The Babylon peer dependencies are linked from this repository's node_modules rather than copied
 * (~150 MB).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { GeneratedMeshMetadata } from 'scaledreamer-babylon';
import { startServer } from '../../scripts/serve.mjs';
import { launchChromium, runPage, type Site } from './harness.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NPM = 'npm';

interface PackedFile {
  path: string;
  size: number;
}
interface ConsumerResult {
  vertices: number;
  inScene: boolean;
  metadata: GeneratedMeshMetadata;
  glbBytes: number;
  crossOriginIsolated: boolean;
}

/** name -> version of every non-dev package in this repository's lockfile: the closure of the runtime dependencies. */
function lockedRuntimeVersions(): Record<string, string> {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version?: string; dev?: boolean }>;
  };
  const versions: Record<string, string> = {};
  for (const [path, entry] of Object.entries(lock.packages)) {
    const [, name, nested] = path.split('node_modules/');
    // A nested copy is a second version of a package; pinning it everywhere would break someone's range.
    if (!name || nested !== undefined || entry.dev || !entry.version) continue;
    versions[name] = entry.version;
  }
  return versions;
}

/** The first ```ts block under README.md's "## Usage" heading. */
function readmeSnippet(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const usage = readme.slice(readme.indexOf('\n## Usage'));
  const match = /```ts\n([\s\S]*?)```/.exec(usage);
  if (!match) throw new Error('README.md has no ```ts block under "## Usage"');
  return match[1]!;
}

/** After the snippet, in the same module: what the test checks, reported through window.pageResult. */
const REPORT = `
const report = {
  vertices: mesh.getTotalVertices(),
  inScene: scene.meshes.includes(mesh),
  metadata: (mesh.metadata as { scaleDreamer: unknown }).scaleDreamer,
  glbBytes: glb.size,
  crossOriginIsolated,
};
(window as unknown as { pageResult: Promise<unknown> }).pageResult = Promise.resolve(report);
`;

/** The app's page: a canvas, errors turned into a failed result, the bundle. */
const INDEX_HTML = `<!doctype html>
<meta charset="utf-8" />
<link rel="icon" href="data:," />
<canvas width="320" height="240"></canvas>
<script>
  const fail = (what) => (window.pageResult = Promise.reject(new Error(String(what))));
  addEventListener('error', (event) => fail(event.message));
  addEventListener('unhandledrejection', (event) => fail(event.reason && (event.reason.stack || event.reason)));
</script>
<script type="module" src="./main.js"></script>
`;

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'ESNext',
    moduleResolution: 'bundler',
    lib: ['ES2023', 'DOM', 'DOM.Iterable'],
    types: [],
    strict: true,
    skipLibCheck: true,
    noEmit: true,
  },
  include: ['main.ts'],
};

let work: string;
let packed: { filename: string; size: number; unpackedSize: number; files: PackedFile[] };
let timings: Record<string, number>;
let nodeExports: string[];
let typecheck: string;
let site: Site;
let browser: Browser;
let result: ConsumerResult;

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist', 'index.js'))) throw new Error('dist/ is not built: run `npm run build` first');
  work = mkdtempSync(join(tmpdir(), 'scaledreamer-npm-pack-'));
  timings = {};
  const timed = <T>(name: string, step: () => T): T => {
    const start = performance.now();
    try {
      return step();
    } finally {
      timings[name] = Math.round(performance.now() - start);
    }
  };

  // 1. The tarball, and what npm says is in it.
  [packed] = JSON.parse(timed('pack', () => execFileSync(NPM, ['pack', '--json', '--pack-destination', work], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  })));

  // 2. A consumer project with the tarball installed, peers linked.
  const app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({
    name: 'scaledreamer-consumer',
    private: true,
    type: 'module',
    overrides: lockedRuntimeVersions(),
  }));
  timed('install', () => execFileSync(NPM, ['install', join(work, packed.filename), '--prefer-offline', '--no-audit',
    '--no-fund', '--ignore-scripts', '--legacy-peer-deps'], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] }));
  symlinkSync(join(ROOT, 'node_modules', '@babylonjs'), join(app, 'node_modules', '@babylonjs'), 'dir');

  // 3. The package loads in Node (its entry imports nothing browser-only at load time).
  nodeExports = JSON.parse(timed('node import', () => execFileSync(process.execPath, ['--input-type=module', '-e',
    "console.log(JSON.stringify(Object.keys(await import('scaledreamer-babylon'))))"], { cwd: app, encoding: 'utf8' })));

  // 4. The README's snippet as the app, type-checked against the installed declarations, then bundled.
  writeFileSync(join(app, 'main.ts'), readmeSnippet() + REPORT);
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify(TSCONFIG));
  typecheck = timed('typecheck', () => {
    try {
      execFileSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', app], { cwd: app, encoding: 'utf8' });
      return '';
    } catch (error) {
      return String((error as { stdout?: string }).stdout ?? error);
    }
  });
  const siteDir = join(app, 'site');
  const start = performance.now();
  await build({
    entryPoints: [join(app, 'main.ts')],
    outdir: siteDir,
    bundle: true,
    splitting: true,
    format: 'esm',
    target: 'es2022',
    logLevel: 'error',
  });
  timings['bundle'] = Math.round(performance.now() - start);
  writeFileSync(join(siteDir, 'index.html'), INDEX_HTML);
  // As the README says for bundlers that do not follow new URL('./x.js', import.meta.url) (esbuild does not): the
  // package's dist/ files beside the bundle, and the default pack where the snippet loads it from.
  const installed = join(app, 'node_modules', 'scaledreamer-babylon');
  for (const file of readdirSync(join(installed, 'dist'))) {
    if (/\.(js|wasm)$/.test(file)) cpSync(join(installed, 'dist', file), join(siteDir, file));
  }
  cpSync(join(installed, 'models', 'default'), join(siteDir, 'models', 'default'), { recursive: true });

  // 5. Chromium runs it, served cross-origin isolated.
  site = await startServer({ root: siteDir });
  browser = await launchChromium({ webgpu: false });
  const browserStart = performance.now();
  ({ result } = await runPage<ConsumerResult>(browser, site.url));
  timings['browser'] = Math.round(performance.now() - browserStart);
  console.log(`npm pack: ${(packed.size / 2 ** 20).toFixed(1)} MB packed, ${(packed.unpackedSize / 2 ** 20).toFixed(1)} ` +
    `MB unpacked, ${packed.files.length} files; steps (ms): ${JSON.stringify(timings)}; the snippet's mesh: ` +
    `${result.vertices} vertices, ${JSON.stringify(result.metadata.timings)}`);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await site?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Relative imports of a bundled file (static and dynamic), as file names in the same folder. */
function relativeImports(source: string): string[] {
  return [...source.matchAll(/(?:from|import)\s*\(?\s*["']\.\/([^"']+)["']/g)].map((match) => match[1]!);
}

test('the tarball has the library, its declarations, the workers with every chunk they load, and both .wasm files', () => {
  const files = new Set(packed.files.map((file) => file.path));
  for (const file of ['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts', 'dist/generation.worker.js',
    'dist/compute.worker.js', 'dist/refine-band.worker.js', 'dist/ort-wasm-simd-threaded.wasm', 'dist/ort-wasm-simd-threaded.asyncify.wasm']) {
    expect(files, file).toContain(file);
  }
  // Every chunk the entry and the workers import, transitively, is in the tarball.
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name)) return;
    seen.add(name);
    expect(files, `${name} (imported by a packed file)`).toContain(`dist/${name}`);
    for (const imported of relativeImports(readFileSync(join(ROOT, 'dist', name), 'utf8'))) visit(imported);
  };
  for (const entry of ['index.js', 'generation.worker.js', 'compute.worker.js', 'refine-band.worker.js']) visit(entry);
  expect([...seen].some((name) => name.startsWith('ort.wasm.bundle'))).toBe(true);
  expect([...seen].some((name) => name.startsWith('ort.webgpu.bundle'))).toBe(true);
});

test('the tarball has the default model pack, every file its manifest lists', () => {
  const files = new Set(packed.files.map((file) => file.path));
  const manifest = JSON.parse(readFileSync(join(ROOT, 'models', 'default', 'manifest.json'), 'utf8')) as {
    files: Record<string, unknown>;
  };
  expect(files).toContain('models/default/manifest.json');
  for (const path of Object.keys(manifest.files)) expect(files, path).toContain(`models/default/${path}`);
});

test('the installed package loads in Node and exports the plugin API', () => {
  expect(nodeExports).toEqual(expect.arrayContaining(['createScaleDreamer', 'exportMeshToGlb', 'loadModelPack',
    'ScaleDreamer', 'RegisterScenePlugins', 'WorkerCrashedError', 'QueueFullError']));
});

test("the README's snippet type-checks against the installed declarations", () => {
  expect(typecheck).toBe('');
});

test("the README's snippet, bundled by the consumer, puts a mesh in its scene", () => {
  expect(result.crossOriginIsolated).toBe(true);
  expect(result.inScene).toBe(true);
  expect(result.vertices).toBeGreaterThan(100);
  expect(result.metadata).toMatchObject({ prompt: 'a red wooden barrel', backend: 'wasm', gridSize: 64 });
  expect(result.metadata.pack.url).toMatch(/\/models\/default\/$/);
  expect(result.glbBytes).toBeGreaterThan(1000);
});
