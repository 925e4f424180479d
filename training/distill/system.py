"""Amortized text-to-triplane training with score distillation (and its per-prompt variant).

One step (ScaleDreamer, Alg. 1 with our renderer):
  1. P prompts from the prompt set -> frozen text encoder -> states; the generator maps them to triplanes.
  2. V cameras per prompt from the world's distribution; render 64x64 with jittered samples, random background.
  3. View-dependent prompts (", front view", ...) -> conditional states for the prior; the empty prompt -> uncond.
  4. Guidance (asd / sds / csd / vsd, by name) -> surrogate loss; backprop into the generator and the decoder.
In per-prompt mode a single learnable triplane replaces the generator (the refinement path of the plugin).
"""
import random
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from ..world.camera import Cameras, sample_cameras, view_prompt
from ..world.pool import random_backgrounds
from .generator import TriplaneGenerator
from .guidance import DEFAULTS, Guidance, GuidanceConfig, make_guidance
from ..prior.model import DiffusionPrior
from .renderer import RenderConfig, Rendered, render_triplanes
from .triplane import TriplaneDecoder


@dataclass
class SystemConfig:
    guidance_type: str = "asd"
    guidance: Optional[GuidanceConfig] = None  # None: the method's paper defaults
    prompts_per_step: int = 4
    views_per_prompt: int = 2
    resolution: Optional[int] = None         # what the prior sees; None: the size it was trained at
    render_resolution: Optional[int] = None  # rendered at this size and upsampled to `resolution`; None: the same
    render: RenderConfig = field(default_factory=RenderConfig)
    generator: TriplaneGenerator.Config = field(default_factory=TriplaneGenerator.Config)
    decoder: TriplaneDecoder.Config = field(default_factory=TriplaneDecoder.Config)


class PlaneParameter(nn.Module):
    """Per-prompt mode: one learnable triplane, initialised from a given one (or zeros = the sphere)."""

    def __init__(self, planes: torch.Tensor):
        super().__init__()
        self.planes = nn.Parameter(planes.clone())

    def forward(self, text: torch.Tensor) -> torch.Tensor:
        return self.planes.expand(text.shape[0], -1, -1, -1, -1)


class DistillationSystem(nn.Module):
    """Geometry (generator or plane parameter) + decoder, trained by a named guidance against a frozen prior."""

    def __init__(self, cfg: SystemConfig, prior: DiffusionPrior, geometry: Optional[nn.Module] = None):
        super().__init__()
        self.cfg, self.prior = cfg, prior
        if cfg.resolution is None:
            cfg.resolution = prior.cfg.unet.resolution
        if geometry is None:
            cfg.generator.text_dim = prior.text_encoder.cfg.width
            geometry = TriplaneGenerator(cfg.generator)
        self.geometry = geometry
        self.decoder = TriplaneDecoder(cfg.decoder)
        gcfg = cfg.guidance or DEFAULTS.get(cfg.guidance_type)
        if gcfg is None:
            raise ValueError(f"unknown guidance {cfg.guidance_type!r}; choose one of {', '.join(DEFAULTS)}")
        self.guidance: Guidance = make_guidance(cfg.guidance_type, gcfg, prior.eps, prior.schedule, prior.unet)
        with torch.no_grad():
            self._uncond = prior.encode([""])

    def trainable_parameters(self):
        return list(self.geometry.parameters()) + list(self.decoder.parameters())

    def text_and_planes(self, prompts: List[str]) -> Tuple[torch.Tensor, torch.Tensor]:
        """The prompts' text states (frozen encoder) and the geometry's planes for them, one per prompt."""
        with torch.no_grad():
            text = self.prior.encode(prompts)
        return text, self.geometry(text)

    def render(self, planes, cameras: Cameras, background, jitter=None) -> Rendered:
        """Rendering costs the most on CPU (samples x pixels decoder queries); rendering at a quarter of the pixels
        and upsampling bilinearly keeps the prior's input size while the gradient still reaches every sample."""
        size = self.cfg.render_resolution or self.cfg.resolution
        out = render_triplanes(self.decoder, planes, cameras, size, background, self.cfg.render, jitter)
        if size == self.cfg.resolution:
            return out
        up = lambda x: F.interpolate(x, size=self.cfg.resolution, mode="bilinear", align_corners=False)
        return Rendered(up(out.images), up(out.opacity), up(out.depth))

    def forward(self, prompts: List[str], progress: float, g: torch.Generator) -> dict:
        """One training step's loss (a forward, so DistributedDataParallel can wrap the whole system)."""
        V = self.cfg.views_per_prompt
        text, per_prompt = self.text_and_planes(prompts)
        planes = per_prompt.repeat_interleave(V, dim=0)
        cams = sample_cameras(len(prompts) * V, g)
        background = random_backgrounds(len(cams), g)
        out = self.render(planes, cams, background, jitter=g)
        view_prompts = [view_prompt(p, float(a), float(e))
                        for p, a, e in zip([p for p in prompts for _ in range(V)], cams.azimuth, cams.elevation)]
        with torch.no_grad():
            cond = self.prior.encode(view_prompts)
        uncond = self._uncond.expand_as(cond)
        result = self.guidance(out.images, cond, uncond, cams.as_vector(), progress, g)
        result.update(images=out.images, cond=cond, uncond=uncond, cameras=cams, text=text, planes=per_prompt)
        return result


def sample_prompts(prompts: List[str], n: int, rng: random.Random) -> List[str]:
    return [rng.choice(prompts) for _ in range(n)]
