import { expect, test } from 'vitest';
import {
  addResourceCounts,
  countCreated,
  countReleased,
  readResourceCounts,
  RESOURCE_COUNTS_KEY,
  type ResourceCounts,
} from '../../src/workers/resource-counters.js';

test('counts live in one table per context, on globalThis under the registered symbol, which others may feed', () => {
  const before = readResourceCounts();
  const base = before['ortSession'] ?? { created: 0, released: 0 };
  countCreated('ortSession');
  countCreated('ortSession');
  countReleased('ortSession');
  // Instrumentation loaded elsewhere (no import of this module) adds its own kind to the same table.
  const table = (globalThis as unknown as Record<symbol, ResourceCounts>)[Symbol.for(RESOURCE_COUNTS_KEY)]!;
  (table['gpuBuffer'] ??= { created: 0, released: 0 }).created += 3;
  const after = readResourceCounts();
  expect(after['ortSession']).toEqual({ created: base.created + 2, released: base.released + 1 });
  expect(after['gpuBuffer']!.created).toBe((before['gpuBuffer']?.created ?? 0) + 3);
  // A copy: changing it leaves the table alone.
  after['ortSession']!.created = -1;
  expect(readResourceCounts()['ortSession']!.created).toBe(base.created + 2);
});

test('addResourceCounts sums tables kind by kind', () => {
  const total = [
    { ortSession: { created: 2, released: 0 }, gpuDevice: { created: 1, released: 1 } },
    { ortSession: { created: 2, released: 1 } },
  ].reduce<ResourceCounts>(addResourceCounts, {});
  expect(total).toEqual({ ortSession: { created: 4, released: 1 }, gpuDevice: { created: 1, released: 1 } });
});
