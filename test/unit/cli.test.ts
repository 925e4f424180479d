/**
 * `scaledreamer generate` (src/cli/main.ts) on the default pack: prompt -> .glb through onnxruntime-node and the CPU
 * kernels, a saved triplane -> .glb, and every bad input as one line on stderr with a non-zero exit code.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateBytes } from 'gltf-validator';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { loadGoldenTriplane } from '../fixtures/golden-triplane.js';
import { ScratchPack } from '../fixtures/pack-files.js';

let dir: string;
let triplane: string;

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) });
  return { code, stdout, stderr };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'scaledreamer-cli-'));
  // The golden planes ([3, 16, 8, 8]) have the default pack's C, so its decoder reads them.
  triplane = join(dir, 'planes.bin');
  writeFileSync(triplane, new Uint8Array(loadGoldenTriplane().planes.buffer));
});

/** The one-line failure every bad input must give. */
function expectOneLineFailure(result: { code: number; stdout: string; stderr: string }, code: number, message: RegExp) {
  expect(result.code).toBe(code);
  expect(result.stdout).toBe('');
  expect(result.stderr).toMatch(message);
  expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
  if (code === 1) expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('scaledreamer generate', () => {
  test('a prompt becomes a .glb that the Khronos validator accepts, with timings per stage in the JSON summary',
    async () => {
      const output = join(dir, 'barrel.glb');
      const { code, stdout, stderr } = await cli('generate', 'a red wooden barrel', '-o', output, '--grid', '32',
        '--seed', '7', '--json');
      expect(stderr).toBe('');
      expect(code).toBe(0);
      const summary = JSON.parse(stdout);
      expect(summary).toMatchObject({ prompt: 'a red wooden barrel', seed: 7, grid: 32, pack: 'default',
        unknown_words: [] });
      expect(summary.vertices).toBeGreaterThan(100);
      expect(summary.faces).toBeGreaterThan(100);
      for (const axis of [0, 1, 2]) {
        expect(summary.bounds.min[axis]).toBeGreaterThanOrEqual(-1);
        expect(summary.bounds.max[axis]).toBeLessThanOrEqual(1);
      }
      expect(Object.keys(summary.timings)).toEqual(['load_pack_ms', 'sessions_ms', 'text_encode_ms', 'generator_ms',
        'decode_ms', 'marching_cubes_ms', 'write_ms', 'total_ms']);
      const report = await validateBytes(new Uint8Array(readFileSync(output)), { writeTimestamp: false });
      expect(report.issues.numErrors).toBe(0);
      expect(report.issues.numWarnings).toBe(0);
    }, 60_000);

  test('unknown words fail naming them, or become <unk> with --lenient and are reported', async () => {
    const strict = await cli('generate', 'a red zorblax barrel', '-o', join(dir, 'unk.glb'), '--grid', '8');
    expectOneLineFailure(strict, 1, /unknown words in "a red zorblax barrel": zorblax \(--lenient maps them/);
    const lenient = await cli('generate', 'a red zorblax barrel', '-o', join(dir, 'unk.glb'), '--grid', '8',
      '--lenient', '--json');
    expect(lenient.code).toBe(0);
    expect(JSON.parse(lenient.stdout).unknown_words).toEqual(['zorblax']);
    const human = await cli('generate', 'a red zorblax barrel', '-o', join(dir, 'unk.glb'), '--grid', '8',
      '--lenient');
    expect(human.stderr).toBe('scaledreamer: warning: unknown words became <unk>: zorblax\n');
  }, 60_000);

  test('a prompt of more tokens than the text encoder takes fails in one line', async () => {
    const result = await cli('generate', 'a red barrel, '.repeat(10), '-o', join(dir, 'long.glb'));
    expectOneLineFailure(result, 1, /has 40 tokens; at most 22 fit/);
  });

  test('meshes a saved triplane with the pack\'s decoder', async () => {
    const output = join(dir, 'out.glb');
    const { code, stdout, stderr } = await cli('generate', 'a red barrel', '-o', output, '--triplane', triplane,
      '--grid', '32', '--json');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const summary = JSON.parse(stdout);
    expect(summary.grid).toBe(32);
    expect(Object.keys(summary.timings)).toEqual(['load_pack_ms', 'read_triplane_ms', 'decode_ms',
      'marching_cubes_ms', 'write_ms', 'total_ms']);
    const report = await validateBytes(new Uint8Array(readFileSync(output)), { writeTimestamp: false });
    expect(report.issues.numErrors).toBe(0);
  });

  test('prints a human summary without --json', async () => {
    const { code, stdout } = await cli('generate', 'a box', '-o', join(dir, 'box.glb'), '--triplane', triplane,
      '--grid', '16');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^wrote .*box\.glb: \d+ vertices, \d+ faces\n.*total [\d.]+ ms\n$/);
  });

  test.each([
    [['generate', '', '-o', 'x.glb'], /the prompt is empty/],
    [['generate', '   ', '-o', 'x.glb'], /the prompt is empty/],
    [['generate', 'a '.repeat(5000), '-o', 'x.glb'], /10000 characters; at most 1000/],
    [['generate', 'a box', '-o', 'x.glb', '--grid', '0'], /--grid must be an integer in \[2, 256\], got "0"/],
    [['generate', 'a box', '-o', 'x.glb', '--grid', '4096'], /--grid must be an integer in \[2, 256\]/],
    [['generate', 'a box', '-o', 'x.glb', '--grid', '3.5'], /--grid must be an integer/],
    [['generate', 'a box', '-o', 'x.glb', '--seed=-1'], /--seed must be an integer in \[0, /],
    [['generate', 'a box', '-o', 'x.glb', '--refine', 'vsd'], /--refine must be one of asd, sds, csd/],
    [['generate', 'a box', '-o', 'x.glb', '--steps', '5'], /--steps needs --refine/],
    [['generate', 'a box', '-o', 'x.glb', '--eta', '0.2'], /--eta needs --refine/],
    [['generate', 'a box', '-o', 'x.glb', '--refine', 'asd', '--eta', '2'], /--eta must be a number in \[0, 1\], got "2"/],
    [['generate', 'a box', '-o', 'x.glb', '--refine', 'sds', '--guidance-scale', 'x'],
      /--guidance-scale must be a number in \[0, 200\], got "x"/],
    [['generate', 'a box'], /missing -o\/--output/],
    [['generate', 'a box', '-o', 'x.glb', '--colour', 'red'], /Unknown option '--colour'/],
    [['render', 'a box'], /unknown command "render"/],
  ])('bad command line %j: exit 2 and the usage', async (argv, message) => {
    expectOneLineFailure(await cli(...argv), 2, message);
  });

  test('an unwritable output path fails before any work, naming the path', async () => {
    const missing = await cli('generate', 'a box', '-o', join(dir, 'missing', 'out.glb'));
    expectOneLineFailure(missing, 1, /cannot write .*missing\/out\.glb: its folder .* \(ENOENT\)/);
    expectOneLineFailure(await cli('generate', 'a box', '-o', dir), 1, /it is a directory/);
  });

  test.each([
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
  ])('%s in the triplane is refused, naming the value', async (name, value) => {
    const planes = loadGoldenTriplane().planes.slice();
    planes[7] = value;
    const bad = join(dir, 'bad.bin');
    writeFileSync(bad, new Uint8Array(planes.buffer));
    const result = await cli('generate', 'a box', '-o', join(dir, 'nan.glb'), '--triplane', bad);
    expectOneLineFailure(result, 1, new RegExp(`triplane value 7 is ${name}; values must be finite`));
  });

  test('a triplane file of the wrong size is refused', async () => {
    const short = join(dir, 'short.bin');
    writeFileSync(short, new Uint8Array(100));
    const result = await cli('generate', 'a box', '-o', join(dir, 'a.glb'), '--triplane', short);
    expectOneLineFailure(result, 1, /holds 100 bytes, not a float32 \[3, 16, R, R\] triplane/);
  });

  test('a missing or broken pack, or one without a generator, fails naming the file', async () => {
    const empty = join(dir, 'empty-pack');
    mkdirSync(empty);
    expectOneLineFailure(await cli('generate', 'a box', '-o', join(dir, 'c.glb'), '--pack', empty), 1,
      /manifest.json: is missing/);
    const scratch = await ScratchPack.create();
    try {
      await scratch.write('decoder.bin', new Uint8Array(8));
      expectOneLineFailure(await cli('generate', 'a box', '-o', join(dir, 'c.glb'), '--pack', scratch.dir), 1,
        /^scaledreamer: decoder.bin: /);
      await scratch.editManifest((manifest) => {
        for (const [path, entry] of Object.entries(manifest.files)) {
          if (String(entry.role).startsWith('generator.')) delete manifest.files[path];
        }
        delete manifest.generator;
      });
      expectOneLineFailure(await cli('generate', 'a box', '-o', join(dir, 'c.glb'), '--pack', scratch.dir), 1,
        /the pack has no generator .* `python3 -m training.distill.export`/);
    } finally {
      await scratch.dispose();
    }
  });

  test('--refine asd refines the triplane before meshing, with --eta and --guidance-scale in the summary', async () => {
    const output = join(dir, 'refined.glb');
    const result = await cli('generate', 'a red wooden barrel', '-o', output, '--triplane', triplane, '--grid', '16',
      '--refine', 'asd', '--steps', '2', '--eta', '0.2', '--guidance-scale', '5', '--seed', '3', '--json');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout);
    const { resolution } = JSON.parse(readFileSync('models/default/manifest.json', 'utf8')).prior;
    expect(summary.refine).toMatchObject({ method: 'asd', steps: 2, eta: 0.2, guidance_scale: 5, resolution });
    expect(Number.isFinite(summary.refine.final_loss)).toBe(true);
    expect(summary.timings.refine_ms).toBeGreaterThan(0);
    expect(summary.vertices).toBeGreaterThan(0);
  }, 120_000); // two CPU refinement steps at the prior's resolution: a few seconds each on the shared 2-core machine
});
