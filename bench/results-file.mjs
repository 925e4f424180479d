// @ts-check
/**
 * bench/results.json is shared by several benchmarks (Node, browser, prior): each merges its own keys into it, so
 * running one bench never erases another's figures. Every write also records when and on what machine.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const RESULTS_PATH = join(dirname(fileURLToPath(import.meta.url)), 'results.json');

/**
 * @param {readonly number[]} values
 * @returns {number}
 */
export function median(values) {
  if (values.length === 0) throw new RangeError('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const at = (/** @type {number} */ i) => /** @type {number} */ (sorted[i]);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? at(mid) : (at(mid - 1) + at(mid)) / 2;
}

/**
 * @param {Record<string, unknown>} figures top-level keys to set
 * @param {Record<string, unknown>} [details] extra sections (configs, splits) to set as they are
 * @param {string} [path] the results file (tests write elsewhere); default bench/results.json
 */
export function mergeResults(figures, details = {}, path = RESULTS_PATH) {
  const previous = existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : {};
  const machine = { cpus: cpus().length, cpu_model: cpus()[0]?.model, memory_gib: Math.round(totalmem() / 2 ** 30), node: process.version };
  const merged = { ...previous, ...figures, ...details, machine, updated: new Date().toISOString() };
  writeFileSync(path, `${JSON.stringify(merged, null, 2)}\n`);
  return merged;
}
