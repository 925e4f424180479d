import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import {
  checkPrompt,
  completeWord,
  editDistance,
  nearestWords,
  promptWords,
} from '../../src/inspector/prompt-words.js';
import { WordTokenizer } from '../../src/text/word-tokenizer.js';

/** The default pack's vocabulary, as the plugin's tokenizer holds it. */
const vocabJson = JSON.parse(readFileSync('models/default/vocab.json', 'utf8')) as {
  vocab: string[];
  specials: { pad: string; unk: string; bos: string; eos: string };
  max_length: number;
};
const tokenizer = new WordTokenizer({
  vocab: vocabJson.vocab,
  specials: vocabJson.specials,
  maxLength: vocabJson.max_length,
});

describe('prompt checks', () => {
  test('split words as the tokenizer does: lower case, commas on their own', () => {
    expect(promptWords('  A Red,wooden   BARREL ')).toEqual(['a', 'red', ',', 'wooden', 'barrel']);
  });

  test('a prompt of known words passes', () => {
    const check = checkPrompt('a red wooden barrel, next to a tree', tokenizer);
    expect(check.problem).toBeNull();
    expect(check.unknown).toEqual([]);
    expect(() => tokenizer.encode('a red wooden barrel, next to a tree')).not.toThrow();
  });

  test('empty and blank prompts ask for words', () => {
    expect(checkPrompt('', tokenizer).problem).toMatch(/^Type a prompt first/);
    expect(checkPrompt('  \t ', tokenizer).problem).toMatch(/^Type a prompt first/);
  });

  test('unknown words are named once each, with the nearest known words', () => {
    const check = checkPrompt('a zorp barel zorp', tokenizer);
    expect(check.unknown).toEqual(['zorp', 'barel']);
    expect(check.suggestions.get('barel')).toContain('barrel');
    expect(check.problem).toMatch(/does not know the words "zorp", "barel" \(did you mean "barrel"\?\)/);
    // The tokenizer agrees on which words are unknown.
    expect(tokenizer.encode('a zorp barel zorp', { mode: 'lenient' }).unknownWords).toEqual(['zorp', 'barel', 'zorp']);
  });

  test('special tokens are not words', () => {
    expect(checkPrompt('a <pad> barrel', tokenizer).unknown).toEqual(['<pad>']);
    expect(completeWord('<', tokenizer)).toEqual([]);
  });

  test('too many words: the count and the limit, as the tokenizer measures them', () => {
    const prompt = Array.from({ length: 30 }, () => 'red').join(' ');
    expect(checkPrompt(prompt, tokenizer).problem).toBe(
      'The prompt has 30 words; the model reads at most 22. Remove 8.');
    expect(() => tokenizer.encode(prompt)).toThrow(/30 tokens; at most 22 fit/);
    expect(checkPrompt(Array.from({ length: 22 }, () => 'red').join(' '), tokenizer).problem).toBeNull();
  });

  test('completions: vocabulary words with the prefix, shortest first, never the word itself', () => {
    expect(completeWord('woo', tokenizer)).toEqual(['wooden']);
    expect(completeWord('t', tokenizer, 3)).toEqual(['to', 'top', 'tall']);
    expect(completeWord('wooden', tokenizer)).toEqual([]);
    expect(completeWord('', tokenizer)).toEqual([]);
  });

  test('edit distance and nearest words', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(nearestWords('crate', ['crate', 'grate', 'cart'])).toEqual(['crate', 'grate']);
    expect(nearestWords('xyz', ['barrel'])).toEqual([]);
  });
});
