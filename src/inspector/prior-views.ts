/**
 * The low-resolution views the prior saw at a refinement step, drawn side by side and scaled up with nearest
 * sampling so that a 32x32 view stays legible (and honest about its resolution).
 */
import type { RefineViews } from '../workers/generation-protocol.js';

const SCALE = 3;

export class PriorViews {
  readonly element: HTMLElement;
  private readonly _canvas: HTMLCanvasElement;
  private readonly _caption: HTMLElement;

  constructor() {
    this._canvas = document.createElement('canvas');
    this._canvas.className = 'sd-views-canvas';
    this._canvas.hidden = true;
    this._canvas.setAttribute('role', 'img');
    this._caption = document.createElement('p');
    this._caption.className = 'sd-views';
    this._caption.textContent = 'Views the prior sees appear here during refinement.';
    this.element = document.createElement('div');
    this.element.append(this._canvas, this._caption);
  }

  clear(): void {
    this._canvas.hidden = true;
    this._caption.textContent = 'Views the prior sees appear here during refinement.';
  }

  show(views: RefineViews, step: number): void {
    const { count, side, rgb } = views;
    if (count < 1 || rgb.length !== count * 3 * side * side) return;
    const image = new ImageData(count * side, side);
    const plane = side * side;
    for (let v = 0; v < count; v++) {
      for (let y = 0; y < side; y++) {
        for (let x = 0; x < side; x++) {
          const source = v * 3 * plane + y * side + x;
          const target = 4 * (y * count * side + v * side + x);
          for (let c = 0; c < 3; c++) image.data[target + c] = Math.round(255 * rgb[source + c * plane]!);
          image.data[target + 3] = 255;
        }
      }
    }
    const scratch = document.createElement('canvas');
    scratch.width = image.width;
    scratch.height = image.height;
    scratch.getContext('2d')!.putImageData(image, 0, 0);
    this._canvas.width = image.width * SCALE;
    this._canvas.height = image.height * SCALE;
    const context = this._canvas.getContext('2d')!;
    context.imageSmoothingEnabled = false;
    context.drawImage(scratch, 0, 0, this._canvas.width, this._canvas.height);
    this._canvas.hidden = false;
    const text = `${count} view${count === 1 ? '' : 's'} at ${side}x${side} the prior saw at step ${step}`;
    this._canvas.setAttribute('aria-label', text);
    this._caption.textContent = text;
  }
}
