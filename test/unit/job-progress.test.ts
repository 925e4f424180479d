import { describe, expect, it } from 'vitest';
import { progressFraction } from '../../src/inspector/job-progress.js';
import type { GenerationStage } from '../../src/plugin/generation-job.js';

const stages: GenerationStage[] = ['queued', 'starting', 'encoding', 'generating', 'meshing', 'building'];
const event = (stage: GenerationStage, step = 0, steps = 0) => ({ stage, step, steps });

describe('progressFraction', () => {
  it('never moves backwards when a job goes from meshing to refining', () => {
    const events = [...stages.map((s) => event(s)), ...[0, 1, 25, 50].map((i) => event('refining', i, 50)),
      event('done')];
    const fractions = events.map((e) => progressFraction(e, true));
    for (let i = 1; i < fractions.length; i++) expect(fractions[i]).toBeGreaterThanOrEqual(fractions[i - 1]!);
    expect(fractions[0]).toBe(0);
    expect(fractions.at(-1)).toBe(1);
    // Refinement, the long part, gets most of the bar.
    expect(progressFraction(event('building'), true)).toBeLessThanOrEqual(0.1);
    expect(progressFraction(event('refining', 25, 50), true)).toBeCloseTo(0.55);
  });

  it('spreads a plain generation over the whole bar', () => {
    const fractions = [...stages, 'done' as const].map((s) => progressFraction(event(s)));
    for (let i = 1; i < fractions.length; i++) expect(fractions[i]).toBeGreaterThan(fractions[i - 1]!);
    expect(progressFraction(event('building'))).toBeGreaterThan(0.5);
    expect(fractions.at(-1)).toBe(1);
  });
});
