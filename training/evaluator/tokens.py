"""The evaluator's own word tokenizer (independent of the prior's, so the judge shares nothing with the judged)."""
from typing import List

import torch

from ..world.grammar import VOCABULARY

PAD, CLS = 0, 1
WORDS = ["<pad>", "<cls>"] + VOCABULARY
INDEX = {w: i for i, w in enumerate(WORDS)}
MAX_LEN = 24


def encode(prompts: List[str]) -> torch.Tensor:
    """[B, MAX_LEN] ids: CLS then the prompt's words; raises KeyError naming a word outside the grammar."""
    out = torch.full((len(prompts), MAX_LEN), PAD, dtype=torch.long)
    for i, p in enumerate(prompts):
        words = p.lower().replace(",", " ").split()[: MAX_LEN - 1]
        out[i, 0] = CLS
        out[i, 1:len(words) + 1] = torch.tensor([INDEX[w] for w in words], dtype=torch.long)
    return out
