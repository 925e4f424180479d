/**
 * The HUD's prompt box: an ARIA combobox whose list completes the word being typed from the pack's vocabulary
 * (arrow keys move, Enter or a tap accepts, Escape closes), example prompts as buttons, and a message line that says
 * what is wrong with the prompt as it is typed (unknown words with the nearest known ones, too many words). The line
 * has a fixed height, so messages never move the page.
 */
import { checkPrompt, completeWord, type PromptVocabulary } from 'scaledreamer-babylon/inspector';

export interface PromptBoxElements {
  readonly form: HTMLFormElement;
  readonly input: HTMLInputElement;
  readonly button: HTMLButtonElement;
  readonly suggestions: HTMLUListElement;
  readonly message: HTMLElement;
  readonly examples: HTMLElement;
}

const MAX_SUGGESTIONS = 6;

export class PromptBox {
  private _vocabulary: PromptVocabulary | null = null;
  private _options: string[] = [];
  private _active = -1;
  private _touched = false;

  constructor(
    private readonly _elements: PromptBoxElements,
    /** Called with the prompt when the user submits one that passes the checks. */
    private readonly _onSubmit: (prompt: string) => void,
  ) {
    const { form, input } = _elements;
    input.addEventListener('input', () => {
      this._touched = true;
      this._update();
    });
    input.addEventListener('keydown', (event) => this._onKey(event));
    input.addEventListener('blur', () => setTimeout(() => this._close(), 150));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.submit();
    });
    _elements.suggestions.addEventListener('pointerdown', (event) => {
      // Keep the focus in the input; accept the option under the pointer.
      event.preventDefault();
      const option = (event.target as HTMLElement).closest('li');
      const index = option ? Number(option.dataset.index) : -1;
      if (index >= 0) this._accept(index);
    });
  }

  /** Enables the box with the pack's vocabulary and example prompts. */
  enable(vocabulary: PromptVocabulary, examples: readonly string[]): void {
    this._vocabulary = vocabulary;
    const { input, button } = this._elements;
    input.disabled = false;
    button.disabled = false;
    this._elements.examples.replaceChildren(...examples.map((example) => {
      const chip = document.createElement('button');
      chip.type = 'button';
      chip.textContent = example;
      chip.addEventListener('click', () => {
        input.value = example;
        this._touched = true;
        this._update();
        input.focus();
      });
      return chip;
    }));
  }

  /** Shows `text` under the box (an error in the error colour). */
  say(text: string, kind: 'info' | 'error' = 'info'): void {
    this._elements.message.textContent = text;
    this._elements.message.classList.toggle('error', kind === 'error');
  }

  /** Checks the prompt and hands it on, or says what is wrong and keeps the focus in the box. */
  submit(): void {
    const { input } = this._elements;
    this._close();
    if (!this._vocabulary) {
      this.say('The model pack is still loading; try again in a moment.', 'error');
      return;
    }
    const prompt = input.value.trim().replace(/\s+/g, ' ');
    const { problem } = checkPrompt(prompt, this._vocabulary);
    input.setAttribute('aria-invalid', String(problem !== null));
    if (problem) {
      this.say(problem, 'error');
      input.focus();
      return;
    }
    this._onSubmit(prompt);
  }

  private _update(): void {
    const { input } = this._elements;
    if (!this._vocabulary) return;
    const check = checkPrompt(input.value, this._vocabulary);
    // Unknown words are flagged as soon as they are complete (followed by a space or comma), or on submit.
    const typing = /[^\s,]$/.test(input.value);
    const complete = typing ? check.words.slice(0, -1) : check.words;
    const unknownSoFar = check.unknown.filter((word) => complete.includes(word));
    const problem = check.words.length > check.maxWords || unknownSoFar.length > 0 ? check.problem : null;
    input.setAttribute('aria-invalid', String(problem !== null));
    if (problem) this.say(problem, 'error');
    else if (this._touched) this.say(`${check.words.length} of ${check.maxWords} words. Enter generates.`);

    const prefix = typing ? (check.words.at(-1) ?? '') : '';
    this._options = completeWord(prefix, this._vocabulary, MAX_SUGGESTIONS);
    this._active = -1;
    this._render();
  }

  private _onKey(event: KeyboardEvent): void {
    const open = this._options.length > 0;
    if (event.key === 'ArrowDown' && open) {
      event.preventDefault();
      this._active = (this._active + 1) % this._options.length;
      this._render();
    } else if (event.key === 'ArrowUp' && open) {
      event.preventDefault();
      this._active = (this._active - 1 + this._options.length) % this._options.length;
      this._render();
    } else if (event.key === 'Enter' && open && this._active >= 0) {
      event.preventDefault();
      this._accept(this._active);
    } else if (event.key === 'Escape' && open) {
      event.preventDefault();
      this._close();
    }
  }

  /** Replaces the word being typed with the option, and a space. */
  private _accept(index: number): void {
    const word = this._options[index];
    if (word === undefined) return;
    const { input } = this._elements;
    input.value = input.value.replace(/[^\s,]*$/, `${word} `);
    this._update();
    this._close();
    input.focus();
  }

  private _close(): void {
    this._options = [];
    this._active = -1;
    this._render();
  }

  private _render(): void {
    const { input, suggestions } = this._elements;
    suggestions.replaceChildren(...this._options.map((word, index) => {
      const option = document.createElement('li');
      option.id = `suggestion-${index}`;
      option.role = 'option';
      option.dataset.index = String(index);
      option.textContent = word;
      option.setAttribute('aria-selected', String(index === this._active));
      return option;
    }));
    const open = this._options.length > 0;
    suggestions.hidden = !open;
    input.setAttribute('aria-expanded', String(open));
    if (open && this._active >= 0) input.setAttribute('aria-activedescendant', `suggestion-${this._active}`);
    else input.removeAttribute('aria-activedescendant');
  }
}
