/**
 * `npm run bench` (bench/run.mjs -> bench/node-bench.ts) runs end to end on its tiny configuration and merges its
 * keys into the results file, keeping the keys of other benches. No timing is asserted: figures on a shared
 * machine are for the results file, not for tests.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';

test('the Node bench writes its keys, with machine and date, and keeps the others', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scaledreamer-bench-test-'));
  try {
    const out = join(dir, 'results.json');
    writeFileSync(out, JSON.stringify({ browser_key: 1 }));
    const run = spawnSync(process.execPath, ['bench/run.mjs', '--tiny', '--out', out], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const results = JSON.parse(readFileSync(out, 'utf8'));
    expect(results.browser_key).toBe(1);
    for (const key of ['prompt_to_mesh_ms_node', 'marching_cubes_ratio_vs_peer', 'render_step_ms_cpu',
      'render_step_ms_torch', 'render_step_ratio_vs_torch']) {
      expect(results[key], key).toBeGreaterThan(0);
    }
    expect(Object.keys(results.prompt_to_mesh_node_split)).toEqual(['text_encode_ms', 'generator_ms', 'decode_ms',
      'marching_cubes_ms']);
    expect(results.node_bench.marching_cubes.faces).toBeGreaterThan(0);
    expect(results.machine.cpus).toBeGreaterThan(0);
    expect(Date.parse(results.updated)).not.toBeNaN();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
