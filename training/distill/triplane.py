"""Triplane field: sample three axis-aligned feature planes and decode SDF and albedo with a small MLP.

Contract shared with the TypeScript kernels (docs/triplane.md):
- planes [3, C, R, R] (rows = v, columns = u): plane 0 is (u, v) = (x, y), plane 1 (x, z), plane 2 (y, z);
- bilinear sampling with align_corners=True (u = -1 -> column 0, u = 1 -> column R - 1), clamped at the border;
- feature = sum of the three samples [C];
- MLP: C -> H -> H -> 4 with SiLU; sdf = out[0] + (|p| - SPHERE_RADIUS) (the sphere bias of the paper's
  generator, so training starts from a sphere), albedo = sigmoid(out[1:4]).
"""
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

SPHERE_RADIUS = 0.5
PLANE_AXES = ((0, 1), (0, 2), (1, 2))  # (u axis, v axis) of each plane


def sample_planes(planes: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
    """planes [B, 3, C, R, R], points [B, N, 3] in [-1, 1] -> summed features [B, N, C]."""
    B, _, C, R, _ = planes.shape
    feats = 0
    for k, (u, v) in enumerate(PLANE_AXES):
        grid = points[:, None, :, [u, v]]  # [B, 1, N, 2]: grid_sample's x indexes columns (u), y rows (v)
        s = F.grid_sample(planes[:, k], grid, mode="bilinear", padding_mode="border", align_corners=True)
        feats = feats + s[:, :, 0].transpose(1, 2)
    return feats


class TriplaneDecoder(nn.Module):
    @dataclass
    class Config:
        channels: int = 16
        hidden: int = 32

    def __init__(self, cfg: "TriplaneDecoder.Config" = None):
        super().__init__()
        self.cfg = cfg or TriplaneDecoder.Config()
        c, h = self.cfg.channels, self.cfg.hidden
        self.fc1, self.fc2, self.out = nn.Linear(c, h), nn.Linear(h, h), nn.Linear(h, 4)
        nn.init.zeros_(self.out.weight)  # start exactly at the sphere bias, mid-grey
        nn.init.zeros_(self.out.bias)

    def forward(self, planes: torch.Tensor, points: torch.Tensor):
        """-> sdf [B, N], albedo [B, N, 3]."""
        h = F.silu(self.fc1(sample_planes(planes, points)))
        out = self.out(F.silu(self.fc2(h)))
        sdf = out[..., 0] + points.norm(dim=-1) - SPHERE_RADIUS
        return sdf, torch.sigmoid(out[..., 1:])
