/**
 * Counts of what a worker creates and releases (onnxruntime sessions, GPU devices, GPU buffers), so that leaks show as
 * a growing `created - released` (the 50-generation test in test/browser/plugin-soak.test.ts, or an app's own checks
 * through `ScaleDreamer.getResourceCountsAsync()`).
 *
 * The table is one per JavaScript context, kept on `globalThis` under a registered symbol rather than in this module:
 * the worker bundles of dist/ each carry their own copy of this module, and instrumentation loaded before them (a
 * test counting every GPUBuffer that onnxruntime makes) must add to the same table without importing anything.
 */

/** How many of one kind of resource were created and released in a context; `created - released` are live. */
export interface ResourceCount {
  created: number;
  released: number;
}

/**
 * Counts by kind. The kinds counted by this package: `ortSession` (onnxruntime-web InferenceSession),
 * `gpuDevice` (a GPUDevice the worker requested) and `bandWorker` (a refinement's band worker, refine-band-workers.ts); instrumentation may add others (e.g. `gpuBuffer`).
 */
export type ResourceCounts = Record<string, ResourceCount>;

/** The kinds this package counts itself. */
export type ResourceKind = 'ortSession' | 'gpuDevice' | 'bandWorker';

/** Where the table lives: `globalThis[Symbol.for(RESOURCE_COUNTS_KEY)]`. */
export const RESOURCE_COUNTS_KEY = 'scaledreamer.resourceCounts';

const key = Symbol.for(RESOURCE_COUNTS_KEY);

function table(): ResourceCounts {
  const holder = globalThis as { [key]?: ResourceCounts };
  return (holder[key] ??= {});
}

function entry(kind: string): ResourceCount {
  return (table()[kind] ??= { created: 0, released: 0 });
}

/** Records that one `kind` was created. */
export function countCreated(kind: ResourceKind): void {
  entry(kind).created++;
}

/** Records that one `kind` was released (destroyed, disposed). */
export function countReleased(kind: ResourceKind): void {
  entry(kind).released++;
}

/** A copy of this context's counts. */
export function readResourceCounts(): ResourceCounts {
  return Object.fromEntries(Object.entries(table()).map(([kind, count]) => [kind, { ...count }]));
}

/** Adds `counts` into `total`, kind by kind (to sum several workers' tables). */
export function addResourceCounts(total: ResourceCounts, counts: ResourceCounts): ResourceCounts {
  for (const [kind, { created, released }] of Object.entries(counts)) {
    const sum = (total[kind] ??= { created: 0, released: 0 });
    sum.created += created;
    sum.released += released;
  }
  return total;
}
