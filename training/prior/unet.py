"""Epsilon-prediction UNet conditioned on timestep, camera and text, with a pixel-unshuffle stem.

    sample [B, 3, 64, 64] --unshuffle--> [B, 12, 32, 32] -> 32x32 (res) -> 16x16 (res + cross) -> 8x8 (res + cross)
        -> mid 8x8 (res, self-attention, cross, res) -> up 8x8, 16x16 (res + cross), 32x32 (res) --shuffle--> eps
The stem makes a 64x64 image cost what a 32x32 one does: the finest level works on 2x2 pixel blocks as channels.
Skips are added, not concatenated (after a 1x1 conv and nearest upsampling): concatenation doubles the input width
of every up-path conv, which at 32x32 alone would cost more than the whole down path.
The network's own output is epsilon or v (`prediction_type`); forward() always returns epsilon, converting v with
the schedule's alphabar at the (fractional) timestep, so every consumer (sampler, score distillation, ONNX export)
sees one contract. v trains better at high noise, where x_0 recovered from an epsilon output amplifies its error
by 1 / sqrt(alphabar) (32x at t = 980 with the cosine schedule).
The embedding added in every ResBlock is timestep MLP + camera MLP (the k = 4 vector of docs/conventions.md) +
a projection of the mean text state, so colour and category words also act globally, not only through attention.
"""
import math
from dataclasses import dataclass
from typing import Tuple

import torch
from torch import nn

from ..common.registry import register
from ..world.camera import CAMERA_DIM
from .attention import Attention
from .schedule import PREDICTION_TYPES, NoiseSchedule, ScheduleConfig, eps_from_v, gather


def timestep_embedding(t: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    """Sinusoidal embedding of float timesteps [B] -> [B, dim] (Vaswani et al. 2017, section 3.5)."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


def norm(channels: int, groups: int) -> nn.GroupNorm:
    return nn.GroupNorm(min(groups, channels), channels)


class ResBlock(nn.Module):
    """GroupNorm-SiLU-conv twice, the embedding added between the convs (Ho et al. 2020, appendix B)."""

    def __init__(self, c_in: int, c_out: int, emb_dim: int, groups: int):
        super().__init__()
        self.block1 = nn.Sequential(norm(c_in, groups), nn.SiLU(), nn.Conv2d(c_in, c_out, 3, padding=1))
        self.emb = nn.Sequential(nn.SiLU(), nn.Linear(emb_dim, c_out))
        self.block2 = nn.Sequential(norm(c_out, groups), nn.SiLU(), nn.Conv2d(c_out, c_out, 3, padding=1))
        nn.init.zeros_(self.block2[-1].weight)
        nn.init.zeros_(self.block2[-1].bias)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.block1(x) + self.emb(emb)[:, :, None, None]
        return self.skip(x) + self.block2(h)


class SpatialAttention(nn.Module):
    """Pre-norm residual attention over the H*W positions: to themselves, or to the text states."""

    def __init__(self, channels: int, context_dim: int, heads: int, groups: int):
        super().__init__()
        self.norm = norm(channels, groups)
        self.attn = Attention(channels, context_dim, heads)

    def forward(self, x: torch.Tensor, context: torch.Tensor = None) -> torch.Tensor:
        b, c, h, w = x.shape
        q = self.norm(x).reshape(b, c, h * w).transpose(1, 2)
        return x + self.attn(q, context).transpose(1, 2).reshape(b, c, h, w)


class Level(nn.Module):
    """One ResBlock, optionally followed by cross-attention to the text."""

    def __init__(self, c_in: int, c_out: int, emb_dim: int, text_dim: int, cross: bool, heads: int, groups: int):
        super().__init__()
        self.res = ResBlock(c_in, c_out, emb_dim, groups)
        self.cross = SpatialAttention(c_out, text_dim, heads, groups) if cross else None

    def forward(self, x, emb, text):
        x = self.res(x, emb)
        return self.cross(x, text) if self.cross is not None else x


@register("camera-unet")
class CameraUNet(nn.Module):
    @dataclass
    class Config:
        resolution: int = 64
        channels: Tuple[int, ...] = (32, 96, 128)   # per level: 32x32, 16x16, 8x8 after the 2x unshuffle stem
        cross_attention: Tuple[bool, ...] = (False, True, True)
        text_dim: int = 128
        emb_dim: int = 256
        time_features: int = 128
        heads: int = 4
        groups: int = 16
        unshuffle: int = 2
        prediction_type: str = "epsilon"            # what the network outputs: "epsilon" or "v_prediction"
        num_train_timesteps: int = 1000             # the schedule, for the v -> epsilon conversion
        beta_schedule: str = "squaredcos_cap_v2"

    def __init__(self, cfg: "CameraUNet.Config"):
        super().__init__()
        if len(cfg.channels) != len(cfg.cross_attention):
            raise ValueError("channels and cross_attention need one entry per level")
        if cfg.prediction_type not in PREDICTION_TYPES:
            raise ValueError(f"unknown prediction_type {cfg.prediction_type!r}; choose one of {PREDICTION_TYPES}")
        self.cfg = cfg
        schedule = NoiseSchedule(ScheduleConfig(cfg.num_train_timesteps, cfg.beta_schedule))
        self.register_buffer("alphas_cumprod", schedule.alphas_cumprod.float(), persistent=False)
        ch, e, r = cfg.channels, cfg.emb_dim, cfg.unshuffle
        self.time_mlp = nn.Sequential(nn.Linear(cfg.time_features, e), nn.SiLU(), nn.Linear(e, e))
        self.camera_mlp = nn.Sequential(nn.Linear(CAMERA_DIM, e), nn.SiLU(), nn.Linear(e, e))
        self.text_pool = nn.Linear(cfg.text_dim, e)
        self.stem = nn.Sequential(nn.PixelUnshuffle(r), nn.Conv2d(3 * r * r, ch[0], 3, padding=1))
        level = lambda c_in, c_out, i: Level(c_in, c_out, e, cfg.text_dim, cfg.cross_attention[i], cfg.heads,
                                              cfg.groups)
        self.down = nn.ModuleList(level(ch[max(i - 1, 0)], ch[i], i) for i in range(len(ch)))
        self.downsample = nn.ModuleList(nn.Conv2d(ch[i], ch[i], 3, stride=2, padding=1) for i in range(len(ch) - 1))
        self.mid_res1 = ResBlock(ch[-1], ch[-1], e, cfg.groups)
        self.mid_self = SpatialAttention(ch[-1], ch[-1], cfg.heads, cfg.groups)
        self.mid_cross = SpatialAttention(ch[-1], cfg.text_dim, cfg.heads, cfg.groups)
        self.mid_res2 = ResBlock(ch[-1], ch[-1], e, cfg.groups)
        self.up = nn.ModuleList(level(ch[i], ch[i], i) for i in range(len(ch)))
        # A 1x1 conv commutes with nearest upsampling, so it runs at the coarse level where it is 4x cheaper.
        self.upsample = nn.ModuleList(
            nn.Sequential(nn.Conv2d(ch[i + 1], ch[i], 1), nn.Upsample(scale_factor=2.0, mode="nearest"))
            for i in range(len(ch) - 1))
        self.head = nn.Sequential(norm(ch[0], cfg.groups), nn.SiLU(), nn.Conv2d(ch[0], 3 * r * r, 3, padding=1),
                                  nn.PixelShuffle(r))
        nn.init.zeros_(self.head[2].weight)
        nn.init.zeros_(self.head[2].bias)

    def forward(self, sample: torch.Tensor, timestep: torch.Tensor, encoder_hidden_states: torch.Tensor,
                camera: torch.Tensor) -> torch.Tensor:
        """sample [B, 3, H, W] (x_t), timestep float [B] in [0, T), encoder_hidden_states [B, L, D], camera [B, 4]
        -> predicted noise [B, 3, H, W]."""
        # reshape_as: ONNX shape inference cannot see through DepthToSpace, so without it unet.onnx's output
        # would declare symbolic height and width instead of the sample's static ones.
        out = self.predict(sample, timestep, encoder_hidden_states, camera).reshape_as(sample)
        if self.cfg.prediction_type == "epsilon":
            return out
        return eps_from_v(sample, out, gather(self.alphas_cumprod, timestep))

    def predict(self, sample: torch.Tensor, timestep: torch.Tensor, encoder_hidden_states: torch.Tensor,
                camera: torch.Tensor) -> torch.Tensor:
        """The network's own output (epsilon or v, per cfg.prediction_type) [B, 3, H, W]; the training target."""
        text = encoder_hidden_states
        emb = (self.time_mlp(timestep_embedding(timestep, self.cfg.time_features)) + self.camera_mlp(camera)
               + self.text_pool(text.mean(dim=1)))
        x = self.stem(sample)
        skips = []
        for i, block in enumerate(self.down):
            x = block(x, emb, text)
            skips.append(x)
            if i < len(self.downsample):
                x = self.downsample[i](x)
        x = self.mid_res1(x, emb)
        x = self.mid_cross(self.mid_self(x), text)
        x = self.mid_res2(x, emb)
        for i in reversed(range(len(self.up))):
            if i < len(self.upsample):
                x = self.upsample[i](x)
            x = self.up[i](x + skips[i], emb, text)
        return self.head(x)
