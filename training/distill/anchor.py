"""Geometry anchors for fine-tuning a generator by score distillation (`train --init-from PACK --anchor-sdf W` or
`--anchor-occupancy W`).

Score distillation only sees renders, and a VolSDF render does not pin the SDF's zero level: from the shipped
3D-supervised generator, 300 ASD steps kept the renders but halved the decoded volumes (held-out IoU 0.51 -> 0.33),
so meshes, cut at SDF = 0, shrank. Both anchors compare the SDF at uniform points of the asset cube with a frozen
copy of the starting generator and decoder:

- `sdf`: W * mean (sdf - sdf_start)^2. It held the SDF 13x closer to the start and still lost the IoU: a small
  shift everywhere costs it little, yet moves the zero level of thin parts.
- `occupancy`: W * mean relu(-sign(sdf_start) * sdf) over the points that the start puts more than `margin` inside
  or outside: nothing but a change of side costs, and every such change costs alike (L1), so the prior keeps the
  freedom to reshape the field and recolour the asset while the occupancy that IoU and the meshes read stays put.
"""
import copy

import torch
from torch import nn


class GeometryAnchor:
    KINDS = ("sdf", "occupancy")

    def __init__(self, generator: nn.Module, decoder: nn.Module, kind: str = "sdf", points: int = 8192,
                 margin: float = 0.01):
        if kind not in self.KINDS:
            raise ValueError(f"unknown geometry anchor {kind!r}; expected one of {self.KINDS}")
        self.generator, self.decoder = copy.deepcopy(generator).eval(), copy.deepcopy(decoder).eval()
        for p in list(self.generator.parameters()) + list(self.decoder.parameters()):
            p.requires_grad_(False)
        self.kind, self.points, self.margin = kind, points, margin

    def __call__(self, text: torch.Tensor, planes: torch.Tensor, decoder: nn.Module,
                 g: torch.Generator) -> torch.Tensor:
        x = torch.rand(planes.shape[0], self.points, 3, generator=g) * 2 - 1
        with torch.no_grad():
            start = self.decoder(self.generator(text), x)[0]
        sdf = decoder(planes, x)[0]
        if self.kind == "sdf":
            return (sdf - start).pow(2).mean()
        held = (start.abs() > self.margin).to(sdf.dtype)
        return (torch.relu(-torch.sign(start) * sdf) * held).mean()
