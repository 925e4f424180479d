"""Word-level tokenizer of the Asset World prompts, shared bit-for-bit with the TypeScript tokenizer.

Normalisation: lower-case, "," becomes its own token, split on whitespace. Ids: PAD 0, UNK 1, BOS 2, EOS 3, then
"," and the sorted words (grammar vocabulary + view words). A prompt becomes [BOS, w1 .. wn, EOS, PAD ..] of fixed
length L; the empty prompt [BOS, EOS, PAD ..] is the unconditional input of classifier-free guidance.
Strict mode raises UnknownWordsError naming every unknown word; lenient mode maps them to UNK and reports them.
The special tokens' strings are not words: "<pad>" typed into a prompt is unknown like any other foreign word.
A prompt of more than L - 2 tokens raises in both modes (the grammar's longest prompt has 16 with its view suffix).
"""
import json
from dataclasses import dataclass
from pathlib import Path
from typing import List, Sequence, Tuple

import torch

from ..common.registry import register
from ..world.grammar import VOCABULARY

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<bos>", "<eos>"
SPECIALS = (PAD, UNK, BOS, EOS)
VIEW_WORDS = ("front", "back", "side", "overhead", "view")
COMMA = ","


class UnknownWordsError(ValueError):
    """A prompt with words outside the vocabulary (or too long); `words` lists the offending words."""

    def __init__(self, message: str, words: List[str]):
        super().__init__(message)
        self.words = words


def normalise(prompt: str) -> List[str]:
    return prompt.lower().replace(COMMA, f" {COMMA} ").split()


@register("word-tokenizer")
class WordTokenizer:
    @dataclass
    class Config:
        max_length: int = 24

    def __init__(self, cfg: "WordTokenizer.Config" = None):
        self.cfg = cfg or WordTokenizer.Config()
        words = sorted(set(VOCABULARY) | set(VIEW_WORDS))
        self.vocab: List[str] = list(SPECIALS) + [COMMA] + words
        self.ids = {w: i for i, w in enumerate(self.vocab)}
        self.pad_id, self.unk_id, self.bos_id, self.eos_id = (self.ids[s] for s in SPECIALS)

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def is_word(self, word: str) -> bool:
        """A special token typed into a prompt ("<pad>") is not a word: it would inject control ids."""
        return word in self.ids and word not in SPECIALS

    def encode_one(self, prompt: str, strict: bool = True) -> Tuple[List[int], List[str]]:
        """(ids of length L, unknown words). Strict mode raises instead of mapping unknown words to UNK; too many
        tokens raise in either mode."""
        words = normalise(prompt)
        unknown = [w for w in words if not self.is_word(w)]
        if unknown and strict:
            raise UnknownWordsError(f"unknown words in {prompt!r}: {', '.join(unknown)}", unknown)
        room = self.cfg.max_length - 2
        if len(words) > room:
            raise UnknownWordsError(f"{prompt!r} has {len(words)} tokens; at most {room} fit", words[room:])
        ids = [self.bos_id] + [self.ids[w] if self.is_word(w) else self.unk_id for w in words] + [self.eos_id]
        return ids + [self.pad_id] * (self.cfg.max_length - len(ids)), unknown

    def encode(self, prompts: Sequence[str], strict: bool = True) -> torch.Tensor:
        """input_ids int64 [B, L]."""
        return torch.tensor([self.encode_one(p, strict)[0] for p in prompts], dtype=torch.int64)

    def decode(self, ids: Sequence[int]) -> str:
        words = [self.vocab[i] for i in ids if i not in (self.pad_id, self.bos_id, self.eos_id)]
        return " ".join(words).replace(f" {COMMA}", COMMA)

    def to_json(self) -> dict:
        return {"type": "word-level", "version": 1, "max_length": self.cfg.max_length, "lowercase": True,
                "split": "',' is its own token; then split on whitespace",
                "specials": {"pad": PAD, "unk": UNK, "bos": BOS, "eos": EOS},
                "template": ["<bos>", "words...", "<eos>", "<pad>..."], "vocab": self.vocab}

    def write_vocab(self, path: Path) -> None:
        Path(path).write_text(json.dumps(self.to_json(), indent=1) + "\n")
