"""Score-distillation guidance: ASD (ScaleDreamer), SDS (DreamFusion), CSD and VSD (ProlificDreamer).

Every method turns renders x into an image-space gradient g and returns the surrogate loss
    target = (x - g).detach();  loss = 0.5 * sum((x - target)^2) / B
whose derivative w.r.t. x is exactly g / B, so backpropagation carries g into the 3D parameters through the
renderer only, never through the diffusion model (DreamFusion, eq. 3; the reference code's trick).
x is the network-space image, rgb * 2 - 1.
"""
import copy
from dataclasses import dataclass
from typing import Callable, Dict, Optional, Tuple

import torch
import torch.nn.functional as F

from ..common.registry import find, register
from ..prior.schedule import NoiseSchedule, classifier_free_guidance, q_sample

EpsModel = Callable[[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]
# eps_model(x_t [B,3,H,W], t float [B], text [B,L,D], camera [B,4]) -> eps [B,3,H,W]


def annealed_range(progress: float, t_min=(0.50, 0.02), t_max=(0.98, 0.50)) -> Tuple[float, float]:
    """T_min / T_max as fractions of T, annealed linearly over the run (ScaleDreamer reference code)."""
    p = min(max(progress, 0.0), 1.0)
    return t_min[0] + (t_min[1] - t_min[0]) * p, t_max[0] + (t_max[1] - t_max[0]) * p


def sds_surrogate(x: torch.Tensor, grad: torch.Tensor) -> torch.Tensor:
    grad = torch.nan_to_num(grad)
    target = (x - grad).detach()
    return 0.5 * F.mse_loss(x, target, reduction="sum") / x.shape[0]


@dataclass
class GuidanceConfig:
    guidance_scale: float = 7.5
    anneal: bool = True          # ASD's annealed [T_min, T_max]; otherwise a fixed [min_step, max_step]
    min_step: float = 0.02
    max_step: float = 0.98
    eta: float = 0.1             # ASD's "plus_ratio"
    random_dt: bool = True


class Guidance:
    def __init__(self, cfg: GuidanceConfig, eps_model: EpsModel, schedule: NoiseSchedule):
        self.cfg, self.eps_model, self.schedule = cfg, eps_model, schedule

    def _t_range(self, progress: float) -> Tuple[int, int]:
        lo, hi = annealed_range(progress) if self.cfg.anneal else (self.cfg.min_step, self.cfg.max_step)
        return int(lo * self.schedule.T), int(hi * self.schedule.T)

    def _eps_cfg(self, x_t, t, cond, uncond, camera, scale):
        """One batched pass for the conditional and unconditional predictions."""
        eps = self.eps_model(torch.cat([x_t, x_t]), torch.cat([t, t]), torch.cat([cond, uncond]),
                             torch.cat([camera, camera]))
        eps_c, eps_u = eps.chunk(2)
        return classifier_free_guidance(eps_u, eps_c, scale), eps_c, eps_u

    def __call__(self, rgb: torch.Tensor, cond: torch.Tensor, uncond: torch.Tensor, camera: torch.Tensor,
                 progress: float, generator: Optional[torch.Generator] = None) -> Dict[str, torch.Tensor]:
        x = rgb * 2 - 1
        t_lo, t_hi = self._t_range(progress)
        t = torch.randint(t_lo, t_hi + 1, (x.shape[0],), generator=generator)
        eps = torch.randn(x.shape, generator=generator)
        with torch.no_grad():
            grad = self.gradient(x.detach(), t, eps, cond, uncond, camera, t_lo, generator)
        return {"loss": sds_surrogate(x, grad), "grad_norm": grad.flatten(1).norm(dim=1).mean(),
                "t": t.float().mean()}

    def gradient(self, x, t, eps, cond, uncond, camera, t_lo, generator) -> torch.Tensor:
        raise NotImplementedError


@register("asd")
class ASD(Guidance):
    """Asynchronous Score Distillation (ScaleDreamer, eq. 9): w(t) (eps_cfg(x_t; t) - eps(x_{t+dt}; t+dt)).

    The same noise eps makes both noisy images; dt ~ U[0, eta (t - T_min)] (random dt, floored); CFG on the t
    prediction only, the t+dt prediction is conditional; w(t) = 1 - alphabar_t.
    """

    def gradient(self, x, t, eps, cond, uncond, camera, t_lo, generator):
        T = self.schedule.T
        u = torch.rand(t.shape, generator=generator) if self.cfg.random_dt else torch.ones(t.shape)
        dt = torch.floor(u * self.cfg.eta * (t - t_lo).float()).long()
        dt = torch.minimum(dt, T - 1 - t)
        t2 = (t + dt).clamp(1, T - 1)
        ab, ab2 = self.schedule.alpha_bar(t), self.schedule.alpha_bar(t2)
        eps_t, _, _ = self._eps_cfg(q_sample(x, eps, ab), t.float(), cond, uncond, camera, self.cfg.guidance_scale)
        eps_t2 = self.eps_model(q_sample(x, eps, ab2), t2.float(), cond, camera)
        return (1 - ab) * (eps_t - eps_t2)


@register("sds")
class SDS(Guidance):
    """Score Distillation Sampling (DreamFusion, eq. 3): w(t) (eps_cfg(x_t) - eps), CFG ~100."""

    def gradient(self, x, t, eps, cond, uncond, camera, t_lo, generator):
        ab = self.schedule.alpha_bar(t)
        eps_t, _, _ = self._eps_cfg(q_sample(x, eps, ab), t.float(), cond, uncond, camera, self.cfg.guidance_scale)
        return (1 - ab) * (eps_t - eps)


@register("csd")
class CSD(Guidance):
    """Classifier Score Distillation (Yu et al. 2023, eq. 7): eps(x_t; y) - eps(x_t; empty), w = 1."""

    def gradient(self, x, t, eps, cond, uncond, camera, t_lo, generator):
        ab = self.schedule.alpha_bar(t)
        _, eps_c, eps_u = self._eps_cfg(q_sample(x, eps, ab), t.float(), cond, uncond, camera, 1.0)
        return eps_c - eps_u


@register("vsd")
class VSD(Guidance):
    """Variational Score Distillation (ProlificDreamer, eq. 9): w(t) (eps_pretrained_cfg(x_t) - eps_phi(x_t; c)).

    eps_phi is a trainable copy of the prior, camera-conditioned, fitted online to the current renders with the
    ordinary diffusion loss (t ~ U[0, T), 10% condition dropout) by `update_particles`.
    """

    def __init__(self, cfg, eps_model, schedule, trainable_copy: torch.nn.Module, lr: float = 1e-4):
        super().__init__(cfg, eps_model, schedule)
        self.phi = trainable_copy
        self.opt = torch.optim.AdamW(self.phi.parameters(), lr=lr)

    def gradient(self, x, t, eps, cond, uncond, camera, t_lo, generator):
        ab = self.schedule.alpha_bar(t)
        x_t = q_sample(x, eps, ab)
        eps_t, _, _ = self._eps_cfg(x_t, t.float(), cond, uncond, camera, self.cfg.guidance_scale)
        return (1 - ab) * (eps_t - self.phi(x_t, t.float(), cond, camera))

    def update_particles(self, rgb, cond, uncond, camera, generator=None) -> torch.Tensor:
        x = rgb.detach() * 2 - 1
        t = torch.randint(0, self.schedule.T, (x.shape[0],), generator=generator)
        eps = torch.randn(x.shape, generator=generator)
        drop = (torch.rand(x.shape[0], generator=generator) < 0.1).view(-1, 1, 1)
        text = torch.where(drop, uncond, cond)
        loss = F.mse_loss(self.phi(q_sample(x, eps, self.schedule.alpha_bar(t)), t.float(), text, camera), eps)
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return loss.detach()


def make_guidance(name: str, cfg: GuidanceConfig, eps_model: EpsModel, schedule: NoiseSchedule,
                  unet: Optional[torch.nn.Module] = None) -> Guidance:
    """Build a guidance by name; VSD gets a trainable deep copy of the prior's UNet."""
    cls = find(name)
    if not (isinstance(cls, type) and issubclass(cls, Guidance)):
        raise ValueError(f"{name!r} is not a guidance")
    if cls is VSD:
        if unet is None:
            raise ValueError("vsd needs the prior's UNet to copy")
        phi = copy.deepcopy(unet).train()
        for p in phi.parameters():
            p.requires_grad_(True)
        return VSD(cfg, eps_model, schedule, phi)
    return cls(cfg, eps_model, schedule)


DEFAULTS = {  # the paper's settings per method
    "asd": GuidanceConfig(guidance_scale=7.5, eta=0.1),
    "sds": GuidanceConfig(guidance_scale=100.0),
    "csd": GuidanceConfig(guidance_scale=1.0),
    "vsd": GuidanceConfig(guidance_scale=7.5),
}
