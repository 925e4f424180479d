// @ts-check
/**
 * Samples a model pack's prior with onnxruntime-node (DDIM, classifier-free guidance), so that the Python evaluator
 * measures the exact graphs users get (training/prior/pack_prior.py calls this).
 *
 * Usage: node scripts/pack-prior-samples.mjs PACK_DIR IDS_FILE CAMERA_FILE NOISE_FILE OUT_FILE GUIDANCE STEPS [THREADS]
 *   IDS_FILE: int64 little-endian input_ids [N + 1, L], the last row the unconditional prompt's;
 *   CAMERA_FILE: float32 [N, 4]; NOISE_FILE: float32 x_T [N, 3, R, R]; OUT_FILE: float32 x_0 [N, 3, R, R] in [-1, 1].
 * The sampler is schedule.json's: "leading" DDIM timesteps (t = i T / STEPS, i = STEPS - 1 .. 0), x_0 clipped to
 * [-1, 1] at every step and eps re-derived from it, eps = eps_u + GUIDANCE (eps_c - eps_u).
 * THREADS (default 2): onnxruntime's intra-op threads; 1 when another job shares this 2-core machine (measured: a
 * one-thread training step took 12 s beside a 2-thread sampler, 2.4 s beside a 1-thread one).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';

const [packDir, idsFile, cameraFile, noiseFile, outFile, guidanceArg, stepsArg, threadsArg] = process.argv.slice(2);
if (!packDir || !idsFile || !cameraFile || !noiseFile || !outFile || !guidanceArg || !stepsArg) {
  console.error('usage: node scripts/pack-prior-samples.mjs PACK_DIR IDS_FILE CAMERA_FILE NOISE_FILE OUT_FILE GUIDANCE STEPS [THREADS]');
  process.exit(2);
}
const guidance = Number(guidanceArg);
const steps = Number(stepsArg);
const manifest = JSON.parse(readFileSync(join(packDir, 'manifest.json'), 'utf8'));
const fileWithRole = (/** @type {string} */ role) => {
  const name = Object.keys(manifest.files).find((file) => manifest.files[file].role === role);
  if (!name) throw new Error(`${packDir}/manifest.json has no file with role ${role}`);
  return join(packDir, name);
};
const schedule = JSON.parse(readFileSync(fileWithRole('prior.schedule'), 'utf8'));
/** @type {number[]} */
const alphasCumprod = schedule.alphas_cumprod;
const T = schedule.num_train_timesteps;
const options = { intraOpNumThreads: Number(threadsArg || 2), interOpNumThreads: 1 };
const textEncoder = await ort.InferenceSession.create(fileWithRole('prior.text_encoder'), options);
const unet = await ort.InferenceSession.create(fileWithRole('prior.unet'), options);

const floats = (/** @type {string} */ file) => {
  const bytes = readFileSync(file);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
};
const L = manifest.prior.text.max_length;
const R = manifest.prior.resolution;
const idBytes = readFileSync(idsFile);
const ids = new BigInt64Array(idBytes.buffer.slice(idBytes.byteOffset, idBytes.byteOffset + idBytes.byteLength));
const cameras = floats(cameraFile);
const noise = floats(noiseFile);
const count = ids.length / L - 1;
const pixels = 3 * R * R;
if (cameras.length !== 4 * count || noise.length !== pixels * count) {
  throw new Error(`${count} prompts need ${4 * count} camera values and ${pixels * count} noise values`);
}

const encode = async (/** @type {BigInt64Array} */ rows, /** @type {number} */ n) =>
  /** @type {Float32Array} */ (/** @type {ort.Tensor} */ (
    (await textEncoder.run({ input_ids: new ort.Tensor('int64', rows, [n, L]) })).hidden).data);
const uncond = await encode(ids.subarray(count * L), 1);
const D = uncond.length / L;
const timesteps = Array.from({ length: steps }, (_, i) => (steps - 1 - i) * Math.floor(T / steps));

const BATCH = 32;
const out = new Float32Array(noise.length);
for (let start = 0; start < count; start += BATCH) {
  const n = Math.min(BATCH, count - start);
  const cond = await encode(ids.subarray(start * L, (start + n) * L), n);
  // One UNet batch per step: the n conditional rows, then the same n with the unconditional text.
  const text = new Float32Array(2 * n * L * D);
  text.set(cond);
  for (let row = 0; row < n; row++) text.set(uncond, (n + row) * L * D);
  const camera = new Float32Array(8 * n);
  camera.set(cameras.subarray(4 * start, 4 * (start + n)));
  camera.set(cameras.subarray(4 * start, 4 * (start + n)), 4 * n);
  const x = noise.slice(pixels * start, pixels * (start + n));
  for (const [s, t] of timesteps.entries()) {
    const ab = /** @type {number} */ (alphasCumprod[t]);
    const next = timesteps[s + 1];
    const abPrev = next === undefined ? 1 : /** @type {number} */ (alphasCumprod[next]);
    const sample = new Float32Array(2 * x.length);
    sample.set(x);
    sample.set(x, x.length);
    const { noise: predicted } = await unet.run({
      sample: new ort.Tensor('float32', sample, [2 * n, 3, R, R]),
      timestep: new ort.Tensor('float32', new Float32Array(2 * n).fill(t), [2 * n]),
      encoder_hidden_states: new ort.Tensor('float32', text, [2 * n, L, D]),
      camera: new ort.Tensor('float32', camera, [2 * n, 4]),
    });
    const e = /** @type {Float32Array} */ (/** @type {ort.Tensor} */ (predicted).data);
    const [sa, sb, sap, sbp] = [Math.sqrt(ab), Math.sqrt(1 - ab), Math.sqrt(abPrev), Math.sqrt(1 - abPrev)];
    for (let i = 0; i < x.length; i++) {
      const [xi, conditional, unconditional] = [/** @type {number} */ (x[i]), /** @type {number} */ (e[i]),
        /** @type {number} */ (e[x.length + i])];
      const eps = unconditional + guidance * (conditional - unconditional);
      const x0 = Math.min(1, Math.max(-1, (xi - sb * eps) / sa));
      x[i] = sap * x0 + sbp * ((xi - sa * x0) / sb);
    }
  }
  out.set(x, pixels * start);
}
writeFileSync(outFile, Buffer.from(out.buffer));
await Promise.all([textEncoder.release(), unet.release()]);
