"""3D metrics against the ground truth: occupancy IoU (best yaw), Chamfer distance, surface colour error.

Assets are compared as grids over [-1, 1]^3: an occupancy grid [R, R, R] (x, y, z) and a colour grid
[R, R, R, 3] filled at surface voxels. The prediction is rotated about +Y by k * 90 deg and the best IoU picks k
(a generator may put the front of an asset anywhere); Chamfer and colour use that rotation.
"""
from typing import Callable, Dict

import torch
import torch.nn.functional as F

from .grammar import Spec
from .scene import albedo_points, compile_specs, grid_points, sdf_points

GRID = 64
SURFACE_SAMPLES = 4096
Field = Callable[[torch.Tensor], torch.Tensor]  # points [N, 3] -> values [N] or [N, 3]


def surface_mask(occ: torch.Tensor) -> torch.Tensor:
    """Occupied voxels with at least one empty 6-neighbour (outside the grid counts as empty)."""
    x = occ.float()[None, None]
    empty_neighbour = 1 - (-F.max_pool3d(-F.pad(x, (1,) * 6), 3, stride=1))  # min-pool = erosion
    return occ & (empty_neighbour[0, 0] > 0)


def field_grids(sdf: Field, albedo: Field, resolution: int = GRID, chunk: int = 65536):
    """Occupancy and surface colour grids of any field (the prediction side)."""
    pts = grid_points(resolution)
    occ = torch.cat([sdf(pts[i:i + chunk]) <= 0 for i in range(0, pts.shape[0], chunk)])
    occ = occ.reshape(resolution, resolution, resolution)
    surf = surface_mask(occ)
    colour = torch.zeros(resolution, resolution, resolution, 3)
    if surf.any():
        colour[surf] = albedo(pts[surf.reshape(-1)]).clamp(0, 1)
    return occ, colour


def spec_grids(spec: Spec, resolution: int = GRID):
    """Occupancy and surface colour grids of a ground-truth asset."""
    table = compile_specs([spec])
    asset = lambda p: torch.zeros(p.shape[0], dtype=torch.long)
    return field_grids(lambda p: sdf_points(table, p, asset(p)), lambda p: albedo_points(table, p, asset(p)),
                       resolution)


def _surface_points(occ, colour, resolution, seed):
    surf = surface_mask(occ)
    idx = surf.reshape(-1).nonzero().squeeze(1)
    if idx.numel() > SURFACE_SAMPLES:
        g = torch.Generator().manual_seed(seed)
        idx = idx[torch.randperm(idx.numel(), generator=g)[:SURFACE_SAMPLES]]
    return grid_points(resolution)[idx], colour.reshape(-1, 3)[idx]


def compare(pred_occ, pred_colour, gt_occ, gt_colour, seed: int = 0) -> Dict[str, float]:
    """IoU, Chamfer (mean of both directions, asset units) and colour error (mean abs RGB in [0, 1])."""
    resolution = gt_occ.shape[0]
    best_k, best_iou = 0, -1.0
    for k in range(4):
        rot = torch.rot90(pred_occ, k, dims=(0, 2))
        union = (rot | gt_occ).sum().item()
        iou = (rot & gt_occ).sum().item() / union if union else 0.0
        if iou > best_iou:
            best_k, best_iou = k, iou
    pred_occ = torch.rot90(pred_occ, best_k, dims=(0, 2))
    pred_colour = torch.rot90(pred_colour, best_k, dims=(0, 2))
    p_pts, p_col = _surface_points(pred_occ, pred_colour, resolution, seed)
    g_pts, g_col = _surface_points(gt_occ, gt_colour, resolution, seed)
    if p_pts.shape[0] == 0 or g_pts.shape[0] == 0:
        return {"iou": best_iou, "chamfer": float("nan"), "colour_err": float("nan"), "yaw_deg": 90.0 * best_k}
    d = torch.cdist(g_pts, p_pts)  # [G, P]
    nearest_pred = d.argmin(1)
    chamfer = 0.5 * (d.min(1).values.mean() + d.min(0).values.mean()).item()
    colour_err = (g_col - p_col[nearest_pred]).abs().mean().item()
    return {"iou": best_iou, "chamfer": chamfer, "colour_err": colour_err, "yaw_deg": 90.0 * best_k}


def compare_to_spec(spec: Spec, sdf: Field, albedo: Field, resolution: int = GRID) -> Dict[str, float]:
    pred = field_grids(sdf, albedo, resolution)
    return compare(*pred, *spec_grids(spec, resolution))
