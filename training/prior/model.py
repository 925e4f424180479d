"""DiffusionPrior: tokenizer + text encoder + camera UNet + noise schedule, wired by name from one config.

This is the object score distillation uses: `encode` prompts once, then `eps` / `eps_cfg` at any (fractional)
timestep, camera and noisy image. Everything works on images in [-1, 1] (docs/conventions.md: x * 2 - 1).
"""
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from typing import List, Sequence

import torch
from torch import nn

from ..common.registry import find
from . import schedule as S
from .text_encoder import TextEncoder
from .tokenizer import WordTokenizer
from .unet import CameraUNet


@dataclass
class PriorConfig:
    tokenizer_type: str = "word-tokenizer"
    tokenizer: WordTokenizer.Config = field(default_factory=WordTokenizer.Config)
    text_encoder_type: str = "text-transformer"
    text_encoder: TextEncoder.Config = field(default_factory=TextEncoder.Config)
    unet_type: str = "camera-unet"
    # New runs predict v; a config saved without prediction_type (the first runs) keeps the class default, epsilon.
    unet: CameraUNet.Config = field(default_factory=lambda: CameraUNet.Config(prediction_type="v_prediction"))
    schedule: S.ScheduleConfig = field(default_factory=S.ScheduleConfig)
    min_snr_gamma: float = 5.0
    loss_weighting: str = "min_snr"  # schedule.LOSS_WEIGHTINGS; configs saved before it existed used min_snr


def config_from_dict(cls, data: dict):
    """Rebuild a (nested) dataclass config from asdict() output; unknown keys raise ValueError."""
    names = {f.name: f for f in fields(cls)}
    unknown = set(data) - set(names)
    if unknown:
        raise ValueError(f"unknown {cls.__qualname__} options: {', '.join(sorted(unknown))}")
    kwargs = {}
    for key, value in data.items():
        default = getattr(cls(), key) if names[key].default_factory is not None else None
        if is_dataclass(default):
            kwargs[key] = config_from_dict(type(default), value)
        elif isinstance(value, list):
            kwargs[key] = tuple(value)
        else:
            kwargs[key] = value
    return cls(**kwargs)


class DiffusionPrior(nn.Module):
    def __init__(self, cfg: PriorConfig):
        super().__init__()
        self.cfg = cfg
        self.tokenizer = find(cfg.tokenizer_type)(cfg.tokenizer)
        cfg.text_encoder.vocab_size = self.tokenizer.vocab_size
        cfg.text_encoder.max_length = cfg.tokenizer.max_length
        cfg.unet.text_dim = cfg.text_encoder.width
        cfg.unet.num_train_timesteps = cfg.schedule.num_train_timesteps
        cfg.unet.beta_schedule = cfg.schedule.beta_schedule
        self.text_encoder = find(cfg.text_encoder_type)(cfg.text_encoder)
        self.unet = find(cfg.unet_type)(cfg.unet)
        self.schedule = S.NoiseSchedule(cfg.schedule)

    def bundle(self) -> dict:
        """The frozen prior in one file, as score distillation loads it (training.distill.prior_bundle.load_bundle):
        configs and weights of the text encoder and UNet, the tokenizer and schedule configs."""
        return {"tokenizer": asdict(self.tokenizer.cfg),
                "text_encoder": {"config": asdict(self.text_encoder.cfg), "state": self.text_encoder.state_dict()},
                "unet": {"config": asdict(self.unet.cfg), "state": self.unet.state_dict()},
                "schedule": asdict(self.schedule.cfg)}

    def encode(self, prompts: Sequence[str], strict: bool = True) -> torch.Tensor:
        """Prompts (with their view suffix; "" is unconditional) -> text states [B, L, D]."""
        return self.text_encoder(self.tokenizer.encode(prompts, strict))

    def eps(self, x_t: torch.Tensor, t: torch.Tensor, text: torch.Tensor, camera: torch.Tensor) -> torch.Tensor:
        """Predicted noise [B, 3, H, W] at float timesteps t [B]."""
        return self.unet(x_t, t.float(), text, camera)

    def eps_cfg(self, x_t: torch.Tensor, t: torch.Tensor, text: torch.Tensor, uncond: torch.Tensor,
                camera: torch.Tensor, scale: float) -> torch.Tensor:
        """Guided noise, conditional and unconditional halves in one batch. uncond: [1 or B, L, D]."""
        b = x_t.shape[0]
        both = self.eps(torch.cat([x_t, x_t]), torch.cat([t, t]), torch.cat([text, uncond.expand_as(text)]),
                        torch.cat([camera, camera]))
        return S.classifier_free_guidance(both[b:], both[:b], scale)

    def losses(self, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor, text: torch.Tensor,
               camera: torch.Tensor) -> torch.Tensor:
        """Per-sample weighted MSE [B] of the network's output against its target, epsilon (Ho et al. 2020, eq. 14)
        or v (Salimans & Ho 2022), weighted per cfg.loss_weighting (schedule.min_snr_weight)."""
        ab = self.schedule.alpha_bar(t)
        kind = self.cfg.unet.prediction_type
        pred = self.unet.predict(S.q_sample(x0, noise, ab), t.float(), text, camera)
        target = noise if kind == "epsilon" else S.v_target(x0, noise, ab)
        weight = S.min_snr_weight(ab, self.cfg.min_snr_gamma, kind, self.cfg.loss_weighting).flatten()
        return weight * (pred - target).pow(2).mean(dim=(1, 2, 3))

    @torch.no_grad()
    def sample(self, prompts: List[str], camera: torch.Tensor, guidance: float = 7.5, steps: int = 50,
               generator: torch.Generator = None, batch: int = 64) -> torch.Tensor:
        """DDIM samples [B, 3, H, W] in [0, 1] for full prompts (view suffix included) and camera vectors [B, 4]."""
        res = self.cfg.unet.resolution
        uncond = self.encode([""])
        out = []
        for i in range(0, len(prompts), batch):
            text, cam = self.encode(prompts[i:i + batch]), camera[i:i + batch]
            noise = torch.randn(text.shape[0], 3, res, res, generator=generator)
            eps_fn = lambda x, t: self.eps_cfg(x, t, text, uncond, cam, guidance)
            out.append(S.ddim_sample(eps_fn, self.schedule, noise, steps))
        return (torch.cat(out) + 1) / 2
