// @ts-check
/**
 * `npm run bench:browser` (issue 7): the plugin in headless Chromium, served cross-origin isolated by
 * scripts/serve.mjs from build/ (`npm run build:site` first; the npm script does it), merged into bench/results.json:
 *
 * - prompt_to_mesh_ms_browser_wasm: generate() -> the mesh in a Babylon scene (WebGL engine, render loop running),
 *   WASM backend with 2 onnxruntime threads, at the default 64^3, median of 5 after a warm-up job
 *   (test/browser/pages/bench-generate.ts);
 * - prompt_to_mesh_ms_browser_webgpu: the same on the WebGPU backend, which here is SwiftShader (a CPU
 *   implementation of WebGPU: a correctness path, far slower than any GPU), median of 3;
 * - longest_main_thread_task_ms: the longest main-thread task during the 5 WASM jobs, by its CPU time (the
 *   renderer's main thread in a Chrome trace, 'toplevel' tasks between the page's console.timeStamp marks). Wall
 *   times are in browser_bench too (PerformanceObserver 'longtask' entries, >= 50 ms), with the same while idle:
 *   on a shared 2-core machine they mostly measure how long the main thread waited for a core, not its work.
 *
 * - asd_step_ms_browser_wasm: one refinement step (generate() with `refine: { method: 'asd' }`, views at the
 *   plugin's default 32x32, WASM with 2 onnxruntime threads, cross-origin isolated), median of the intervals between
 *   the job's progress events on the main thread over steps 2 .. N-1 (step 1 encodes the view prompts and creates
 *   the UNet session; the last one remeshes), 12 steps (test/browser/pages/plugin-refine-bench.ts), pooled over 3
 *   runs with the default refine.threads (the worker and a band worker per other core), each followed by a run with
 *   refine.threads = 1 (the worker alone): their ratio is browser_bench_refine.speedup_vs_one_thread. The worker's
 *   own mean and its split by stage (render, UNet, update) are in browser_bench_refine, with a run at the prior's
 *   resolution when it is not 32.
 *
 * `--tiny` runs a seconds-long configuration (grid 16, 1 run each; 4 refinement steps, 1 pair); `--out FILE` writes
 * elsewhere; `--refine-only` runs (and merges) the refinement figures alone.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { BASE_FLAGS, CHROMIUM } from '../scripts/chromium.mjs';
import { startServer } from '../scripts/serve.mjs';
import { median, mergeResults, RESULTS_PATH } from './results-file.mjs';

const SITE_ROOT = new URL('../build/', import.meta.url);

const { values: args } = parseArgs({
  options: {
    tiny: { type: 'boolean', default: false },
    out: { type: 'string', default: RESULTS_PATH },
    'refine-only': { type: 'boolean', default: false },
  },
});
const config = args.tiny
  ? { grid: 16, wasmRuns: 1, webgpuRuns: 1, refineSteps: 4, refineRuns: 1, refineStepsAtPrior: 3 }
  : { grid: 64, wasmRuns: 5, webgpuRuns: 3, refineSteps: 12, refineRuns: 3, refineStepsAtPrior: 5 };

const round = (/** @type {number} */ ms) => Math.round(ms * 100) / 100;

/** The page's marks around the timed jobs (test/browser/pages/bench-generate.ts). */
const TRACE_MARK = 'scaledreamer-bench:jobs';

/**
 * The main-thread tasks of a Chrome trace between the page's marks: wall and CPU (thread) milliseconds of each.
 * @param {{ traceEvents: any[] }} trace
 */
function mainThreadTasks(trace) {
  const marks = trace.traceEvents.filter((event) => event.name === 'TimeStamp' &&
    String(event.args?.data?.message ?? '').startsWith(TRACE_MARK));
  const start = marks.find((event) => event.args.data.message === `${TRACE_MARK}:start`);
  const end = marks.find((event) => event.args.data.message === `${TRACE_MARK}:end`);
  if (!start || !end) throw new Error(`the trace has no ${TRACE_MARK} marks`);
  return trace.traceEvents
    .filter((event) => event.ph === 'X' && event.pid === start.pid && event.tid === start.tid &&
      event.name === 'ThreadControllerImpl::RunTask' && event.ts >= start.ts && event.ts + event.dur <= end.ts)
    // A task's thread time cannot exceed its wall time; where the trace says it does (a clock artefact seen on
    // sub-millisecond tasks), the wall time bounds it.
    .map((event) => ({
      wallMs: event.dur / 1000,
      cpuMs: Math.min(event.tdur ?? event.dur, event.dur) / 1000,
      hasCpu: 'tdur' in event,
    }));
}

/**
 * Opens the benchmark page in a fresh Chromium and returns its report, with the main thread's tasks from a trace
 * when `trace` is set.
 * @param {{ webgpu: boolean, query: string, trace?: boolean, name?: string }} options
 */
async function runPage({ webgpu, query, trace = false, name = 'bench-generate' }) {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...BASE_FLAGS, ...(webgpu ? ['--enable-unsafe-webgpu'] : [])],
  });
  try {
    const page = await browser.newPage();
    /** @type {string[]} */
    const logs = [];
    page.on('console', (message) => logs.push(`[${message.type()}] ${message.text()}`));
    page.on('pageerror', (error) => logs.push(`[pageerror] ${error.message}`));
    if (trace) await browser.startTracing(page, { categories: ['toplevel', 'devtools.timeline'] });
    await page.goto(`${site.url}${name}.html?${query}`);
    await page.waitForFunction(() => /** @type {{ pageResult?: unknown }} */ (window).pageResult !== undefined, null, {
      timeout: 0,
    });
    try {
      const report = /** @type {any} */ (await page.evaluate(() => /** @type {{ pageResult?: unknown }} */ (window)
        .pageResult));
      if (trace) report.tasks = mainThreadTasks(JSON.parse((await browser.stopTracing()).toString('utf8')));
      return report;
    } catch (error) {
      throw new Error(`${name}.html?${query} failed: ${String(error)}\n${logs.join('\n')}`, { cause: error });
    }
  } finally {
    await browser.close();
  }
}

if (!existsSync(new URL('bench-generate.html', SITE_ROOT))) {
  throw new Error('build/ has no benchmark page: run `npm run build:site` first (npm run bench:browser does)');
}
const site = await startServer({ root: SITE_ROOT.pathname });
const loadAtStart = loadavg()[0];

/**
 * The refinement figures: 32x32 views (the plugin's default) for the key, and views at the pack's prior resolution R
 * for the record when R is not 32.
 * @returns {Promise<{ figures: Record<string, number>, details: Record<string, unknown> }>}
 */
async function refineBench() {
  /** @param {number} resolution @param {number} steps @param {number | null} refineThreads */
  const one = async (resolution, steps, refineThreads = null) => {
    const report = /** @type {any} */ (await runPage({
      webgpu: false,
      name: 'plugin-refine-bench',
      query: `threads=2&steps=${steps}&resolution=${resolution}` +
        (refineThreads === null ? '' : `&refineThreads=${refineThreads}`),
    }));
    if (report.backend !== 'wasm') throw new Error(`the refinement ran on ${report.backend}`);
    return report;
  };
  const priorResolution = JSON.parse(readFileSync(new URL('../models/default/manifest.json', import.meta.url), 'utf8'))
    .prior.resolution;
  // Side by side: the default (the worker and a band worker per other core) and the worker alone, alternated.
  /** @type {any[]} */
  const shared = [];
  /** @type {any[]} */
  const alone = [];
  for (let run = 0; run < config.refineRuns; run++) {
    shared.push(await one(32, config.refineSteps));
    alone.push(await one(32, config.refineSteps, 1));
  }
  const atPrior = priorResolution === 32 ? null : await one(priorResolution, config.refineStepsAtPrior);
  /** @param {any[]} reports */
  const stepMedian = (reports) => median(reports.flatMap((report) => report.stepMs));
  /** @param {any} report */
  const summary = (report) => ({
    steps: report.steps,
    resolution: report.resolution,
    method: report.method,
    onnxruntime_threads: report.threads,
    refine_threads: report.refineThreads,
    cross_origin_isolated: report.crossOriginIsolated,
    step_ms_median: round(median(report.stepMs)),
    step_ms_each: report.stepMs.map(round),
    first_step_ms: round(report.firstStepMs),
    last_step_with_remesh_ms: round(report.lastStepWithRemeshMs),
    worker_ms_per_step_mean: round(report.workerMsPerStep),
    worker_stage_ms_per_step: Object.fromEntries(Object.entries(report.workerStageMsPerStep)
      .map(([key, ms]) => [key, round(/** @type {number} */ (ms))])),
    losses: report.losses.map((/** @type {number} */ loss) => Math.round(loss * 1e4) / 1e4),
  });
  return {
    figures: { asd_step_ms_browser_wasm: round(stepMedian(shared)) },
    details: {
      measured: 'generate(prompt, { refine: { method: "asd" } }) on the default pack, 48 samples per ray, 1 view per ' +
        'step, CPU kernels in the worker (and its band workers) + the UNet on onnxruntime-web WASM; the median ' +
        'interval between the job\'s refining events over steps 2 .. N-1, pooled over the runs',
      step_ms_median_one_thread: round(stepMedian(alone)),
      speedup_vs_one_thread: round(stepMedian(alone) / stepMedian(shared)),
      at_32: shared.map(summary),
      at_32_one_thread: alone.map(summary),
      ...(atPrior ? { [`at_${priorResolution}`]: summary(atPrior) } : {}),
    },
  };
}

try {
  if (args['refine-only']) {
    const refine = await refineBench();
    const details = { browser_bench_refine: { ...refine.details, load_average_1m_at_start: round(loadAtStart),
      load_average_1m_at_end: round(loadavg()[0]), tiny: args.tiny, date: new Date().toISOString() } };
    mergeResults(refine.figures, details, args.out);
    console.log(JSON.stringify({ ...refine.figures, ...details }, null, 2));
    console.log(`merged into ${args.out}`);
  } else {
    await fullBench();
  }
} finally {
  await site.close();
}

/** Generation on both backends, the main thread's tasks, and the refinement figures. */
async function fullBench() {
  const wasm = /** @type {any} */ (await runPage({
    webgpu: false,
    query: `backend=wasm&threads=2&grid=${config.grid}&runs=${config.wasmRuns}`,
    trace: true,
  }));
  const webgpu = /** @type {any} */ (await runPage({
    webgpu: true,
    query: `backend=webgpu&grid=${config.grid}&runs=${config.webgpuRuns}`,
  }));
  for (const [name, report] of [['wasm', wasm], ['webgpu', webgpu]]) {
    if (report.backends.length !== 1 || report.backends[0] !== name) {
      throw new Error(`the ${name} run ran on ${report.backends.join(', ')}`);
    }
  }
  /** @param {{ longTasks: number[] }} watch the longest long task, 0 when none reached 50 ms */
  const longest = (watch) => round(Math.max(0, ...watch.longTasks));
  /** @param {any} report */
  const summary = (report) => ({
    runs: report.inSceneMs.length,
    grid: report.grid,
    onnxruntime_threads: report.threads,
    cross_origin_isolated: report.crossOriginIsolated,
    adapter: report.info.adapter,
    startup_ms: round(report.startupMs),
    warm_up_job_ms: round(report.warmUpMs),
    prompt_to_mesh_ms_each: report.inSceneMs.map(round),
    prompt_to_first_frame_ms: round(median(report.drawnMs)),
    vertices: report.vertices,
    stage_medians_ms: Object.fromEntries(Object.entries(report.stages).map(([key, ms]) => [key, round(ms)])),
    long_tasks_ms: report.during.longTasks.map(round),
    main_thread_work_per_job_ms: report.mainThreadMs.map(round),
  });
  /** @type {{ wallMs: number, cpuMs: number, hasCpu: boolean }[]} */
  const tasks = wasm.tasks;
  if (tasks.length === 0 || !tasks.every((task) => task.hasCpu)) {
    throw new Error('the trace has no main-thread tasks with CPU times (tdur)');
  }
  const longestByCpu = tasks.reduce((a, b) => (b.cpuMs > a.cpuMs ? b : a));
  const refine = await refineBench();
  const figures = {
    prompt_to_mesh_ms_browser_wasm: round(median(wasm.inSceneMs)),
    prompt_to_mesh_ms_browser_webgpu: round(median(webgpu.inSceneMs)),
    longest_main_thread_task_ms: round(longestByCpu.cpuMs),
    ...refine.figures,
  };
  const details = {
    browser_bench: {
      chromium: execFileSync(CHROMIUM, ['--version'], { encoding: 'utf8' }).trim(),
      prompts: 'rotating: a red wooden barrel, a green cactus, a yellow mushroom, a blue tent, a purple crystal',
      measured: 'generate() -> job.mesh resolved (mesh in the scene); medians after one warm-up job',
      webgpu_note: 'WebGPU here is SwiftShader, a CPU implementation: not a GPU figure',
      longest_main_thread_task: {
        cpu_ms: round(longestByCpu.cpuMs),
        wall_ms: round(longestByCpu.wallMs),
        tasks_traced: tasks.length,
        tasks_over_50ms_cpu: tasks.filter((task) => task.cpuMs >= 50).length,
        longest_wall_ms: round(Math.max(...tasks.map((task) => task.wallMs))),
        longest_long_task_wall_ms: longest(wasm.during),
      },
      wasm: summary(wasm),
      webgpu: summary(webgpu),
      idle_longest_main_thread_task_ms: longest(wasm.idle),
      idle_long_tasks_ms: wasm.idle.longTasks.map(round),
      load_average_1m_at_start: round(loadAtStart),
      load_average_1m_at_end: round(loadavg()[0]),
      tiny: args.tiny,
      date: new Date().toISOString(),
    },
    browser_bench_refine: refine.details,
  };
  mergeResults(figures, details, args.out);
  console.log(JSON.stringify({ ...figures, ...details }, null, 2));
  console.log(`merged into ${args.out}`);
}

