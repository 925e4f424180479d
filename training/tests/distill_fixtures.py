"""A tiny random prior for distillation tests (real classes, toy sizes)."""
import torch

from training.distill.prior_bundle import PriorBundle
from training.prior.schedule import NoiseSchedule
from training.prior.text_encoder import TextEncoder
from training.prior.tokenizer import WordTokenizer
from training.prior.unet import CameraUNet


def tiny_prior(seed: int = 0) -> PriorBundle:
    torch.manual_seed(seed)
    tok = WordTokenizer()
    text = TextEncoder(TextEncoder.Config(vocab_size=tok.vocab_size, width=32, layers=1, heads=2))
    unet = CameraUNet(CameraUNet.Config(channels=(16, 16, 32), text_dim=32, emb_dim=32, heads=2, groups=8))
    for p in unet.head.parameters():  # a non-zero output so guidance gradients are not trivially zero
        torch.nn.init.normal_(p, std=0.05)
    return PriorBundle(tok, text, unet, NoiseSchedule())
