import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateBytes } from 'gltf-validator';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { decoderLayout, DECODER_TENSOR_NAMES } from '../../src/kernels/triplane-layout.js';
import { loadGoldenTriplane } from '../fixtures/golden-triplane.js';

let dir: string;
let triplane: string;
let decoder: string;

/** Writes decoder.json + decoder.bin the way training/distill/export.py does. */
function writeDecoderFiles(folder: string, channels: number, hidden: number, weights: Float32Array): string {
  const layout = decoderLayout({ channels, hidden });
  const starts = [layout.fc1Weight, layout.fc1Bias, layout.fc2Weight, layout.fc2Bias, layout.outWeight,
    layout.outBias];
  const shapes = [[hidden, channels], [hidden], [hidden, hidden], [hidden], [4, hidden], [4]];
  const tensors = Object.fromEntries(
    DECODER_TENSOR_NAMES.map((name, i) => [name, { offset: 4 * starts[i]!, shape: shapes[i] }]),
  );
  const meta = { format: 'scaledreamer-triplane-decoder', version: 1, channels, hidden, activation: 'silu',
    sphere_radius: 0.5, dtype: 'float32', byte_order: 'little', tensors, renderer: { samples: 48, beta: 0.03 } };
  writeFileSync(join(folder, 'decoder.json'), JSON.stringify(meta));
  writeFileSync(join(folder, 'decoder.bin'), new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength));
  return join(folder, 'decoder.json');
}

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) });
  return { code, stdout, stderr };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'scaledreamer-cli-'));
  const golden = loadGoldenTriplane();
  triplane = join(dir, 'planes.bin');
  writeFileSync(triplane, new Uint8Array(golden.planes.buffer));
  decoder = writeDecoderFiles(dir, golden.shape.channels, golden.shape.hidden, golden.decoder);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('scaledreamer generate', () => {
  test('meshes a saved triplane into a .glb that the Khronos validator accepts, with a JSON summary', async () => {
    const output = join(dir, 'out.glb');
    const { code, stdout, stderr } = await cli('generate', 'a red barrel', '-o', output, '--triplane', triplane,
      '--decoder', decoder, '--grid', '32', '--json');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const summary = JSON.parse(stdout);
    expect(summary.vertices).toBeGreaterThan(0);
    expect(summary.faces).toBeGreaterThan(0);
    expect(summary.grid).toBe(32);
    expect(Object.keys(summary.timings)).toEqual(['load_ms', 'decode_ms', 'marching_cubes_ms', 'write_ms', 'total_ms']);
    const report = await validateBytes(new Uint8Array(readFileSync(output)), { writeTimestamp: false });
    expect(report.issues.numErrors).toBe(0);
  });

  test('prints a human summary without --json', async () => {
    const { code, stdout } = await cli('generate', 'a box', '-o', join(dir, 'box.glb'), '--triplane', triplane,
      '--decoder', decoder, '--grid', '16');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^wrote .*box\.glb: \d+ vertices, \d+ faces\n.*total [\d.]+ ms\n$/);
  });

  test.each([
    [['generate', '', '-o', 'x.glb'], 2, /the prompt is empty/],
    [['generate', 'a '.repeat(5000), '-o', 'x.glb'], 2, /10000 characters; at most 1000/],
    [['generate', 'a box', '-o', 'x.glb', '--grid', '0'], 2, /--grid must be an integer in \[2, 256\], got "0"/],
    [['generate', 'a box', '-o', 'x.glb', '--grid', '4096'], 2, /--grid must be an integer in \[2, 256\]/],
    [['generate', 'a box', '-o', 'x.glb', '--refine', 'vsd'], 2, /--refine must be one of asd, sds, csd/],
    [['generate', 'a box', '-o', 'x.glb', '--steps', '5'], 2, /--steps needs --refine/],
    [['generate', 'a box'], 2, /missing -o\/--output/],
    [['generate', 'a box', '-o', 'x.glb', '--colour', 'red'], 2, /Unknown option '--colour'/],
    [['render', 'a box'], 2, /unknown command "render"/],
  ])('bad command line %j: exit %i, one message', async (argv, exitCode, message) => {
    const { code, stdout, stderr } = await cli(...argv);
    expect(code).toBe(exitCode);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  test('an unwritable output path fails before any work, naming the path', async () => {
    const { code, stderr } = await cli('generate', 'a box', '-o', join(dir, 'missing', 'out.glb'), '--triplane',
      triplane, '--decoder', decoder);
    expect(code).toBe(1);
    expect(stderr).toMatch(/cannot write .*missing\/out\.glb: its folder .* \(ENOENT\)/);
    const intoDirectory = await cli('generate', 'a box', '-o', dir, '--triplane', triplane, '--decoder', decoder);
    expect(intoDirectory.stderr).toMatch(/it is a directory/);
  });

  test('NaN or Inf in the triplane is refused, naming the value', async () => {
    const golden = loadGoldenTriplane();
    const planes = golden.planes.slice();
    planes[7] = Number.NaN;
    const bad = join(dir, 'nan.bin');
    writeFileSync(bad, new Uint8Array(planes.buffer));
    const { code, stderr } = await cli('generate', 'a box', '-o', join(dir, 'nan.glb'), '--triplane', bad,
      '--decoder', decoder);
    expect(code).toBe(1);
    expect(stderr).toMatch(/triplane value 7 is NaN/);
  });

  test('a triplane file of the wrong size, or a broken decoder.json, is refused', async () => {
    const short = join(dir, 'short.bin');
    writeFileSync(short, new Uint8Array(100));
    expect((await cli('generate', 'a box', '-o', join(dir, 'a.glb'), '--triplane', short, '--decoder', decoder))
      .stderr).toMatch(/holds 100 bytes, not a float32 \[3, 16, R, R\] triplane/);
    const broken = mkdtempSync(join(dir, 'broken-'));
    writeFileSync(join(broken, 'decoder.json'), JSON.stringify({ format: 'something else' }));
    writeFileSync(join(broken, 'decoder.bin'), new Uint8Array(4));
    const { code, stderr } = await cli('generate', 'a box', '-o', join(dir, 'b.glb'), '--triplane', triplane,
      '--decoder', join(broken, 'decoder.json'));
    expect(code).toBe(1);
    expect(stderr).toMatch(/decoder.json: format must be "scaledreamer-triplane-decoder"/);
  });

  test('without a generator in the pack, generate says what is missing', async () => {
    const pack = join(dir, 'pack');
    mkdirSync(pack);
    writeFileSync(join(pack, 'manifest.json'), JSON.stringify({ format: 'scaledreamer-model-pack', files: {} }));
    const { code, stderr } = await cli('generate', 'a box', '-o', join(dir, 'c.glb'), '--pack', pack);
    expect(code).toBe(1);
    expect(stderr).toMatch(/has no generator.onnx yet .* --triplane FILE/);
  });

  test('--refine is accepted on the command line but not available yet', async () => {
    const { code, stderr } = await cli('generate', 'a box', '-o', join(dir, 'd.glb'), '--refine', 'asd', '--steps',
      '100', '--triplane', triplane, '--decoder', decoder);
    expect(code).toBe(1);
    expect(stderr).toMatch(/--refine asd is not available yet/);
  });
});
