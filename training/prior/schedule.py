"""The DDPM noise schedule (T = 1000) and the DDIM sampler with classifier-free guidance, as named formulas.

Why cosine ("squaredcos_cap_v2" in diffusers): at 64x64 in pixel space the linear schedule of Ho et al. destroys the
image within the first half of the steps, wasting most timesteps on near-pure noise; the cosine schedule
(Nichol & Dhariwal 2021) spreads the signal-to-noise ratio evenly in log space and is what pixel-space 64x64 models
(improved DDPM, DeepFloyd IF stage I) use. The linear schedule stays available by name for comparison.
"""
from dataclasses import dataclass
from typing import Callable

import math
import torch

BETA_SCHEDULES = ("squaredcos_cap_v2", "linear")
MAX_BETA = 0.999


def cosine_alpha_bar(t: torch.Tensor, s: float = 0.008) -> torch.Tensor:
    """f(t) = cos^2(((t / T) + s) / (1 + s) * pi / 2) for t as a fraction of T (Nichol & Dhariwal 2021, eq. 17)."""
    return torch.cos((t + s) / (1 + s) * math.pi / 2) ** 2


def cosine_betas(steps: int) -> torch.Tensor:
    """beta_t = 1 - alphabar_t / alphabar_{t-1}, clipped at 0.999 to avoid a singularity at t = T (ibid.)."""
    grid = torch.arange(steps + 1, dtype=torch.float64) / steps
    ab = cosine_alpha_bar(grid)
    return (1 - ab[1:] / ab[:-1]).clamp(max=MAX_BETA)


def linear_betas(steps: int, start: float = 1e-4, end: float = 0.02) -> torch.Tensor:
    """beta_t linear from 1e-4 to 0.02 (Ho et al. 2020, section 4)."""
    return torch.linspace(start, end, steps, dtype=torch.float64)


def alphas_cumprod(betas: torch.Tensor) -> torch.Tensor:
    """alphabar_t = prod_{s <= t} (1 - beta_s) (Ho et al. 2020, eq. 4)."""
    return torch.cumprod(1 - betas, dim=0)


def gather(ab: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """alphabar at integer or fractional timesteps t [B] (linear interpolation), shaped [B, 1, 1, 1]."""
    t = t.float().clamp(0, ab.shape[0] - 1)
    lo = t.floor().long()
    hi = (lo + 1).clamp(max=ab.shape[0] - 1)
    w = t - lo.float()
    return ((1 - w) * ab[lo] + w * ab[hi]).float().view(-1, 1, 1, 1)


def q_sample(x0: torch.Tensor, eps: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
    """x_t = sqrt(alphabar_t) x_0 + sqrt(1 - alphabar_t) eps (Ho et al. 2020, eq. 4)."""
    return ab.sqrt() * x0 + (1 - ab).sqrt() * eps


def snr(ab: torch.Tensor) -> torch.Tensor:
    """SNR(t) = alphabar_t / (1 - alphabar_t) (Kingma et al. 2021, eq. 1)."""
    return ab / (1 - ab)


PREDICTION_TYPES = ("epsilon", "v_prediction")


LOSS_WEIGHTINGS = ("min_snr", "min_snr_plus_one")


def min_snr_weight(ab: torch.Tensor, gamma: float, prediction_type: str = "epsilon",
                   weighting: str = "min_snr") -> torch.Tensor:
    """Loss weight in the network's output space for an x_0-space weight w: w / SNR for epsilon, w / (SNR + 1) for v.

    "min_snr": w = min(SNR, gamma) (Hang et al. 2023, section 3.4). At high noise w ~ SNR ~ 0, as with the plain
    epsilon loss: the steps that decide an image's layout barely train, and a small prior's samples from pure noise
    come out as blobs. "min_snr_plus_one" (v only): w = min(SNR, gamma) + 1, which keeps a unit x_0 weight at high
    noise, like the plain v loss and EDM's weighting (Karras et al. 2022, table 1), while still capping the weight
    of nearly clean steps: in v-space (min(SNR, gamma) + 1) / (SNR + 1).
    """
    if weighting not in LOSS_WEIGHTINGS:
        raise ValueError(f"unknown loss weighting {weighting!r}; choose one of {LOSS_WEIGHTINGS}")
    s = snr(ab)
    w = s.clamp(max=gamma)
    if weighting == "min_snr_plus_one":
        if prediction_type != "v_prediction":
            raise ValueError("min_snr_plus_one needs v_prediction: its epsilon weight (w / SNR) diverges at high noise")
        w = w + 1
    return w / (s if prediction_type == "epsilon" else s + 1)


def v_target(x0: torch.Tensor, eps: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
    """v = sqrt(alphabar) eps - sqrt(1 - alphabar) x_0 (Salimans & Ho 2022, section 4)."""
    return ab.sqrt() * eps - (1 - ab).sqrt() * x0


def eps_from_v(x_t: torch.Tensor, v: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
    """eps = sqrt(1 - alphabar) x_t + sqrt(alphabar) v (ibid., from x_t = sqrt(ab) x_0 + sqrt(1 - ab) eps and
    the definition of v); well conditioned at every t, unlike x_0 from eps near t = T."""
    return (1 - ab).sqrt() * x_t + ab.sqrt() * v


def predict_x0(x_t: torch.Tensor, eps: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
    """x_0 = (x_t - sqrt(1 - alphabar_t) eps) / sqrt(alphabar_t) (Song et al. 2021 (DDIM), eq. 9)."""
    return (x_t - (1 - ab).sqrt() * eps) / ab.sqrt()


def ddim_step(x0: torch.Tensor, eps: torch.Tensor, ab_prev: torch.Tensor) -> torch.Tensor:
    """Deterministic DDIM update (sigma = 0): x_prev = sqrt(ab_prev) x_0 + sqrt(1 - ab_prev) eps (DDIM eq. 12)."""
    return ab_prev.sqrt() * x0 + (1 - ab_prev).sqrt() * eps


def classifier_free_guidance(eps_uncond: torch.Tensor, eps_cond: torch.Tensor, scale: float) -> torch.Tensor:
    """eps = eps_u + w (eps_c - eps_u) (Ho & Salimans 2022, eq. 6 written with w = 1 + their w)."""
    return eps_uncond + scale * (eps_cond - eps_uncond)


def ddim_timesteps(train_steps: int, sample_steps: int) -> torch.Tensor:
    """"leading" spacing (DDIM's and diffusers' default): t = i * (T // N) for i = N - 1 .. 0, i.e. 980 .. 0.

    Not "trailing" (999 .. 19, Lin et al. 2024): with the cosine schedule alphabar_999 ~ 2e-9, and an epsilon
    model's x_0 = (x_t - sqrt(1 - alphabar) eps) / sqrt(alphabar) would amplify its eps error 2e4-fold on the first
    step; at t = 980 (alphabar ~ 1e-3, 3% signal) the factor is 32 and starting from pure noise costs nothing.
    """
    return torch.arange(sample_steps - 1, -1, -1) * (train_steps // sample_steps)


@dataclass
class ScheduleConfig:
    num_train_timesteps: int = 1000
    beta_schedule: str = "squaredcos_cap_v2"


class NoiseSchedule:
    def __init__(self, cfg: ScheduleConfig = None):
        self.cfg = cfg or ScheduleConfig()
        if self.cfg.beta_schedule == "squaredcos_cap_v2":
            self.betas = cosine_betas(self.cfg.num_train_timesteps)
        elif self.cfg.beta_schedule == "linear":
            self.betas = linear_betas(self.cfg.num_train_timesteps)
        else:
            raise ValueError(f"unknown beta_schedule {self.cfg.beta_schedule!r}; choose one of {BETA_SCHEDULES}")
        self.alphas_cumprod = alphas_cumprod(self.betas)  # float64 [T]

    @property
    def T(self) -> int:
        return self.cfg.num_train_timesteps

    def alpha_bar(self, t: torch.Tensor) -> torch.Tensor:
        return gather(self.alphas_cumprod, t)

    def to_json(self) -> dict:
        return {"num_train_timesteps": self.T, "beta_schedule": self.cfg.beta_schedule,
                "prediction_type": "epsilon", "timestep_dtype": "float32", "clip_sample": True,
                "betas": self.betas.tolist(), "alphas_cumprod": self.alphas_cumprod.tolist()}


EpsFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (x_t [B,3,H,W], t float [B]) -> eps [B,3,H,W]


@torch.no_grad()
def ddim_sample(eps_fn: EpsFn, schedule: NoiseSchedule, noise: torch.Tensor, steps: int = 50) -> torch.Tensor:
    """DDIM from x_T = noise to x_0 in [-1, 1]; eps_fn already applies guidance. x_0 is clipped at every step."""
    x = noise
    ts = ddim_timesteps(schedule.T, steps)
    for i, t in enumerate(ts):
        tb = torch.full((x.shape[0],), float(t))
        ab = schedule.alpha_bar(tb)
        ab_prev = schedule.alpha_bar(torch.full_like(tb, float(ts[i + 1]))) if i + 1 < len(ts) else torch.ones_like(ab)
        eps = eps_fn(x, tb)
        # 1. predict x_0 and clip it to the data range; 2. re-derive eps from the clipped x_0 so the step stays on
        # the deterministic DDIM trajectory through it; 3. jump to the previous timestep.
        x0 = predict_x0(x, eps, ab).clamp(-1, 1)
        eps = (x - ab.sqrt() * x0) / (1 - ab).sqrt()
        x = ddim_step(x0, eps, ab_prev)
    return x
