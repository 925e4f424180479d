/**
 * Prompt checks for editors, as the user types: which words the pack's vocabulary lacks (with the nearest words it
 * has), whether the prompt is empty or too long, and completions of a word being typed. The plugin's tokenizer stays
 * the authority when generating; these give the same verdicts early, with messages meant for people.
 */

/** What the checks need of a tokenizer (`scaleDreamer.pack.prior.tokenizer`). */
export interface PromptVocabulary {
  /** Words, punctuation and special tokens (`<pad>` ...); the latter are never suggested. */
  readonly vocab: readonly string[];
  /** Tokens per prompt, BOS and EOS included. */
  readonly maxLength: number;
}

/** The verdict on one prompt. */
export interface PromptCheck {
  /** Tokens as the tokenizer splits them: lower-cased, "," on its own. */
  readonly words: readonly string[];
  /** Distinct words outside the vocabulary, in order of appearance. */
  readonly unknown: readonly string[];
  /** For each unknown word, up to three vocabulary words spelled like it. */
  readonly suggestions: ReadonlyMap<string, readonly string[]>;
  /** The most tokens a prompt may have. */
  readonly maxWords: number;
  /** What stops the prompt from generating, for the user; null when it can go. */
  readonly problem: string | null;
}

/** Lower-case, "," as its own token, split on whitespace (as src/text/word-tokenizer.ts, for display). */
export function promptWords(prompt: string): string[] {
  return prompt.toLowerCase().replaceAll(',', ' , ').split(/\s+/u).filter((word) => word !== '');
}

/** The vocabulary's words, without special tokens. */
export function vocabularyWords(vocabulary: PromptVocabulary): string[] {
  return vocabulary.vocab.filter((word) => !/^<.*>$/.test(word));
}

export function checkPrompt(prompt: string, vocabulary: PromptVocabulary): PromptCheck {
  const known = new Set(vocabularyWords(vocabulary));
  const words = promptWords(prompt);
  const unknown = [...new Set(words.filter((word) => !known.has(word)))];
  const suggestions = new Map(unknown.map((word) => [word, nearestWords(word, [...known])]));
  const maxWords = vocabulary.maxLength - 2;
  let problem: string | null = null;
  if (words.length === 0) {
    problem = 'Type a prompt first: a few words such as "a red wooden barrel".';
  } else if (unknown.length > 0) {
    const listed = unknown.map((word) => {
      const near = suggestions.get(word) ?? [];
      return near.length > 0 ? `"${word}" (did you mean ${near.map((n) => `"${n}"`).join(' or ')}?)` : `"${word}"`;
    });
    problem = `The model does not know ${unknown.length === 1 ? 'the word' : 'the words'} ${listed.join(', ')}. ` +
      'It knows only the words of its pack.';
  } else if (words.length > maxWords) {
    problem = `The prompt has ${words.length} words; the model reads at most ${maxWords}. ` +
      `Remove ${words.length - maxWords}.`;
  }
  return { words, unknown, suggestions, maxWords, problem };
}

/** Vocabulary words that start with `prefix` (lower-cased), shortest first; none for an empty prefix. */
export function completeWord(prefix: string, vocabulary: PromptVocabulary, limit = 8): string[] {
  const start = prefix.toLowerCase();
  if (start === '') return [];
  return vocabularyWords(vocabulary)
    .filter((word) => word.startsWith(start) && word !== start && word !== ',')
    .sort((a, b) => a.length - b.length || a.localeCompare(b))
    .slice(0, limit);
}

/** Up to `limit` words within edit distance max(1, length / 3) of `word`, nearest first. */
export function nearestWords(word: string, candidates: readonly string[], limit = 3): string[] {
  const budget = Math.max(1, Math.floor(word.length / 3));
  return candidates
    .map((candidate) => ({ candidate, distance: editDistance(word, candidate) }))
    .filter(({ distance }) => distance <= budget)
    .sort((a, b) => a.distance - b.distance || a.candidate.localeCompare(b.candidate))
    .slice(0, limit)
    .map(({ candidate }) => candidate);
}

/** Levenshtein distance (insert, delete, substitute; each costs 1), one row at a time. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitute = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      row.push(Math.min(previous[j]! + 1, row[j - 1]! + 1, substitute));
    }
    previous = row;
  }
  return previous[b.length]!;
}
