/**
 * Issue 6 asks that `--refine asd --steps 100` visibly improve the evaluator score of an under-trained generator's
 * output on a fixed seed. The under-trained generator is the 3D-supervised run at step 1,850, the pack's first
 * generator (test/fixtures/undertrained-generator: its generator.onnx and decoder.bin, the same blobs as in the
 * pack's history, on the pack's text encoder, which has not changed since). The refinement is the CLI's
 * (refineTriplaneOnCpu: CPU kernels, the default pack's prior in onnxruntime-node, the default options); the
 * evaluator (training/evaluator, Python) scores the trainer's renders of both triplanes at the evaluation views,
 * through test/fixtures/score_triplanes.py. SCALEDREAMER_REFINE_SHEET=docs/images/refine_before_after.png keeps the
 * contact sheet.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { afterAll, expect, test } from 'vitest';
import { loadModelPack } from '../../src/pack/model-pack.js';
import { refineTriplaneOnCpu } from '../../src/refine/cpu-refine.js';
import type { RefinementOptions } from '../../src/refine/refine-options.js';
import { DEFAULT_PACK_URL, readPackFile } from '../fixtures/pack-files.js';

/** Four categories: one held-out prompt (training/data/prompts/test_500.txt), three of the train split. */
const PROMPTS = ['a red wooden barrel', 'a wide tower with an orange roof', 'a mossy snowman', 'a tall brown tent'];
/** The CLI's `--refine asd --steps 100 --seed 0`, at the plugin's 32x32 views, to bound the time. */
const OPTIONS: RefinementOptions = { method: 'asd', steps: 100, seed: 0, resolution: 32, reportEvery: 25 };
const SCORER = fileURLToPath(new URL('../fixtures/score_triplanes.py', import.meta.url));
const GENERATOR_URL = new URL('../fixtures/undertrained-generator/', import.meta.url);

interface SetScore {
  clip_sim: number;
  r1: number;
  attr_acc: number;
  per_prompt: number[];
}

const pack = await loadModelPack(DEFAULT_PACK_URL, { read: readPackFile, testFiles: 'skip' });
/** The pack's decoder layout (decoder.json is the fixture's too) with the under-trained run's weights. */
const decoder = {
  ...pack.generator!.decoder,
  weights: new Float32Array(readFileSync(new URL('decoder.bin', GENERATOR_URL)).buffer.slice(0) as ArrayBuffer),
};
const sessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1 };
const dir = mkdtempSync(join(tmpdir(), 'scaledreamer-refine-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function generatorPlanes(prompt: string): Promise<Float32Array> {
  const { prior } = pack;
  const textEncoder = await ort.InferenceSession.create(prior.textEncoder, sessionOptions);
  const model = await ort.InferenceSession.create(fileURLToPath(new URL('generator.onnx', GENERATOR_URL)), sessionOptions);
  try {
    const ids = prior.tokenizer.encodeBatch([prompt]);
    const { hidden } = await textEncoder.run({ input_ids: new ort.Tensor('int64', ids, [1, prior.tokenizer.maxLength]) });
    const { triplane } = await model.run({ text_states: hidden! });
    return (await triplane!.getData()) as Float32Array;
  } finally {
    await Promise.all([textEncoder.release(), model.release()]);
  }
}

function score(sets: Record<string, string[]>, sheet: string | null): Record<string, SetScore> {
  const job = join(dir, 'job.json');
  writeFileSync(job, JSON.stringify({ decoder: fileURLToPath(GENERATOR_URL), prompts: PROMPTS, sets, sheet }));
  const run = spawnSync('/usr/bin/python3', [SCORER, job], { encoding: 'utf8', env: { ...process.env,
    OMP_NUM_THREADS: '1' } });
  if (run.status !== 0) throw new Error(`score_triplanes.py failed (${run.status}):\n${run.stderr}`);
  return JSON.parse(run.stdout) as Record<string, SetScore>;
}

test('refine asd --steps 100 (seed 0) improves the evaluator score of an under-trained generator\'s triplanes', async () => {
  const before: string[] = [];
  const after: string[] = [];
  for (const [i, prompt] of PROMPTS.entries()) {
    const planes = await generatorPlanes(prompt);
    const result = await refineTriplaneOnCpu({ ort, prior: pack.prior, decoder, sessionOptions }, planes, prompt,
      OPTIONS);
    before.push(join(dir, `before-${i}.bin`));
    after.push(join(dir, `after-${i}.bin`));
    writeFileSync(before[i]!, planes);
    writeFileSync(after[i]!, result.planes);
    console.log(`${prompt}: loss ${result.losses.map((l) => `${l.step}: ${l.loss.toFixed(2)}`).join(', ')}; ` +
      `${result.msPerStep.toFixed(0)} ms per step`);
  }
  const sheet = process.env.SCALEDREAMER_REFINE_SHEET ?? join(dir, 'refine_before_after.png');
  const scores = score({ 'step-1,850 generator': before, [`after --refine asd --steps ${OPTIONS.steps}`]: after }, sheet);
  const [was, is] = Object.values(scores) as [SetScore, SetScore];
  console.log(`evaluator similarity ${was.clip_sim.toFixed(4)} -> ${is.clip_sim.toFixed(4)} (per prompt ` +
    `${was.per_prompt.map((v) => v.toFixed(4))} -> ${is.per_prompt.map((v) => v.toFixed(4))}), R@1 ${was.r1} -> ` +
    `${is.r1}, attribute accuracy ${was.attr_acc} -> ${is.attr_acc}; sheet ${sheet}`);
  // "Visibly": the mean similarity gains at least 0.1 (the evaluator's own spread between two renders of one
  // asset is ~0.01; measured +0.19 with the step-8,156 and step-16,079 priors), most prompts gain, attribute accuracy rises
  // and retrieval does not get worse.
  expect(is.clip_sim).toBeGreaterThan(was.clip_sim + 0.1);
  expect(is.per_prompt.filter((v, i) => v > was.per_prompt[i]!).length).toBeGreaterThanOrEqual(3);
  expect(is.attr_acc).toBeGreaterThan(was.attr_acc);
  expect(is.r1).toBeGreaterThanOrEqual(was.r1);
}, 1_800_000);
