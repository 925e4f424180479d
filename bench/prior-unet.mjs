// @ts-check
/**
 * `npm run bench:prior`: the prior UNet's forward pass per image (at the pack's resolution), onnxruntime-node (2
 * threads) against the PyTorch model it was exported from (same config, batch and threads), measured side by side
 * in rounds so that the shared machine's noise hits both alike. Merges its keys into bench/results.json (BENCH_PRINT_ONLY=1: only prints
 * them, as `npm run eval:prior` uses it).
 * PyTorch runs with OMP_WAIT_POLICY=PASSIVE: on a shared 2-core machine its default spin-waiting threads starve
 * each other (a batch-1 forward took over 1 s that way), which would flatter onnxruntime.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { median, mergeResults } from './results-file.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const PACK = process.env.PACK ?? join(ROOT, 'models', 'default');
const THREADS = 2;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 10);
const BATCHES = [1, 4];

const manifest = JSON.parse(readFileSync(join(PACK, 'manifest.json'), 'utf8'));
const { resolution, camera, text } = manifest.prior;
const session = await ort.InferenceSession.create(join(PACK, 'unet.onnx'), {
  intraOpNumThreads: THREADS,
  interOpNumThreads: 1,
});

/** @param {number} n */
function randomFloats(n) {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.random() * 2 - 1;
  return out;
}

/** @param {number} batch @returns {Promise<number[]>} ms per forward pass */
async function timeOnnx(batch) {
  const feeds = {
    sample: new ort.Tensor('float32', randomFloats(batch * 3 * resolution * resolution), [batch, 3, resolution, resolution]),
    timestep: new ort.Tensor('float32', new Float32Array(batch).fill(500), [batch]),
    encoder_hidden_states: new ort.Tensor('float32', randomFloats(batch * text.max_length * text.hidden_dim), [
      batch,
      text.max_length,
      text.hidden_dim,
    ]),
    camera: new ort.Tensor('float32', randomFloats(batch * camera.dim), [batch, camera.dim]),
  };
  const times = [];
  for (let i = 0; i < REPEATS + 2; i++) {
    const start = performance.now();
    await session.run(feeds);
    if (i >= 2) times.push(performance.now() - start);
  }
  return times;
}

/** @param {number} batch @returns {number[]} */
function timeTorch(batch) {
  const args = ['bench/prior_unet_torch.py', join(PACK, 'manifest.json'), String(batch), String(REPEATS), String(THREADS)];
  const run = spawnSync('/usr/bin/python3', args, { cwd: ROOT, env: { ...process.env, PYTHONPATH: ROOT, OMP_WAIT_POLICY: 'PASSIVE' }, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`PyTorch timing failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '').ms_per_forward;
}

/** @type {Record<string, number>} */
const results = {};
for (const batch of BATCHES) {
  const onnx = [];
  const torch = [];
  for (let round = 0; round < ROUNDS; round++) {
    onnx.push(median(await timeOnnx(batch)) / batch);
    torch.push(median(timeTorch(batch)) / batch);
  }
  results[`unet_ms_per_image_onnx_node_batch${batch}`] = median(onnx);
  results[`unet_ms_per_image_torch_batch${batch}`] = median(torch);
  results[`unet_ratio_onnx_vs_torch_batch${batch}`] = median(onnx) / median(torch);
}
await session.release();
if (!process.env.BENCH_PRINT_ONLY) {
  mergeResults(results, { unet_bench: { threads: THREADS, rounds: ROUNDS, repeats: REPEATS, resolution } });
}
console.log(JSON.stringify(results, null, 2));
