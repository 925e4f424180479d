/** The errors that a generation job can reject with besides the tokenizer's and the pack's (README, "Errors"). */

/** {@link ScaleDreamer.generate} was called while every worker was busy and the queue held `limit` jobs already. */
export class QueueFullError extends Error {
  override readonly name = 'QueueFullError';

  constructor(
    /** The prompt that was refused. */
    readonly prompt: string,
    /** `maxQueuedJobs`. */
    readonly limit: number,
  ) {
    super(`the generation queue is full (${limit} jobs waiting for a worker): ${JSON.stringify(prompt)} was ` +
      'refused; wait for a job to finish, cancel one, or raise the maxQueuedJobs option');
  }
}

/**
 * The worker running a job ended before the job did: it was terminated (by the browser or by other code) or it
 * crashed (e.g. out of memory). The pool has started a replacement; the job can simply be retried.
 */
export class WorkerCrashedError extends Error {
  override readonly name = 'WorkerCrashedError';

  constructor(
    readonly prompt: string,
    /** What is known about the end: the worker's error message, or how the end was noticed. */
    readonly reason: string,
  ) {
    super(`the generation worker running ${JSON.stringify(prompt)} stopped (${reason}); a new worker replaces ` +
      'it, and the job can be retried');
  }
}

/** The `AbortError` of a cancelled job (the same kind that fetch rejects with). */
export function abortError(message: string): DOMException {
  return new DOMException(message, 'AbortError');
}
