import { describe, expect, test } from 'vitest';
import { loadModelPack } from '../../src/pack/model-pack.js';
import { PromptTooLongError, UnknownWordsError, WordTokenizer } from '../../src/text/word-tokenizer.js';
import { DEFAULT_PACK_URL, readPackFile } from '../fixtures/pack-files.js';

/** models/default/tokenizer_vectors.json, written by training/prior/export.py from the Python tokenizer. */
interface TokenizerVectors {
  max_length: number;
  vocab_size: number;
  cases: { prompt: string; ids: number[] }[];
  unknown_words: { prompt: string; lenient_ids: number[]; unknown: string[] }[];
  too_long: string[];
}

const pack = await loadModelPack(DEFAULT_PACK_URL, { read: readPackFile });
const packJson = (path: string): unknown => JSON.parse(new TextDecoder().decode(pack.file(path)));
const vectors = packJson('tokenizer_vectors.json') as TokenizerVectors;
const { tokenizer } = pack.prior;

describe('WordTokenizer vs models/default/tokenizer_vectors.json (the Python tokenizer)', () => {
  test('vocabulary size and length', () => {
    expect(tokenizer.vocabSize).toBe(vectors.vocab_size);
    expect(tokenizer.maxLength).toBe(vectors.max_length);
    expect([tokenizer.padId, tokenizer.unkId, tokenizer.bosId, tokenizer.eosId]).toEqual([0, 1, 2, 3]);
  });

  test.each(vectors.cases)('$prompt', ({ prompt, ids }) => {
    for (const mode of ['strict', 'lenient'] as const) {
      expect(tokenizer.encode(prompt, { mode })).toEqual({ ids, unknownWords: [] });
    }
  });

  test.each(vectors.unknown_words)('unknown words: $prompt', ({ prompt, lenient_ids, unknown }) => {
    expect(tokenizer.encode(prompt, { mode: 'lenient' })).toEqual({ ids: lenient_ids, unknownWords: unknown });
    const error = catchError(() => tokenizer.encode(prompt));
    expect(error).toBeInstanceOf(UnknownWordsError);
    expect((error as UnknownWordsError).words).toEqual(unknown);
    expect((error as UnknownWordsError).prompt).toBe(prompt);
    for (const word of unknown) expect(error.message).toContain(word);
  });

  test.each(vectors.too_long)('too long in both modes: %s', (prompt) => {
    for (const mode of ['strict', 'lenient'] as const) {
      const error = catchError(() => tokenizer.encode(prompt, { mode }));
      expect(error).toBeInstanceOf(PromptTooLongError);
      expect((error as PromptTooLongError).maxTokens).toBe(vectors.max_length - 2);
      expect((error as PromptTooLongError).tokens).toBeGreaterThan(vectors.max_length - 2);
    }
  });

  test('encodeBatch gives the golden input_ids of the golden prompts', () => {
    const golden = packJson('golden/prior.json') as { prompts: string[] };
    const expected = new BigInt64Array(pack.file('golden/prior.input_ids.bin').buffer);
    expect(tokenizer.encodeBatch(golden.prompts)).toEqual(expected);
  });
});

describe('WordTokenizer edge cases (Python semantics)', () => {
  test("splits on exactly Python's str.split() whitespace", () => {
    // U+001C..U+001F and U+0085 separate words in Python but are not \s in JavaScript; U+FEFF is the reverse.
    for (const separator of ['\t', '\n', '\x1c', '\x1f', '\x85', '\xa0', '\u2003', '\u3000']) {
      expect(tokenizer.encode(`a${separator}red rock`).ids).toEqual(tokenizer.encode('a red rock').ids);
    }
    expect(catchError(() => tokenizer.encode('a\ufeffred rock'))).toBeInstanceOf(UnknownWordsError);
  });

  test('lower-cases with Unicode rules and keeps repeated unknown words', () => {
    expect(tokenizer.encode('A \u212Aey rock', { mode: 'lenient' }).unknownWords).toEqual(['key']);
    expect(tokenizer.encode('a foo foo rock', { mode: 'lenient' }).unknownWords).toEqual(['foo', 'foo']);
  });

  test("words that are Object.prototype's members are unknown", () => {
    const error = catchError(() => tokenizer.encode('a constructor __proto__ tostring'));
    expect((error as UnknownWordsError).words).toEqual(['constructor', '__proto__', 'tostring']);
  });

  test('strict mode reports unknown words before length, as Python does', () => {
    const prompt = `${'a red rock '.repeat(8)}dragon`;
    expect(catchError(() => tokenizer.encode(prompt))).toBeInstanceOf(UnknownWordsError);
    expect(catchError(() => tokenizer.encode(prompt, { mode: 'lenient' }))).toBeInstanceOf(PromptTooLongError);
  });

  test('bad arguments fail up front, naming the parameter', () => {
    expect(() => tokenizer.encode(3 as never)).toThrow(TypeError);
    expect(() => tokenizer.encode(3 as never)).toThrow(/prompt/);
    expect(() => tokenizer.encode('a', { mode: 'loose' as never })).toThrow(/options.mode/);
    expect(() => tokenizer.encodeBatch('a red rock' as never)).toThrow(/prompts/);
    const specials = { pad: '<pad>', unk: '<unk>', bos: '<bos>', eos: '<eos>' };
    const vocab = ['<pad>', '<unk>', '<bos>', '<eos>', 'a'];
    expect(() => new WordTokenizer({ vocab, specials, maxLength: 1 })).toThrow(/config.maxLength/);
    expect(() => new WordTokenizer({ vocab: [...vocab, 'a'], specials, maxLength: 4 })).toThrow(/config.vocab\[5\]/);
    expect(() => new WordTokenizer({ vocab: vocab.slice(1), specials, maxLength: 4 })).toThrow(/config.specials.pad/);
  });
});

function catchError(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}
