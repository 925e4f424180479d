/**
 * `npm run bench` (Node side, issue 6), on this machine, merged into bench/results.json:
 *
 * - prompt_to_mesh_ms_node: prompt -> mesh with the CLI's own code (NodeGenerator: tokenizer, text encoder and
 *   generator in onnxruntime-node with 1 thread, CPU decoder, marching cubes), median of 5 after a warm-up, at 64^3;
 *   prompt_to_mesh_node_split holds the median of each stage, prompt_to_mesh_first_call_ms_node the warm-up itself
 *   (the sessions exist, V8 has not compiled the loops yet: what a one-shot CLI run pays).
 * - marching_cubes_ratio_vs_peer: our marchingCubesGrid over the barrel's full 64^3 SDF grid against three's
 *   MarchingCubes addon (three.js: maintained, the most used JavaScript 3D library, the marching-cubes code most
 *   JavaScript apps reach for) on the same grid, interleaved, medians; below 1 means ours is faster. Ours welds
 *   vertices and computes normals and is given values; three writes an unshared triangle soup with normals.
 * - render_step_ms_cpu and render_step_ratio_vs_torch: one VolSDF forward + backward (planes and decoder gradients)
 *   at 64x64, S from the pack, on the barrel's triplane, by the CPU kernels and by the trainer's PyTorch renderer
 *   (bench/torch_render_step.py, 1 thread like the kernels) on the same inputs, medians.
 *
 * Run through bench/run.mjs (which bundles this file); `--tiny` runs a seconds-long configuration (tests), `--out
 * FILE` writes elsewhere than bench/results.json.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MarchingCubes } from 'three/examples/jsm/objects/MarchingCubes.js';
import { loadPackFromDisk, NodeGenerator } from '../src/cli/node-generator.js';
import type { OrbitCamera } from '../src/kernels/camera.js';
import { CpuTriplaneField } from '../src/kernels/triplane-cpu.js';
import { CpuTriplaneDecoder } from '../src/kernels/triplane-decode-cpu.js';
import { CpuVolsdfRenderer } from '../src/kernels/volsdf-cpu.js';
import { marchingCubesGrid } from '../src/mesh/marching-cubes.js';
import { median, mergeResults } from './results-file.mjs';

const PYTHON = '/usr/bin/python3';
const PROMPT = 'a red wooden barrel';
const CAMERA: OrbitCamera = { azimuth: 30, elevation: 20, distance: 2.9, fov: 45 };

interface BenchConfig {
  /** Marching-cubes grid points per axis, for prompt -> mesh and the peer comparison. */
  readonly grid: number;
  /** Timed prompt -> mesh runs (after one warm-up). */
  readonly runs: number;
  /** Timed marching-cubes runs of each implementation (after two warm-ups each). */
  readonly marchingCubesRuns: number;
  /** Render image side; samples per ray come from the pack's decoder.json unless given. */
  readonly renderSide: number;
  readonly renderSamples: number | null;
  /** Timed render steps on each side (after one warm-up). */
  readonly renderRuns: number;
}

const FULL: BenchConfig = { grid: 64, runs: 5, marchingCubesRuns: 9, renderSide: 64, renderSamples: null, renderRuns: 3 };
const TINY: BenchConfig = { grid: 16, runs: 1, marchingCubesRuns: 1, renderSide: 8, renderSamples: 8, renderRuns: 1 };

const round = (ms: number): number => Math.round(ms * 100) / 100;

async function promptToMesh(generator: NodeGenerator, config: BenchConfig) {
  // The first call also compiles the hot loops (V8 starts them interpreted): a one-shot CLI pays it every time.
  const firstStart = performance.now();
  await generator.generate(PROMPT, config.grid);
  const firstMs = performance.now() - firstStart;
  const totals: number[] = [];
  const stages: Record<string, number[]> = {};
  let last;
  for (let run = 0; run < config.runs; run++) {
    const start = performance.now();
    last = await generator.generate(PROMPT, config.grid);
    totals.push(performance.now() - start);
    for (const [key, ms] of Object.entries(last.timings)) (stages[key] ??= []).push(ms);
  }
  return {
    firstMs,
    totalMs: median(totals),
    split: Object.fromEntries(Object.entries(stages).map(([key, values]) => [key, round(median(values))])),
    vertices: last!.mesh.positions.length / 3,
    evaluatedPoints: last!.stats.evaluatedPoints,
  };
}

/** The SDF on the full grid (x fastest), as marching cubes' coarse-to-fine pass would see it everywhere. */
function sdfGrid(decoder: CpuTriplaneDecoder, n: number): Float32Array {
  const values = new Float32Array(n ** 3);
  const points = new Float32Array(3 * n * n);
  for (let z = 0; z < n; z++) {
    for (let y = 0, k = 0; y < n; y++) {
      for (let x = 0; x < n; x++, k++) points.set([x, y, z].map((i) => -1 + (2 * i) / (n - 1)), 3 * k);
    }
    decoder.decode(points, n * n, values.subarray(z * n * n, (z + 1) * n * n));
  }
  return values;
}

function marchingCubesVsPeer(values: Float32Array, n: number, runs: number) {
  const peer = new MarchingCubes(n, undefined, false, false, 2 * n ** 3);
  // three's field is inside above the isolation: the negated SDF with isolation 0 is the same surface.
  for (let i = 0; i < values.length; i++) peer.field[i] = -values[i]!;
  peer.isolation = 0;
  const ours: number[] = [];
  const theirs: number[] = [];
  let faces = 0;
  for (let run = -2; run < runs; run++) {
    let start = performance.now();
    faces = marchingCubesGrid(values, { resolution: n }).indices.length / 3;
    if (run >= 0) ours.push(performance.now() - start);
    start = performance.now();
    peer.update();
    if (run >= 0) theirs.push(performance.now() - start);
  }
  return { oursMs: median(ours), peerMs: median(theirs), faces, peerFaces: peer.count / 3 };
}

function renderStep(field: CpuTriplaneField, side: number, samples: number, beta: number, runs: number): number {
  const renderer = new CpuVolsdfRenderer(field, { width: side, height: side, samples, beta });
  const upstream = new Float32Array(3 * side * side).fill(1);
  const planes = new Float64Array(field.planes.length);
  const decoder = new Float64Array(field.decoder.length);
  const times: number[] = [];
  for (let run = -1; run < runs; run++) {
    const start = performance.now();
    renderer.render(CAMERA);
    planes.fill(0);
    decoder.fill(0);
    renderer.backward(CAMERA, upstream, { planes, decoder });
    if (run >= 0) times.push(performance.now() - start);
  }
  return median(times);
}

function torchRenderStep(
  root: string,
  planes: Float32Array,
  weights: Float32Array,
  shape: { channels: number; hidden: number },
  side: number,
  samples: number,
  beta: number,
  runs: number,
): { ms: number; torch: string; threads: number } {
  const dir = mkdtempSync(join(tmpdir(), 'scaledreamer-bench-'));
  try {
    writeFileSync(join(dir, 'planes.bin'), new Uint8Array(planes.buffer, planes.byteOffset, planes.byteLength));
    writeFileSync(join(dir, 'decoder.bin'), new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength));
    const args = ['bench/torch_render_step.py', '--planes', join(dir, 'planes.bin'), '--decoder',
      join(dir, 'decoder.bin'), '--channels', String(shape.channels), '--hidden', String(shape.hidden), '--side',
      String(side), '--samples', String(samples), '--beta', String(beta), '--camera', String(CAMERA.azimuth),
      String(CAMERA.elevation), String(CAMERA.distance), String(CAMERA.fov), '--repeats', String(runs),
      '--threads', '1'];
    // PASSIVE: idle OpenMP threads sleep instead of spinning against the other jobs of a shared machine.
    const result = spawnSync(PYTHON, args, { cwd: root, encoding: 'utf8', env: { ...process.env, OMP_WAIT_POLICY:
      'PASSIVE' } });
    if (result.status !== 0) throw new Error(`torch_render_step.py failed: ${result.stderr || result.error}`);
    const out = JSON.parse(result.stdout.trim().split('\n').pop()!) as { times_ms: number[]; torch: string;
      threads: number };
    return { ms: median(out.times_ms), torch: out.torch, threads: out.threads };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * @param argv `--tiny`, `--out FILE`.
 * @param root the repository (bench/run.mjs passes it: this file runs from a bundle elsewhere).
 */
export async function main(argv: readonly string[], root: string): Promise<void> {
  const { values: flags } = parseArgs({ args: [...argv], options: { tiny: { type: 'boolean' }, out: { type: 'string' } } });
  const config = flags.tiny ? TINY : FULL;
  // The machine is shared: its load when the bench started says how far the figures are from an idle machine's.
  const loadAtStart = loadavg()[0]!;
  const out = flags.out ?? join(root, 'bench', 'results.json');
  const pack = await loadPackFromDisk(join(root, 'models', 'default'));
  const generator = await NodeGenerator.create(pack, { threads: 1 });
  try {
    const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
    const mesh = await promptToMesh(generator, config);
    log(`prompt -> mesh at ${config.grid}^3: ${round(mesh.totalMs)} ms (median of ${config.runs}) ` +
      JSON.stringify(mesh.split));

    const { planes } = await generator.triplane(PROMPT);
    const { shape, weights, renderer } = generator.decoder;
    const values = sdfGrid(new CpuTriplaneDecoder(shape, planes, weights), config.grid);
    const mc = marchingCubesVsPeer(values, config.grid, config.marchingCubesRuns);
    log(`marching cubes on the same ${config.grid}^3 grid: ours ${round(mc.oursMs)} ms, three ${round(mc.peerMs)} ms`);

    const samples = config.renderSamples ?? renderer.samples;
    const field = new CpuTriplaneField(shape, planes, weights);
    const cpuMs = renderStep(field, config.renderSide, samples, renderer.beta, config.renderRuns);
    const torch = torchRenderStep(root, planes, weights, shape, config.renderSide, samples, renderer.beta, config.renderRuns);
    log(`render step ${config.renderSide}x${config.renderSide}, S = ${samples}: CPU kernels ${round(cpuMs)} ms, ` +
      `PyTorch ${round(torch.ms)} ms`);

    mergeResults(
      {
        prompt_to_mesh_ms_node: round(mesh.totalMs),
        prompt_to_mesh_node_split: mesh.split,
        prompt_to_mesh_first_call_ms_node: round(mesh.firstMs),
        marching_cubes_ratio_vs_peer: round(mc.oursMs / mc.peerMs),
        render_step_ms_cpu: round(cpuMs),
        render_step_ms_torch: round(torch.ms),
        render_step_ratio_vs_torch: round(cpuMs / torch.ms),
      },
      {
        node_bench: {
          prompt: PROMPT,
          grid: config.grid,
          runs: config.runs,
          onnxruntime_threads: 1,
          vertices: mesh.vertices,
          evaluated_points: mesh.evaluatedPoints,
          marching_cubes: {
            peer: 'three (examples/jsm/objects/MarchingCubes.js)',
            ours_ms: round(mc.oursMs),
            peer_ms: round(mc.peerMs),
            runs: config.marchingCubesRuns,
            faces: mc.faces,
            peer_faces: mc.peerFaces,
          },
          render_step: {
            side: config.renderSide,
            samples,
            plane_resolution: shape.resolution,
            channels: shape.channels,
            hidden: shape.hidden,
            gradients: 'planes and decoder',
            runs: config.renderRuns,
            torch: torch.torch,
            torch_threads: torch.threads,
          },
          load_average_1m_at_start: round(loadAtStart),
          load_average_1m_at_end: round(loadavg()[0]!),
          date: new Date().toISOString(),
        },
      },
      out,
    );
    log(`merged into ${out}`);
  } finally {
    await generator.release();
  }
}
