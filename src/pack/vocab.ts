/**
 * vocab.json of a model pack (docs/model-pack.md, "vocab.json"): the prior's word-level tokenizer.
 */
import { WordTokenizer } from '../text/word-tokenizer.js';
import { JsonFields } from './json-fields.js';
import type { PriorInfo } from './manifest.js';
import { PackError } from './pack-error.js';

/**
 * Reads vocab.json into a tokenizer and checks it against the manifest's `prior` section.
 * @throws {PackError} naming the file and the field: not JSON, a `type` other than `"word-level"`, a `version`
 *   other than 1, `lowercase` not true, a `max_length` that disagrees with `prior.text.max_length`, or a vocabulary
 *   with repeated words or without its special tokens.
 */
export function parseVocab(file: string, bytes: Uint8Array, prior: PriorInfo): WordTokenizer {
  const json = JsonFields.parse(file, bytes);
  json.oneOf('type', ['word-level']);
  json.oneOf('version', [1]);
  json.oneOf('lowercase', [true]);
  const maxLength = json.integer('max_length', 2);
  if (maxLength !== prior.text.maxLength) {
    json.fail('max_length', `is ${maxLength}, but manifest.json prior.text.max_length is ${prior.text.maxLength}`);
  }
  const specials = json.object('specials');
  const config = {
    vocab: json.strings('vocab'),
    specials: {
      pad: specials.string('pad'),
      unk: specials.string('unk'),
      bos: specials.string('bos'),
      eos: specials.string('eos'),
    },
    maxLength,
  };
  try {
    return new WordTokenizer(config);
  } catch (error) {
    // The constructor names fields of its config (vocab, specials), which have the same names in this file.
    throw new PackError(file, (error as Error).message.replaceAll('config.', ''), { cause: error });
  }
}
