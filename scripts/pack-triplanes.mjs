// @ts-check
/**
 * Runs a model pack's text encoder and generator with onnxruntime-node, so that the Python evaluator measures the
 * exact graphs users get (training/distill/pack_generator.py calls this).
 *
 * Usage: node scripts/pack-triplanes.mjs PACK_DIR IDS_FILE OUT_FILE [--time RUNS]
 *   IDS_FILE: int64 little-endian input_ids [N, L] (L from the manifest); OUT_FILE: float32 triplanes [N, 3, C, R, R].
 *   --time RUNS: also print {"generator_ms": median} of RUNS warm generator forwards for the first prompt alone
 *   (batch 1, 2 threads: the "generator forward per prompt in onnxruntime-node").
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';

const [packDir, idsFile, outFile, timeFlag, timeRuns] = process.argv.slice(2);
if (!packDir || !idsFile || !outFile) {
  console.error('usage: node scripts/pack-triplanes.mjs PACK_DIR IDS_FILE OUT_FILE');
  process.exit(2);
}
const manifest = JSON.parse(readFileSync(join(packDir, 'manifest.json'), 'utf8'));
const fileWithRole = (/** @type {string} */ role) => {
  const name = Object.keys(manifest.files).find((file) => manifest.files[file].role === role);
  if (!name) throw new Error(`${packDir}/manifest.json has no file with role ${role}`);
  return join(packDir, name);
};
const options = { intraOpNumThreads: 2, interOpNumThreads: 1 };
const textEncoder = await ort.InferenceSession.create(fileWithRole('prior.text_encoder'), options);
const generator = await ort.InferenceSession.create(fileWithRole('generator.triplane'), options);

const length = manifest.prior.text.max_length;
const bytes = readFileSync(idsFile);
const ids = new BigInt64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
const count = ids.length / length;
if (!Number.isInteger(count)) throw new Error(`${idsFile}: ${ids.length} ids is not a multiple of L = ${length}`);

const BATCH = 16;
const chunks = [];
for (let start = 0; start < count; start += BATCH) {
  const rows = Math.min(BATCH, count - start);
  const input = new ort.Tensor('int64', ids.subarray(start * length, (start + rows) * length), [rows, length]);
  const { hidden } = await textEncoder.run({ input_ids: input });
  const { triplane } = await generator.run({ text_states: /** @type {ort.Tensor} */ (hidden) });
  if (!triplane) throw new Error('generator.onnx has no output named triplane');
  chunks.push(Buffer.from(/** @type {Float32Array} */ (triplane.data).buffer));
}
writeFileSync(outFile, Buffer.concat(chunks));
if (timeFlag === '--time') {
  const input = new ort.Tensor('int64', ids.subarray(0, length), [1, length]);
  const { hidden } = await textEncoder.run({ input_ids: input });
  const feeds = { text_states: /** @type {ort.Tensor} */ (hidden) };
  await generator.run(feeds);
  const times = [];
  for (let run = 0; run < Number(timeRuns || 5); run += 1) {
    const start = performance.now();
    await generator.run(feeds);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  console.log(JSON.stringify({ generator_ms: times[Math.floor(times.length / 2)] }));
}
await Promise.all([textEncoder.release(), generator.release()]);
