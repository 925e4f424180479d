"""Batched sphere-tracing renderer of the ground truth (no gradients): images, masks, depth.

Shading is the one shared with the generator's renderer (docs/conventions.md):
    colour = albedo * (AMBIENT + DIFFUSE * max(0, n . l)) over a solid background.
"""
from dataclasses import dataclass
from typing import Optional

import torch

from .camera import Cameras, rays
from . import primitives as P
from .scene import PrimitiveTable, albedo_of_pairs, bounding_boxes, combine_pairs, pair_distances

AMBIENT, DIFFUSE = 0.35, 0.65
BOUND = 1.0            # assets live in [-BOUND, BOUND]^3
TRACE_STEPS = 40
HIT_EPS = 4e-3
REFINE_STEPS = 2
NORMAL_EPS = 2e-3
# How far beyond its bounding sphere a part still counts as crossed by a ray. A part farther than this from every
# point of the ray is more than HIT_EPS from a hit and than the normal probes' reach (NORMAL_EPS sqrt 3) plus HIT_EPS
# from them, so it can neither be hit, nor be the nearest part at a hit, nor win the SDF at a probe: tracing,
# depth refinement, normals and albedo may all use only the crossed parts without changing a pixel.
CULL_MARGIN = 2 * HIT_EPS + 2 * NORMAL_EPS * 3 ** 0.5


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


def _asset_parts(table: PrimitiveTable):
    """The table's rows per asset, padded: rows [B, K] (0 in padding) and valid [B, K], K the most parts of one."""
    order = torch.sort(table.asset, stable=True).indices
    counts = torch.bincount(table.asset, minlength=table.num_assets)
    slot = torch.arange(order.numel()) - (torch.cumsum(counts, 0) - counts)[table.asset[order]]
    rows = torch.zeros(table.num_assets, int(counts.max()), dtype=torch.long)
    valid = torch.zeros(rows.shape, dtype=torch.bool)
    rows[table.asset[order], slot] = order
    valid[table.asset[order], slot] = True
    return rows, valid


def _part_spans(table: PrimitiveTable, eye: torch.Tensor, d: torch.Tensor, chunk: int = 16):
    """Which parts each ray [B, N] crosses, and where it meets the first and leaves the last positive one.

    A part counts as crossed when the ray passes through its bounding sphere grown by CULL_MARGIN. Every ray of a camera leaves its eye, so the sphere test is one
    small matrix product per asset; assets go `chunk` at a time so the [chunk, N, K] temporaries stay in cache.
    Returns crossed [B, N, K] over the slots of _asset_parts, start and end [B, N] (inf and -1 where no positive
    part is crossed), and the rows [B, K] of _asset_parts.
    """
    rows, valid = _asset_parts(table)
    radius = P.bounding_radius(table.type, table.params)[rows] + CULL_MARGIN    # [B, K]
    oc = eye[:, None] - table.centre[rows]                                   # [B, K, 3]
    # |o + t d - c|^2 = r^2 with |d| = 1: t = -b -+ sqrt(b^2 - c), b = d . (o - c), c = |o - c|^2 - r^2.
    c = torch.where(valid, (oc * oc).sum(-1) - radius * radius, torch.full_like(radius, float("inf")))
    positive = valid & ~table.negative[rows]
    crossed, start, end = [], [], []
    for i in range(0, d.shape[0], chunk):
        b = torch.bmm(d[i:i + chunk], oc[i:i + chunk].transpose(1, 2))      # [chunk, N, K]
        root = (b * b).sub_(c[i:i + chunk, None]).clamp_(min=0.0).sqrt_()   # 0 where the ray misses
        leave = root - b
        enter = b.neg_().sub_(root).clamp_(min=0.0)
        meets = leave > enter
        crossed.append(meets)
        counted = meets & positive[i:i + chunk, None]
        start.append(enter.masked_fill_(~counted, float("inf")).min(-1).values)
        end.append(leave.masked_fill_(~counted, -1.0).max(-1).values)
    return torch.cat(crossed), torch.cat(start), torch.cat(end), rows


@dataclass
class Trace:
    hit: torch.Tensor    # [B * N] bool
    t: torch.Tensor      # [B * N] distance along the ray (meaningful where hit)
    prim: torch.Tensor   # [P] the parts crossed by the hit rays (table rows, pair_distances' order)
    point: torch.Tensor  # [P] the position of each pair's ray among hit.nonzero()


def _compact(keep: torch.Tensor, prim: torch.Tensor, point: torch.Tensor):
    """Pairs (prim, point) of the rays kept by the mask `keep` over the points, with points renumbered."""
    renumber = torch.cumsum(keep, 0) - 1
    kept = keep[point].nonzero().squeeze(1)  # once, not once per masked tensor
    return prim[kept], renumber[point[kept]]


def sphere_trace(table: PrimitiveTable, o: torch.Tensor, d: torch.Tensor) -> Trace:
    """Sphere-trace rays [B, N, 3] leaving one eye per asset (o[:, n] = o[:, 0]).

    Each ray is traced against the parts whose bounding spheres it crosses (CULL_MARGIN), from the first sphere's
    entry to the last one's exit: the SDF of those parts bounds the distance to anything the ray can meet, so the
    steps stay safe, and rays that cross no part are background without a step. Only rays still marching are
    evaluated: their origins, directions, distances and (part, ray) pairs are kept compacted, so a step touches
    nothing of the rays that are done. Hits end within HIT_EPS of the surface and are then refined onto it.
    """
    B, N, _ = o.shape
    eye = o[:, 0]
    crossed, start, end, rows = _part_spans(table, eye, d)
    lo, hi = bounding_boxes(table)  # rays that miss an asset's box are background without a single step
    near, far = _box_interval(eye[:, None], d, lo.clamp(min=-BOUND)[:, None], hi.clamp(max=BOUND)[:, None])
    t = torch.maximum(near.reshape(-1), start.reshape(-1).clamp(max=1e9))
    far = torch.minimum(far.reshape(-1), end.reshape(-1))
    o, d = o.reshape(-1, 3), d.reshape(-1, 3)
    # The (part, ray) pairs to trace, ordered by part row and so grouped by primitive type (pair_distances).
    pair_asset, pair_ray, pair_slot = crossed.nonzero(as_tuple=True)
    prim = rows[pair_asset, pair_slot]
    order = torch.sort(prim, stable=True).indices
    all_prim, all_ray = prim[order], (pair_asset * N + pair_ray)[order]
    marching = far > t
    live = marching.nonzero().squeeze(1)
    prim, point = _compact(marching, all_prim, all_ray)
    o_live, d_live, t_live, far_live = o[live], d[live], t[live], far[live]
    hit = torch.zeros_like(marching)
    for _ in range(TRACE_STEPS):
        if live.numel() == 0:
            break
        dist = _sdf_at(table, o_live + t_live[:, None] * d_live, prim, point)
        t_live += dist
        reached = dist.abs() < HIT_EPS
        arrived = live[reached]
        hit[arrived] = True
        t[arrived] = t_live[reached]
        keep = ~reached & (t_live < far_live)
        prim, point = _compact(keep, prim, point)
        kept = keep.nonzero().squeeze(1)
        live, o_live, d_live, t_live, far_live = live[kept], o_live[kept], d_live[kept], t_live[kept], far_live[kept]
    hits = hit.nonzero().squeeze(1)
    prim, point = _compact(hit, all_prim, all_ray)
    o_hit, d_hit, t_hit = o[hits], d[hits], t[hits]
    for _ in range(REFINE_STEPS):  # a hit stops within HIT_EPS of the surface; close the gap for exact depth
        t_hit += _sdf_at(table, o_hit + t_hit[:, None] * d_hit, prim, point)
    t[hits] = t_hit
    return Trace(hit, t, prim, point)


def _sdf_at(table, points, prim, point):
    """SDF [len(points)] over the points' crossed parts (pairs prim / point)."""
    return combine_pairs(table, prim, point, pair_distances(table, points, prim, point), points.shape[0])


def normals(table: PrimitiveTable, p: torch.Tensor, prim: torch.Tensor, point: torch.Tensor) -> torch.Tensor:
    """Unit SDF gradients at points [K, 3] by the tetrahedron finite-difference stencil, over the (part, point)
    pairs given (pair_distances' order)."""
    k = torch.tensor([[1, -1, -1], [-1, -1, 1], [-1, 1, -1], [1, 1, 1]], dtype=p.dtype)
    g = sum(k[i] * _sdf_at(table, p + NORMAL_EPS * k[i], prim, point)[:, None] for i in range(4))
    return g / g.norm(dim=-1, keepdim=True).clamp(min=1e-9)


def render(table: PrimitiveTable, cameras: Cameras, resolution: int = 64,
           background: Optional[torch.Tensor] = None) -> Renders:
    """Render every asset of the table from its camera. background: [B, 3] colours (white when omitted)."""
    B, H, W = len(cameras), resolution, resolution
    o, d = rays(cameras, H, W)
    trace = sphere_trace(table, o, d)
    hit, t = trace.hit.reshape(B, H * W), trace.t.reshape(B, H * W)
    bg = torch.ones(B, 3) if background is None else background
    colour = bg[:, None, :].repeat(1, H * W, 1)
    idx = trace.hit.nonzero().squeeze(1)
    asset = idx // (H * W)
    p = (o + t[..., None] * d).reshape(-1, 3)[idx]
    n = normals(table, p, trace.prim, trace.point)
    light = cameras.light_direction()[asset]
    shade = AMBIENT + DIFFUSE * (n * light).sum(-1).clamp(min=0.0)
    colour.view(-1, 3)[idx] = (albedo_of_pairs(table, p, trace.prim, trace.point) * shade[:, None]).clamp(0.0, 1.0)
    depth = torch.where(hit, t, torch.full_like(t, float("inf")))
    to_image = lambda x: x.reshape(B, H, W, -1).permute(0, 3, 1, 2)
    return Renders(to_image(colour).contiguous(), to_image(hit[..., None]), to_image(depth[..., None]))
