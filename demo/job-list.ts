/**
 * The HUD's job list: one entry per job (new assets, regenerations, refinements) with its prompt, a progress bar,
 * what it is doing, and a Cancel button; a finished job's entry leaves after a few seconds, a failed one stays with
 * its reason until dismissed.
 */
import type { AssetJob } from 'scaledreamer-babylon/persistence';
import { describeJobError, progressFraction, progressText } from 'scaledreamer-babylon/inspector';

const DONE_LINGER_MS = 4000;
const KIND_TEXT = { generate: '', regenerate: 'regenerating: ', refine: 'refining: ' } as const;

export class JobList {
  private _pending = 0;

  constructor(private readonly _list: HTMLOListElement) {}

  /** Jobs not yet ended. */
  get pending(): number {
    return this._pending;
  }

  add(job: AssetJob): void {
    this._pending++;
    const item = document.createElement('li');
    item.dataset.jobId = String(job.job.id);
    const prompt = document.createElement('span');
    prompt.className = 'job-prompt';
    prompt.textContent = `${KIND_TEXT[job.kind]}${job.job.prompt}`;
    const progress = document.createElement('progress');
    progress.max = 1;
    progress.value = 0;
    progress.setAttribute('aria-label', `Progress of ${job.job.prompt}`);
    const text = document.createElement('span');
    text.className = 'job-text';
    text.textContent = 'waiting for a worker';
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = 'Cancel';
    button.setAttribute('aria-label', `Cancel ${job.job.prompt}`);
    button.addEventListener('click', () => job.job.cancel());
    item.append(prompt, progress, text, button);
    this._list.append(item);

    job.job.onProgressObservable.add((update) => {
      progress.value = progressFraction(update, job.kind === 'refine');
      text.textContent = progressText(update);
    });
    const settle = (message: string, failed: boolean): void => {
      this._pending--;
      progress.value = failed ? 0 : 1;
      text.textContent = message;
      text.classList.toggle('error', failed);
      button.textContent = 'Dismiss';
      button.setAttribute('aria-label', `Dismiss ${job.job.prompt}`);
      button.onclick = () => item.remove();
      if (!failed) setTimeout(() => item.remove(), DONE_LINGER_MS);
    };
    job.asset.then(
      (asset) => settle(`placed: ${asset.metadata.vertices} vertices in ` +
        `${(asset.metadata.timings.endToEndMs / 1000).toFixed(1)} s`, false),
      (error: unknown) => settle(describeJobError(error), !(error instanceof DOMException && error.name === 'AbortError')),
    );
  }
}
