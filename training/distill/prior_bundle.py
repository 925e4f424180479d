"""The frozen 2D prior as score distillation sees it: tokenizer + text encoder + eps-UNet + noise schedule."""
from dataclasses import dataclass
from pathlib import Path
from typing import List

import torch
from torch import nn

from ..prior.schedule import NoiseSchedule


@dataclass
class PriorBundle:
    tokenizer: object          # .encode(prompts, strict=True) -> ids [B, L]
    text_encoder: nn.Module    # ids [B, L] -> states [B, L, D]
    unet: nn.Module            # (x_t, t float [B], states, camera [B, 4]) -> eps
    schedule: NoiseSchedule

    def __post_init__(self):
        for m in (self.text_encoder, self.unet):
            m.eval()
            for p in m.parameters():
                p.requires_grad_(False)

    def encode(self, prompts: List[str]) -> torch.Tensor:
        return self.text_encoder(self.tokenizer.encode(prompts, strict=True))

    def eps(self, x_t, t, states, camera):
        return self.unet(x_t, t, states, camera)


def save_bundle(bundle: PriorBundle, path) -> None:
    """The frozen prior in one file: configs and weights of the text encoder and UNet, tokenizer, schedule."""
    from dataclasses import asdict
    torch.save({"tokenizer": asdict(bundle.tokenizer.cfg),
                "text_encoder": {"config": asdict(bundle.text_encoder.cfg), "state": bundle.text_encoder.state_dict()},
                "unet": {"config": asdict(bundle.unet.cfg), "state": bundle.unet.state_dict()},
                "schedule": asdict(bundle.schedule.cfg)}, path)


def load_bundle(path) -> PriorBundle:
    from ..prior.schedule import ScheduleConfig
    from ..prior.text_encoder import TextEncoder
    from ..prior.tokenizer import WordTokenizer
    from ..prior.unet import CameraUNet
    blob = torch.load(path)
    text = TextEncoder(TextEncoder.Config(**blob["text_encoder"]["config"]))
    text.load_state_dict(blob["text_encoder"]["state"])
    unet_cfg = {k: tuple(v) if isinstance(v, list) else v for k, v in blob["unet"]["config"].items()}
    unet = CameraUNet(CameraUNet.Config(**unet_cfg))
    unet.load_state_dict(blob["unet"]["state"])
    return PriorBundle(WordTokenizer(WordTokenizer.Config(**blob["tokenizer"])), text, unet,
                       NoiseSchedule(ScheduleConfig(**blob["schedule"])))


def load_prior(path=None) -> PriorBundle:
    """A bundle file written by save_bundle (default: the prior trainer's latest EMA bundle in the cache)."""
    from ..common.checkpoint import cache_dir
    path = path or cache_dir() / "prior" / "bundle.pt"
    if not Path(path).exists():
        raise FileNotFoundError(f"no prior bundle at {path}: train the prior first (python3 -m training.prior.train)")
    return load_bundle(path)
