"""A small pre-LN transformer text encoder, trained jointly with the UNet: input_ids [B, L] -> hidden [B, L, D].

No attention mask: every position (padding included) is attended to, as in Stable Diffusion's CLIP conditioning,
so the exported graph has a single input and the TypeScript side needs no mask either.
"""
from dataclasses import dataclass

import torch
from torch import nn

from ..common.registry import register
from .attention import Attention


class Block(nn.Module):
    def __init__(self, width: int, heads: int):
        super().__init__()
        self.norm1 = nn.LayerNorm(width)
        self.attn = Attention(width, width, heads)
        self.norm2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


@register("text-transformer")
class TextEncoder(nn.Module):
    @dataclass
    class Config:
        vocab_size: int = 64
        max_length: int = 24
        width: int = 128
        layers: int = 3
        heads: int = 4

    def __init__(self, cfg: "TextEncoder.Config"):
        super().__init__()
        self.cfg = cfg
        self.token = nn.Embedding(cfg.vocab_size, cfg.width)
        self.position = nn.Parameter(torch.randn(cfg.max_length, cfg.width) * 0.02)
        self.blocks = nn.ModuleList(Block(cfg.width, cfg.heads) for _ in range(cfg.layers))
        self.norm = nn.LayerNorm(cfg.width)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        """input_ids int64 [B, L] -> hidden [B, L, D]."""
        x = self.token(input_ids) + self.position[: input_ids.shape[1]]
        for block in self.blocks:
            x = block(x)
        return self.norm(x)
