"""The frozen 2D prior as score distillation loads it: a DiffusionPrior rebuilt from a bundle file
(DiffusionPrior.bundle(): configs and weights of the text encoder and UNet, tokenizer and schedule configs)."""
from pathlib import Path

import torch

from ..common.checkpoint import cache_dir
from ..prior.model import DiffusionPrior, PriorConfig
from ..prior.schedule import ScheduleConfig
from ..prior.text_encoder import TextEncoder
from ..prior.tokenizer import WordTokenizer
from ..prior.unet import CameraUNet


def freeze(prior: DiffusionPrior) -> DiffusionPrior:
    prior.eval()
    for p in prior.parameters():
        p.requires_grad_(False)
    return prior


def load_bundle(path) -> DiffusionPrior:
    blob = torch.load(path)
    tuples = lambda cfg: {k: tuple(v) if isinstance(v, list) else v for k, v in cfg.items()}
    cfg = PriorConfig(tokenizer=WordTokenizer.Config(**blob["tokenizer"]),
                      text_encoder=TextEncoder.Config(**blob["text_encoder"]["config"]),
                      unet=CameraUNet.Config(**tuples(blob["unet"]["config"])),
                      schedule=ScheduleConfig(**blob["schedule"]))
    prior = DiffusionPrior(cfg)
    prior.text_encoder.load_state_dict(blob["text_encoder"]["state"])
    prior.unet.load_state_dict(blob["unet"]["state"])
    return freeze(prior)


def load_prior(path=None) -> DiffusionPrior:
    """A bundle file (default: the prior trainer's latest EMA bundle in the cache), frozen."""
    path = Path(path or cache_dir() / "prior" / "bundle.pt")
    if not path.exists():
        raise FileNotFoundError(f"no prior bundle at {path}: train the prior first (python3 -m training.prior.train)")
    return load_bundle(path)
