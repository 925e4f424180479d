"""The prompt-amortized triplane generator (ScaleDreamer's triplane transformer, scaled to our compute).

text states [B, L, D] -> learned plane tokens [3 * G * G, W] -> blocks of (cross-attention to the text,
self-attention over all plane tokens, MLP) -> per plane a [W, G, G] map -> transposed convolutions up to
[C, R, R] -> triplane [B, 3, C, R, R]. The paper uses 3 x 32 x 32 tokens and one transposed conv to 64 x 64;
we use 3 x 8 x 8 tokens and three 2x upsamplings, which keeps self-attention cheap on two CPU cores.
"""
from dataclasses import dataclass

import torch
from torch import nn

from ..common.registry import register
from ..prior.attention import Attention  # plain matmuls: exports to ONNX like the prior's graphs


class Block(nn.Module):
    def __init__(self, width: int, text_dim: int, heads: int):
        super().__init__()
        self.norm_q, self.norm_s, self.norm_m = nn.LayerNorm(width), nn.LayerNorm(width), nn.LayerNorm(width)
        self.cross = Attention(width, text_dim, heads)
        self.self_attn = Attention(width, width, heads)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width))

    def forward(self, x, text):
        x = x + self.cross(self.norm_q(x), text)
        x = x + self.self_attn(self.norm_s(x))
        return x + self.mlp(self.norm_m(x))


@register("triplane-transformer")
class TriplaneGenerator(nn.Module):
    @dataclass
    class Config:
        text_dim: int = 128
        width: int = 128
        heads: int = 4
        blocks: int = 4
        grid: int = 8            # plane tokens per side
        channels: int = 16       # triplane channels C
        upsamplings: int = 3     # R = grid * 2 ** upsamplings

    def __init__(self, cfg: "TriplaneGenerator.Config" = None):
        super().__init__()
        self.cfg = cfg = cfg or TriplaneGenerator.Config()
        self.tokens = nn.Parameter(torch.randn(3 * cfg.grid * cfg.grid, cfg.width) * 0.02)
        self.blocks = nn.ModuleList(Block(cfg.width, cfg.text_dim, cfg.heads) for _ in range(cfg.blocks))
        self.norm = nn.LayerNorm(cfg.width)
        layers, c = [], cfg.width
        for i in range(cfg.upsamplings):
            c_out = max(cfg.channels * 2, c // 2)
            layers += [nn.ConvTranspose2d(c, c_out, 4, stride=2, padding=1), nn.SiLU()]
            c = c_out
        layers.append(nn.Conv2d(c, cfg.channels, 3, padding=1))
        self.upsample = nn.Sequential(*layers)
        nn.init.zeros_(layers[-1].weight)  # start at the decoder's sphere bias
        nn.init.zeros_(layers[-1].bias)

    @property
    def resolution(self) -> int:
        return self.cfg.grid * 2 ** self.cfg.upsamplings

    def forward(self, text: torch.Tensor) -> torch.Tensor:
        """text [B, L, D] -> planes [B, 3, C, R, R]."""
        B, g = text.shape[0], self.cfg.grid
        x = self.tokens.expand(B, -1, -1)
        for block in self.blocks:
            x = block(x, text)
        x = self.norm(x).reshape(B * 3, g, g, -1).permute(0, 3, 1, 2)
        planes = self.upsample(x)
        return planes.reshape(B, 3, self.cfg.channels, self.resolution, self.resolution)
