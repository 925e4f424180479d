"""Compile specifications into a batched primitive table and query the ground truth: SDF and albedo anywhere.

A batch of B assets becomes M primitives (M = sum of their primitive counts), each with the index of its asset.
Queries pair every point with the primitives of its own asset and evaluate each primitive type once, so the cost is
proportional to the primitives actually present and to the points still being traced.
"""
import math
import warnings
from dataclasses import dataclass
from typing import Sequence

import torch

from . import primitives as P
from .assets import CATEGORIES, Prim
from .grammar import Spec
from .vocab import COLOURS, PATTERN_IDS, SIZES

warnings.filterwarnings("ignore", message="scatter_reduce", category=UserWarning)  # stable in practice since 1.12

GROUND_Y = -0.9
COMPOSITION_SCALE = 0.62
NEXT_TO_OFFSET = 0.48


def _euler_matrix(rx: float, ry: float, rz: float) -> torch.Tensor:
    rx, ry, rz = (math.radians(a) for a in (rx, ry, rz))
    cx, sx, cy, sy, cz, sz = math.cos(rx), math.sin(rx), math.cos(ry), math.sin(ry), math.cos(rz), math.sin(rz)
    mx = torch.tensor([[1, 0, 0], [0, cx, -sx], [0, sx, cx]], dtype=torch.float32)
    my = torch.tensor([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]], dtype=torch.float32)
    mz = torch.tensor([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]], dtype=torch.float32)
    return mz @ my @ mx


def _object_placements(spec: Spec):
    """(object, scale, translation) for each object of the spec, in world units."""
    if spec.relation is None:
        o = spec.objects[0]
        scale = SIZES[o.size][2] if o.size else 1.0
        return [(o, scale, (0.0, GROUND_Y, 0.0))]
    top, base = spec.objects
    s = COMPOSITION_SCALE
    if spec.relation == "on top of":
        base_top = CATEGORIES[base.category].flat_top(1.0, 1.0) * s
        return [(base, s, (0.0, GROUND_Y, 0.0)), (top, s, (0.0, GROUND_Y + base_top, 0.0))]
    return [(top, s, (-NEXT_TO_OFFSET, GROUND_Y, 0.0)), (base, s, (NEXT_TO_OFFSET, GROUND_Y, 0.0))]


@dataclass
class PrimitiveTable:
    """Column tensors of all primitives of a batch of assets (M rows)."""
    asset: torch.Tensor     # [M] long
    type: torch.Tensor      # [M] long
    centre: torch.Tensor    # [M, 3]
    rot: torch.Tensor       # [M, 3, 3] local -> world
    params: torch.Tensor    # [M, 4]
    negative: torch.Tensor  # [M] bool
    colour: torch.Tensor    # [M, 3]
    pattern: torch.Tensor   # [M] long
    num_assets: int


def _row(asset, prim, scale, offset, colour, material):
    cx, cy, cz = prim.centre
    tx, ty, tz = offset
    return (asset, prim.type, (tx + scale * cx, ty + scale * cy, tz + scale * cz), prim.euler_deg,
            tuple(scale * v for v in prim.params), prim.negative, COLOURS[colour], PATTERN_IDS[material])


def _table(rows, num_assets: int) -> PrimitiveTable:
    rows = sorted(rows, key=lambda r: r[1])  # group by primitive type (see pairs)
    rot_cache = {}
    for r in rows:
        if r[3] not in rot_cache:
            rot_cache[r[3]] = _euler_matrix(*r[3])
    return PrimitiveTable(
        asset=torch.tensor([r[0] for r in rows]), type=torch.tensor([r[1] for r in rows]),
        centre=torch.tensor([r[2] for r in rows]), rot=torch.stack([rot_cache[r[3]] for r in rows]),
        params=torch.tensor([r[4] for r in rows]), negative=torch.tensor([r[5] for r in rows]),
        colour=torch.tensor([r[6] for r in rows]), pattern=torch.tensor([r[7] for r in rows]),
        num_assets=num_assets,
    )


def compile_specs(specs: Sequence[Spec]) -> PrimitiveTable:
    rows = []
    for b, spec in enumerate(specs):
        for obj, scale, offset in _object_placements(spec):
            res = obj.resolved()
            hf, wf, _ = SIZES[obj.size] if obj.size else (1.0, 1.0, 1.0)
            styles = {"body": (res.colour, res.material), **dict(res.parts)}
            for prim in CATEGORIES[obj.category].build(hf, wf):
                rows.append(_row(b, prim, scale, offset, *styles[prim.part]))
    return _table(rows, len(specs))


def table_from_prims(assets: Sequence[Sequence[Prim]], colour: str = "grey") -> PrimitiveTable:
    """A table of hand-made assets (primitives already in world units), e.g. for analytic tests."""
    rows = [_row(b, prim, 1.0, (0.0, 0.0, 0.0), colour, "plain") for b, prims in enumerate(assets) for prim in prims]
    return _table(rows, len(assets))


def bounding_boxes(table: PrimitiveTable):
    """Per-asset axis-aligned boxes (lo, hi) [B, 3] containing every positive primitive."""
    r = P.bounding_radius(table.type, table.params)[:, None]
    keep = ~table.negative
    idx = table.asset[keep][:, None].expand(-1, 3)
    lo = torch.full((table.num_assets, 3), float("inf")).scatter_reduce(0, idx, (table.centre - r)[keep], "amin")
    hi = torch.full((table.num_assets, 3), float("-inf")).scatter_reduce(0, idx, (table.centre + r)[keep], "amax")
    return lo, hi


def pairs(table: PrimitiveTable, asset: torch.Tensor):
    """(primitive row, point index) for every primitive and every point of its asset.

    Points must be sorted by asset. Table rows are sorted by primitive type, so the pairs come out grouped by type
    and each formula runs on one contiguous slice.
    """
    counts = torch.bincount(asset, minlength=table.num_assets)
    offsets = torch.cumsum(counts, 0) - counts
    per_prim = counts[table.asset]
    prim = torch.repeat_interleave(torch.arange(per_prim.numel()), per_prim)
    block_start = torch.cumsum(per_prim, 0) - per_prim
    point = offsets[table.asset[prim]] + torch.arange(prim.numel()) - block_start[prim]
    return prim, point


def pair_distances(table: PrimitiveTable, points: torch.Tensor, prim: torch.Tensor, point: torch.Tensor):
    """Distances [P] of (primitive row, point index) pairs grouped by primitive type (as pairs() makes them, or any
    subset of those kept in order), each formula evaluated once on its contiguous slice."""
    type_ends = torch.cumsum(torch.bincount(table.type[prim], minlength=P.NUM_TYPES), 0).tolist()
    parts, start = [], 0
    for t, end in enumerate(type_ends):
        if end > start:
            m, k = prim[start:end], point[start:end]
            rel = points.index_select(0, k) - table.centre.index_select(0, m)
            local = torch.bmm(rel[:, None, :], table.rot.index_select(0, m))[:, 0]
            parts.append(P.FORMULAS[t](local, table.params.index_select(0, m)))
        start = end
    return torch.cat(parts) if parts else points.new_empty(0)


def _pair_distances(table: PrimitiveTable, points: torch.Tensor, asset: torch.Tensor):
    """Distances of each (primitive, point) pair of the points' own assets."""
    prim, point = pairs(table, asset)
    return prim, point, pair_distances(table, points, prim, point)


def combine_pairs(table: PrimitiveTable, prim: torch.Tensor, point: torch.Tensor, dist: torch.Tensor,
                  count: int) -> torch.Tensor:
    """Signed distance [count] from pair distances: the positive parts' union minus the negative ones."""
    negative = table.negative[prim]
    inf = torch.full((count,), float("inf"))
    positive = inf.scatter_reduce(0, point[~negative], dist[~negative], "amin")
    if not bool(negative.any()):
        return positive
    carved = inf.scatter_reduce(0, point[negative], dist[negative], "amin")
    return torch.maximum(positive, -carved)


def sdf_points(table: PrimitiveTable, points: torch.Tensor, asset: torch.Tensor) -> torch.Tensor:
    """Signed distance [K] of points [K, 3] sorted by their asset index [K]: positive parts minus negative ones."""
    prim, point, dist = _pair_distances(table, points, asset)
    return combine_pairs(table, prim, point, dist, points.shape[0])


def sdf(table: PrimitiveTable, points: torch.Tensor) -> torch.Tensor:
    """Signed distance [B, N] at points [B, N, 3]."""
    B, N, _ = points.shape
    asset = torch.arange(B).repeat_interleave(N)
    return sdf_points(table, points.reshape(-1, 3), asset).reshape(B, N)


def _pattern(pattern: torch.Tensor, p: torch.Tensor, base: torch.Tensor) -> torch.Tensor:
    """Material patterns: a tint plus a strong position-dependent modulation, sized to stay visible at 64x64 on
    any base colour (a tint alone is lost on some colours, a multiplicative pattern alone on black)."""
    x, y, z = p.unbind(-1)
    wave = lambda v: 0.5 + 0.5 * torch.sin(v)
    grain = wave(28.0 * y + 4.0 * torch.sin(9.0 * x + 7.0 * z))[..., None]
    blotch = wave(6.0 * torch.sin(11.0 * x + 3.0) * torch.sin(13.0 * y + 1.0) * torch.sin(9.0 * z + 2.0))[..., None]
    shine = wave(18.0 * y + 6.0 * x)[..., None]
    facets = (torch.sin(14.0 * x + 14.0 * z) * torch.sin(14.0 * y) > 0).float()[..., None]
    bands = (torch.sin(35.0 * y) > 0).float()[..., None]
    moss = (torch.sin(7.0 * x) * torch.sin(8.0 * y + 1.0) * torch.sin(6.0 * z + 2.0) > 0.1).float()[..., None]
    grey = base.mean(-1, keepdim=True).expand_as(base)
    mix = lambda a, b, t: a + (b - a) * t
    tint = lambda rgb: torch.tensor(rgb, dtype=base.dtype)
    looks = [
        base,                                                                          # plain
        base * (0.55 + 0.45 * grain) + 0.14 * grain * tint([0.6, 0.4, 0.2]),          # wooden
        mix(base, grey, 0.3) * (0.5 + 0.5 * blotch) + 0.12 * blotch,                  # stone
        mix(base, tint([0.95, 0.75, 0.2]), 0.4) * (0.7 + 0.6 * shine),                # golden
        mix(base, tint([0.85, 0.95, 1.0]), 0.55) * (0.8 + 0.2 * facets),              # icy
        mix(base, grey, 0.5) * (0.65 + 0.35 * bands) + 0.1 * bands,                   # metal
        mix(base, tint([0.25, 0.5, 0.15]), moss),                                     # mossy
    ]
    out = base
    for pid, look in enumerate(looks[1:], start=1):
        out = torch.where(pattern[..., None] == pid, look, out)
    return out.clamp(0.0, 1.0)


def albedo_points(table: PrimitiveTable, points: torch.Tensor, asset: torch.Tensor) -> torch.Tensor:
    """Albedo [K, 3] of points [K, 3] sorted by asset: colour and material pattern of the nearest positive part."""
    prim, point = pairs(table, asset)
    return albedo_of_pairs(table, points, prim, point)


def albedo_of_pairs(table: PrimitiveTable, points: torch.Tensor, prim: torch.Tensor, point: torch.Tensor):
    """albedo_points over given (part, point) pairs (pair_distances' order): the nearest positive part among them."""
    dist = pair_distances(table, points, prim, point)
    dist = torch.where(table.negative[prim], torch.full_like(dist, float("inf")), dist)
    best = torch.full((points.shape[0],), float("inf")).scatter_reduce(0, point, dist, "amin")
    is_best = dist <= best[point]
    nearest = torch.zeros(points.shape[0], dtype=torch.long)
    nearest[point[is_best]] = prim[is_best]
    return _pattern(table.pattern[nearest], points, table.colour[nearest])


def albedo(table: PrimitiveTable, points: torch.Tensor) -> torch.Tensor:
    """Albedo [B, N, 3] at points [B, N, 3]."""
    B, N, _ = points.shape
    asset = torch.arange(B).repeat_interleave(N)
    return albedo_points(table, points.reshape(-1, 3), asset).reshape(B, N, 3)


def grid_points(resolution: int, bound: float = 1.0) -> torch.Tensor:
    """Voxel centres of a resolution^3 grid over [-bound, bound]^3, indexed [x, y, z] -> [R^3, 3]."""
    c = (torch.arange(resolution, dtype=torch.float32) + 0.5) / resolution * 2 * bound - bound
    return torch.stack(torch.meshgrid(c, c, c, indexing="ij"), -1).reshape(-1, 3)


def occupancy(table: PrimitiveTable, resolution: int = 64, chunk: int = 65536) -> torch.Tensor:
    """Occupancy grids [B, R, R, R] (bool) of every asset of the table."""
    pts = grid_points(resolution)
    out = []
    for i in range(0, pts.shape[0], chunk):
        p = pts[i:i + chunk][None].expand(table.num_assets, -1, -1)
        out.append(sdf(table, p) <= 0)
    return torch.cat(out, 1).reshape(table.num_assets, resolution, resolution, resolution)

