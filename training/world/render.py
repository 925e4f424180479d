"""Batched sphere-tracing renderer of the ground truth (no gradients): images, masks, depth.

Shading is the one shared with the generator's renderer (docs/conventions.md):
    colour = albedo * (AMBIENT + DIFFUSE * max(0, n . l)) over a solid background.
"""
from dataclasses import dataclass
from typing import Optional

import torch

from .camera import Cameras, rays
from .scene import PrimitiveTable, albedo_points, bounding_boxes, sdf_points

AMBIENT, DIFFUSE = 0.35, 0.65
BOUND = 1.0            # assets live in [-BOUND, BOUND]^3
TRACE_STEPS = 40
HIT_EPS = 4e-3
REFINE_STEPS = 2
NORMAL_EPS = 2e-3


@dataclass
class Renders:
    images: torch.Tensor  # [B, 3, H, W] in [0, 1]
    masks: torch.Tensor   # [B, 1, H, W] bool
    depth: torch.Tensor   # [B, 1, H, W] distance along the ray (inf on background)


def _box_interval(o, d, lo, hi):
    """Entry/exit distances of rays [K, 3] through boxes lo/hi [K, 3]; empty where t_far < t_near."""
    inv = 1.0 / torch.where(d.abs() < 1e-9, torch.full_like(d, 1e-9), d)
    t0, t1 = (lo - o) * inv, (hi - o) * inv
    near = torch.minimum(t0, t1).max(-1).values.clamp(min=0.0)
    far = torch.maximum(t0, t1).min(-1).values
    return near, far


def sphere_trace(table: PrimitiveTable, o: torch.Tensor, d: torch.Tensor):
    """Hit mask and distance [B, N] for rays [B, N, 3]. Only rays still marching are evaluated at each step."""
    B, N, _ = o.shape
    o, d = o.reshape(-1, 3), d.reshape(-1, 3)
    asset = torch.arange(B).repeat_interleave(N)
    lo, hi = bounding_boxes(table)  # rays that miss an asset's box are background without a single step
    near, far = _box_interval(o, d, lo.clamp(min=-BOUND)[asset], hi.clamp(max=BOUND)[asset])
    t = near.clone()
    hit = torch.zeros_like(near, dtype=torch.bool)
    live = (far > near).nonzero().squeeze(1)
    for _ in range(TRACE_STEPS):
        if live.numel() == 0:
            break
        dist = sdf_points(table, o[live] + t[live, None] * d[live], asset[live])
        t[live] += dist
        reached = dist.abs() < HIT_EPS
        hit[live[reached]] = True
        live = live[~reached & (t[live] < far[live])]
    hits = hit.nonzero().squeeze(1)
    for _ in range(REFINE_STEPS):  # a hit stops within HIT_EPS of the surface; close the gap for exact depth
        t[hits] += sdf_points(table, o[hits] + t[hits, None] * d[hits], asset[hits])
    return hit.reshape(B, N), t.reshape(B, N)


def normals(table: PrimitiveTable, p: torch.Tensor, asset: torch.Tensor) -> torch.Tensor:
    """Unit SDF gradients at points [K, 3] (sorted by asset) by the tetrahedron finite-difference stencil."""
    k = torch.tensor([[1, -1, -1], [-1, -1, 1], [-1, 1, -1], [1, 1, 1]], dtype=p.dtype)
    g = sum(k[i] * sdf_points(table, p + NORMAL_EPS * k[i], asset)[:, None] for i in range(4))
    return g / g.norm(dim=-1, keepdim=True).clamp(min=1e-9)


def render(table: PrimitiveTable, cameras: Cameras, resolution: int = 64,
           background: Optional[torch.Tensor] = None) -> Renders:
    """Render every asset of the table from its camera. background: [B, 3] colours (white when omitted)."""
    B, H, W = len(cameras), resolution, resolution
    o, d = rays(cameras, H, W)
    hit, t = sphere_trace(table, o, d)
    bg = torch.ones(B, 3) if background is None else background
    colour = bg[:, None, :].repeat(1, H * W, 1)
    idx = hit.reshape(-1).nonzero().squeeze(1)
    asset = idx // (H * W)
    p = (o + t[..., None] * d).reshape(-1, 3)[idx]
    n = normals(table, p, asset)
    light = cameras.light_direction()[asset]
    shade = AMBIENT + DIFFUSE * (n * light).sum(-1).clamp(min=0.0)
    colour.view(-1, 3)[idx] = (albedo_points(table, p, asset) * shade[:, None]).clamp(0.0, 1.0)
    depth = torch.where(hit, t, torch.full_like(t, float("inf")))
    to_image = lambda x: x.reshape(B, H, W, -1).permute(0, 3, 1, 2)
    return Renders(to_image(colour).contiguous(), to_image(hit[..., None]), to_image(depth[..., None]))
