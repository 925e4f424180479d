/**
 * A live line plot of a refinement's loss per step on a 2D canvas: the y range follows the data, the latest value is
 * printed, and the canvas carries a text alternative for screen readers (its aria-label) that says the same.
 */

const WIDTH = 240;
const HEIGHT = 72;
const PAD = 4;

export class LossPlot {
  readonly canvas: HTMLCanvasElement;
  private readonly _points: { step: number; loss: number }[] = [];
  private _steps = 0;

  constructor() {
    this.canvas = document.createElement('canvas');
    this.canvas.width = WIDTH;
    this.canvas.height = HEIGHT;
    this.canvas.className = 'sd-loss-plot';
    this.canvas.setAttribute('role', 'img');
    this._draw();
  }

  /** Adds a point (steps: the run's step count, for the x axis). Non-finite losses are skipped. */
  push(step: number, steps: number, loss: number): void {
    if (!Number.isFinite(loss)) return;
    this._steps = Math.max(steps, step, 1);
    this._points.push({ step, loss });
    this._draw();
  }

  clear(): void {
    this._points.length = 0;
    this._steps = 0;
    this._draw();
  }

  get length(): number {
    return this._points.length;
  }

  private _draw(): void {
    const last = this._points.at(-1);
    this.canvas.setAttribute('aria-label', last
      ? `Loss plot: ${this._points.length} steps, latest loss ${last.loss.toPrecision(4)} at step ${last.step}`
      : 'Loss plot: no refinement steps yet');
    const context = this.canvas.getContext('2d');
    if (!context) return;
    const style = getComputedStyle(this.canvas);
    context.clearRect(0, 0, WIDTH, HEIGHT);
    context.strokeStyle = style.borderColor || '#888';
    context.strokeRect(0.5, 0.5, WIDTH - 1, HEIGHT - 1);
    context.fillStyle = style.color || '#ccc';
    context.font = '11px system-ui, sans-serif';
    if (!last) {
      context.fillText('no refinement steps yet', PAD + 2, HEIGHT / 2 + 4);
      return;
    }
    let min = Infinity;
    let max = -Infinity;
    for (const { loss } of this._points) {
      min = Math.min(min, loss);
      max = Math.max(max, loss);
    }
    const span = max - min || Math.abs(max) || 1;
    const x = (step: number): number => PAD + ((WIDTH - 2 * PAD) * step) / this._steps;
    const y = (loss: number): number => HEIGHT - PAD - ((HEIGHT - 2 * PAD - 12) * (loss - min)) / span;
    context.strokeStyle = style.color || '#ccc';
    context.beginPath();
    this._points.forEach(({ step, loss }, index) => {
      if (index === 0) context.moveTo(x(step), y(loss));
      else context.lineTo(x(step), y(loss));
    });
    context.stroke();
    context.fillText(`loss ${last.loss.toPrecision(4)} · step ${last.step}/${this._steps}`, PAD + 2, PAD + 9);
  }
}
