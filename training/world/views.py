"""The fixed evaluation views: 4 azimuths around the asset on a white background."""
import torch

from .camera import Cameras, fixed_cameras
from .render import render
from .scene import compile_specs
from .grammar import parse

EVAL_AZIMUTHS = (0.0, 90.0, 180.0, 270.0)
EVAL_ELEVATION = 15.0


def eval_cameras(n_prompts: int) -> Cameras:
    """Cameras for n prompts x 4 views, views consecutive per prompt."""
    return fixed_cameras(list(EVAL_AZIMUTHS) * n_prompts, elevation=EVAL_ELEVATION)


def render_eval_views(prompts, resolution: int = 64, batch: int = 64) -> torch.Tensor:
    """Ground-truth renders [P * 4, 3, R, R] of prompts at the evaluation views."""
    views = len(EVAL_AZIMUTHS)
    specs = [parse(p) for p in prompts for _ in range(views)]
    cams = eval_cameras(len(prompts))
    out = []
    for i in range(0, len(specs), batch):
        sl = slice(i, i + batch)
        sub = Cameras(cams.azimuth[sl], cams.elevation[sl], cams.distance[sl], cams.fov[sl])
        out.append(render(compile_specs(specs[sl]), sub, resolution).images)
    return torch.cat(out)
