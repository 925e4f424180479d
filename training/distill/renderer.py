"""VolSDF-style volume renderer of a triplane field, with the Asset World's cameras and shading.

Per ray (docs/triplane.md has the same steps for the kernels):
  1. [t0, t1] = the ray's span inside the cube [-1, 1]^3; S samples t_i = t0 + (i + u_i) / S * (t1 - t0),
     u_i = 0.5 (inference) or U[0, 1) (training); delta = (t1 - t0) / S.
  2. sigma_i = Psi_beta(-sdf_i) / beta with Psi_beta the Laplace CDF (VolSDF, Yariv et al. 2021, eq. 2-3).
  3. alpha_i = 1 - exp(-sigma_i delta); T_i = prod_{j<i} (1 - alpha_j); w_i = T_i alpha_i.
  4. opacity A = sum w_i; albedo C = sum w_i albedo_i; depth D = sum w_i t_i / max(A, 1e-6).
  5. n = normalize(tetrahedron finite difference of the SDF at o + D d); shade = AMBIENT + DIFFUSE max(0, n.l).
  6. pixel = C * shade + (1 - A) * background.
Shading at one expected surface point per ray keeps the normal cheap (4 SDF queries, no double backprop).
"""
from dataclasses import dataclass
from typing import Optional

import torch

from ..world.camera import Cameras, rays
from ..world.render import AMBIENT, DIFFUSE
from .triplane import TriplaneDecoder

NORMAL_EPS = 0.02
TETRAHEDRON = torch.tensor([[1.0, -1.0, -1.0], [-1.0, -1.0, 1.0], [-1.0, 1.0, -1.0], [1.0, 1.0, 1.0]])


def laplace_density(sdf: torch.Tensor, beta: float) -> torch.Tensor:
    """sigma = Psi_beta(-sdf) / beta, Psi_beta the CDF of a zero-mean Laplace with scale beta (VolSDF eq. 3)."""
    s = -sdf
    psi = torch.where(s <= 0, 0.5 * torch.exp(s.clamp(max=0) / beta), 1 - 0.5 * torch.exp(-s.clamp(min=0) / beta))
    return psi / beta


def cube_span(o: torch.Tensor, d: torch.Tensor):
    """t0, t1 of rays [..., 3] through [-1, 1]^3 (t1 <= t0 when the ray misses)."""
    inv = 1.0 / torch.where(d.abs() < 1e-9, torch.full_like(d, 1e-9), d)
    a, b = (-1 - o) * inv, (1 - o) * inv
    return torch.minimum(a, b).max(-1).values.clamp(min=0), torch.maximum(a, b).min(-1).values


@dataclass
class RenderConfig:
    samples: int = 48
    beta: float = 0.03

    @classmethod
    def of_run(cls, config: dict) -> "RenderConfig":
        """The renderer a training run used (its saved arguments; runs older than --beta used the defaults)."""
        return cls(samples=int(config.get("samples", cls.samples)), beta=float(config.get("beta", cls.beta)))


@dataclass
class Rendered:
    images: torch.Tensor   # [B, 3, H, W]
    opacity: torch.Tensor  # [B, 1, H, W]
    depth: torch.Tensor    # [B, 1, H, W]


def render_triplanes(decoder: TriplaneDecoder, planes: torch.Tensor, cameras: Cameras, resolution: int,
                     background: torch.Tensor, cfg: RenderConfig = RenderConfig(),
                     jitter: Optional[torch.Generator] = None) -> Rendered:
    """planes [B, 3, C, R, R], one camera and background [B, 3] per plane set -> images (differentiable)."""
    B, H, W, S = planes.shape[0], resolution, resolution, cfg.samples
    o, d = rays(cameras, H, W)                                   # [B, N, 3]
    t0, t1 = cube_span(o, d)
    hit_cube = (t1 > t0)[..., None]
    t1 = torch.maximum(t1, t0 + 1e-4)
    u = torch.full((B, H * W, S), 0.5) if jitter is None else torch.rand(B, H * W, S, generator=jitter)
    delta = (t1 - t0) / S                                        # [B, N]
    t = t0[..., None] + (torch.arange(S) + u) * delta[..., None]  # [B, N, S]
    p = o[:, :, None] + t[..., None] * d[:, :, None]              # [B, N, S, 3]
    sdf, albedo = decoder(planes, p.reshape(B, -1, 3))
    sdf, albedo = sdf.reshape(B, H * W, S), albedo.reshape(B, H * W, S, 3)
    alpha = 1 - torch.exp(-laplace_density(sdf, cfg.beta) * delta[..., None])
    trans = torch.cumprod(torch.cat([torch.ones_like(alpha[..., :1]), 1 - alpha[..., :-1]], -1), -1)
    w = trans * alpha * hit_cube
    opacity = w.sum(-1)
    colour = (w[..., None] * albedo).sum(-2)
    depth = (w * t).sum(-1) / opacity.clamp(min=1e-6)
    surface = o + depth[..., None] * d
    tetra = TETRAHEDRON.to(surface.dtype)
    probes = surface[:, :, None] + NORMAL_EPS * tetra             # [B, N, 4, 3]
    probe_sdf, _ = decoder(planes, probes.reshape(B, -1, 3))
    grad = (probe_sdf.reshape(B, H * W, 4, 1) * tetra).sum(-2)
    normal = grad / grad.norm(dim=-1, keepdim=True).clamp(min=1e-6)
    light = cameras.light_direction()[:, None]
    shade = AMBIENT + DIFFUSE * (normal * light).sum(-1).clamp(min=0)
    pixel = colour * shade[..., None] + (1 - opacity[..., None]) * background[:, None]
    to_image = lambda x: x.reshape(B, H, W, -1).permute(0, 3, 1, 2)
    return Rendered(to_image(pixel), to_image(opacity[..., None]), to_image(depth[..., None]))
