/**
 * The word-level tokenizer of the Asset World prompts: the TypeScript twin of training/prior/tokenizer.py, which it
 * matches id for id (docs/model-pack.md, "vocab.json"; test vectors in models/default/tokenizer_vectors.json).
 *
 * Encoding: lower-case; put spaces around every ","; split on whitespace; `[<bos>] + ids + [<eos>]`, right-padded
 * with `<pad>` to `maxLength`.
 */

/** The special tokens of a vocabulary, by their strings in vocab.json. */
export interface SpecialTokens {
  readonly pad: string;
  readonly unk: string;
  readonly bos: string;
  readonly eos: string;
}

/** What a tokenizer is made of: vocab.json's `vocab`, `specials` and `max_length`. */
export interface WordTokenizerConfig {
  /** The id of a word is its index here; entries are unique. */
  readonly vocab: readonly string[];
  /** Each must be an entry of `vocab`. */
  readonly specials: SpecialTokens;
  /** Ids per prompt (L), >= 2: BOS, up to L - 2 words, EOS, padding. */
  readonly maxLength: number;
}

/** Options of {@link WordTokenizer.encode}. */
export interface EncodeOptions {
  /**
   * - `'strict'` (default): a word outside the vocabulary throws {@link UnknownWordsError}.
   * - `'lenient'`: such words become `<unk>` and are listed in {@link EncodedPrompt.unknownWords}.
   */
  mode?: 'strict' | 'lenient';
}

/** One encoded prompt. */
export interface EncodedPrompt {
  /** `maxLength` ids. */
  readonly ids: readonly number[];
  /** Words that became `<unk>`, in order of appearance, repeats included; empty in strict mode. */
  readonly unknownWords: readonly string[];
}

/** A prompt with words outside the vocabulary (strict mode). */
export class UnknownWordsError extends Error {
  override readonly name = 'UnknownWordsError';

  constructor(
    readonly prompt: string,
    /** Every unknown word, lower-cased, in order of appearance, repeats included. */
    readonly words: readonly string[],
  ) {
    super(`unknown words in ${JSON.stringify(prompt)}: ${words.join(', ')}`);
  }
}

/** A prompt of more than `maxLength - 2` tokens (both modes). */
export class PromptTooLongError extends Error {
  override readonly name = 'PromptTooLongError';

  constructor(
    readonly prompt: string,
    /** Tokens in the prompt (a "," counts as one). */
    readonly tokens: number,
    /** The most that fit: `maxLength - 2`. */
    readonly maxTokens: number,
  ) {
    super(`${JSON.stringify(prompt)} has ${tokens} tokens; at most ${maxTokens} fit`);
  }
}

/**
 * Python's `str.split()` separators: characters that are Unicode whitespace (category Zs, or bidirectional class
 * WS, B or S). JavaScript's `\s` differs (it adds U+FEFF and lacks U+001C..U+001F and U+0085), so it is spelled out.
 */
const PYTHON_WHITESPACE = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;
const COMMA = ',';

/**
 * Lower-case, "," as its own token, split on whitespace (tokenizer.py `normalise`). `toLowerCase` and Python's
 * `str.lower` are both Unicode's full default lower-casing; they differ only on letters added to Unicode after the
 * Python's version, none of which lower-cases to ASCII, so such words are unknown on both sides.
 */
function normalisePrompt(prompt: string): string[] {
  return prompt
    .toLowerCase()
    .replaceAll(COMMA, ` ${COMMA} `)
    .split(PYTHON_WHITESPACE)
    .filter((word) => word !== '');
}

/** Turns prompts into the `input_ids` of the pack's text encoder. */
export class WordTokenizer {
  readonly vocab: readonly string[];
  readonly maxLength: number;
  readonly padId: number;
  readonly unkId: number;
  readonly bosId: number;
  readonly eosId: number;
  // A Map, not an object: words such as "constructor" must not find Object.prototype's members.
  private readonly _ids: ReadonlyMap<string, number>;
  private readonly _specialIds: ReadonlySet<number>;

  /**
   * @throws {TypeError} if `config.vocab` holds something other than strings.
   * @throws {RangeError} naming the field of `config` that is wrong: a repeated word, a special token missing from
   *   the vocabulary, or `maxLength` not an integer >= 2.
   */
  constructor(config: WordTokenizerConfig) {
    const { vocab, specials, maxLength } = config;
    if (!Number.isInteger(maxLength) || maxLength < 2) {
      throw new RangeError(`config.maxLength must be an integer >= 2, got ${maxLength}`);
    }
    const ids = new Map<string, number>();
    vocab.forEach((word, id) => {
      if (typeof word !== 'string') throw new TypeError(`config.vocab[${id}] must be a string, got ${typeof word}`);
      if (ids.has(word)) throw new RangeError(`config.vocab[${id}] repeats ${JSON.stringify(word)}`);
      ids.set(word, id);
    });
    const idOf = (key: keyof SpecialTokens): number => {
      const id = ids.get(specials[key]);
      if (id === undefined) {
        throw new RangeError(`config.specials.${key} (${JSON.stringify(specials[key])}) is not in config.vocab`);
      }
      return id;
    };
    this.padId = idOf('pad');
    this.unkId = idOf('unk');
    this.bosId = idOf('bos');
    this.eosId = idOf('eos');
    this.vocab = [...vocab];
    this.maxLength = maxLength;
    this._ids = ids;
    this._specialIds = new Set([this.padId, this.unkId, this.bosId, this.eosId]);
  }

  /** A special token typed into a prompt would inject control ids, so it is not a word. */
  private _isWord(word: string): boolean {
    const id = this._ids.get(word);
    return id !== undefined && !this._specialIds.has(id);
  }

  get vocabSize(): number {
    return this.vocab.length;
  }

  /**
   * Encodes one prompt (tokenizer.py `encode_one`). Words are looked up after lower-casing; the special tokens'
   * own strings (`<pad>` ...) are not words, so typing one is an unknown word, as in Python.
   * @throws {TypeError} if `prompt` is not a string, or `options.mode` is not `'strict'` or `'lenient'`.
   * @throws {UnknownWordsError} in strict mode, naming every word outside the vocabulary (checked first, as in Python).
   * @throws {PromptTooLongError} in both modes, for more than `maxLength - 2` tokens.
   */
  encode(prompt: string, options: EncodeOptions = {}): EncodedPrompt {
    if (typeof prompt !== 'string') throw new TypeError(`prompt must be a string, got ${typeof prompt}`);
    const strict = strictMode(options);
    const words = normalisePrompt(prompt);
    const unknownWords = words.filter((word) => !this._isWord(word));
    if (strict && unknownWords.length > 0) throw new UnknownWordsError(prompt, unknownWords);
    const room = this.maxLength - 2;
    if (words.length > room) throw new PromptTooLongError(prompt, words.length, room);
    const ids = [this.bosId, ...words.map((word) => (this._isWord(word) ? this._ids.get(word)! : this.unkId)), this.eosId];
    while (ids.length < this.maxLength) ids.push(this.padId);
    return { ids, unknownWords };
  }

  /**
   * Encodes a batch into the text encoder's `input_ids`: int64 `[prompts.length, maxLength]`, row-major.
   * @throws {TypeError} if `prompts` is not an array of strings, or `options.mode` is invalid.
   * @throws {UnknownWordsError} in strict mode, for the first prompt with unknown words.
   * @throws {PromptTooLongError} for the first prompt that is too long.
   */
  encodeBatch(prompts: readonly string[], options: EncodeOptions = {}): BigInt64Array<ArrayBuffer> {
    if (!Array.isArray(prompts)) throw new TypeError('prompts must be an array of strings');
    const out = new BigInt64Array(prompts.length * this.maxLength);
    prompts.forEach((prompt, row) => {
      const { ids } = this.encode(prompt, options);
      ids.forEach((id, column) => (out[row * this.maxLength + column] = BigInt(id)));
    });
    return out;
  }
}

function strictMode(options: EncodeOptions): boolean {
  const { mode = 'strict' } = options;
  if (mode !== 'strict' && mode !== 'lenient') {
    throw new TypeError(`options.mode must be 'strict' or 'lenient', got ${JSON.stringify(mode)}`);
  }
  return mode === 'strict';
}
