"""A tiny random prior for distillation tests (real classes, toy sizes)."""
import torch

from training.distill.prior_bundle import freeze
from training.prior.model import DiffusionPrior, PriorConfig
from training.prior.text_encoder import TextEncoder
from training.prior.unet import CameraUNet


def tiny_prior(seed: int = 0) -> DiffusionPrior:
    torch.manual_seed(seed)
    prior = DiffusionPrior(PriorConfig(
        text_encoder=TextEncoder.Config(width=32, layers=1, heads=2),
        unet=CameraUNet.Config(channels=(16, 16, 32), emb_dim=32, heads=2, groups=8)))
    for p in prior.unet.head.parameters():  # a non-zero output so guidance gradients are not trivially zero
        torch.nn.init.normal_(p, std=0.05)
    return freeze(prior)
