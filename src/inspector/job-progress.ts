/**
 * A job's progress as one fraction and one line of text, for progress bars: the stages before the mesh share the
 * bar by how long they usually take; a refining job gives them only its first tenth and fills the rest step by
 * step, so the bar never moves backwards when refinement starts.
 */
import type { GenerationProgress, GenerationStage } from '../plugin/generation-job.js';

/** Where each stage starts on the bar. Partial: stages added later (refinement) fall back to their steps, or 0. */
const STAGE_START: Readonly<Partial<Record<GenerationStage, number>>> = {
  queued: 0,
  starting: 0.05,
  encoding: 0.3,
  generating: 0.35,
  meshing: 0.55,
  building: 0.9,
  done: 1,
};

/** Human names of the stages. */
const STAGE_TEXT: Readonly<Partial<Record<GenerationStage, string>>> = {
  queued: 'waiting for a worker',
  starting: 'starting the worker',
  encoding: 'reading the prompt',
  generating: 'generating the shape',
  meshing: 'meshing',
  building: 'adding to the scene',
  done: 'done',
};

/** The share of a refining job's bar that the stages up to the first mesh take (they last a second or so). */
const MESH_SHARE_WHEN_REFINING = 0.1;

/** In [0, 1], never decreasing over one job's events. `refines`: whether the job was started with `refine`. */
export function progressFraction(progress: Pick<GenerationProgress, 'stage' | 'step' | 'steps'>,
  refines = false): number {
  const meshShare = refines ? MESH_SHARE_WHEN_REFINING : 1;
  if (progress.steps > 0) {
    const steps = Math.min(1, Math.max(0, progress.step / progress.steps));
    return meshShare + (1 - meshShare) * steps;
  }
  if (progress.stage === 'done') return 1;
  return meshShare * (STAGE_START[progress.stage] ?? 0);
}

/** E.g. "generating the shape (1.2 s)" or "refining: step 12/50, loss 0.0123 (4.0 s)". */
export function progressText(progress: GenerationProgress): string {
  const seconds = `${(progress.elapsedMs / 1000).toFixed(1)} s`;
  if (progress.steps > 0) {
    const loss = progress.loss === null ? '' : `, loss ${progress.loss.toPrecision(3)}`;
    return `${progress.stage}: step ${progress.step}/${progress.steps}${loss} (${seconds})`;
  }
  return `${STAGE_TEXT[progress.stage] ?? progress.stage} (${seconds})`;
}

/** What a failed or cancelled job's error says to a user. */
export function describeJobError(error: unknown): string {
  if (error instanceof DOMException && error.name === 'AbortError') return 'cancelled';
  if (error instanceof Error) {
    switch (error.name) {
      case 'QueueFullError':
        return 'refused: too many jobs are waiting; wait for one to finish or cancel one';
      case 'WorkerCrashedError':
        return 'the generation worker stopped; it has been restarted, so try again';
      default:
        return error.message;
    }
  }
  return String(error);
}
