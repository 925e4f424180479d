"""The evaluator network: a CNN image tower and a transformer text tower into one embedding space (CLIP), plus
attribute heads on the image features."""
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from .attributes import CLASSES, HEADS
from .tokens import MAX_LEN, PAD, WORDS


@dataclass
class EvaluatorConfig:
    # The stem keeps the full 64x64 resolution: material patterns (wood grain, metal bands) have 5-7 px periods and
    # part colours cover a few pixels, which a strided first layer blurred away (material accuracy was 0.63).
    channels: tuple = (32, 48, 96, 144, 192)
    stem_stride: int = 1  # 2 in the first evaluators (channels of 4 levels); the tower always ends at 4x4
    text_width: int = 128
    text_layers: int = 2
    embed_dim: int = 256


def _block(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride=2, padding=1), nn.GroupNorm(8, cout), nn.SiLU(),
        nn.Conv2d(cout, cout, 3, padding=1), nn.GroupNorm(8, cout), nn.SiLU(),
    )


class ImageTower(nn.Module):
    """64x64 (stem) -> 32 -> 16 -> 8 -> 4; the 4x4 map is flattened so left/right and on-top stay visible."""

    def __init__(self, cfg: EvaluatorConfig):
        super().__init__()
        c = cfg.channels
        kernel = 4 if cfg.stem_stride == 2 else 3
        self.stem = nn.Sequential(nn.Conv2d(3, c[0], kernel, stride=cfg.stem_stride, padding=1),
                                  nn.GroupNorm(8, c[0]), nn.SiLU())
        self.blocks = nn.Sequential(*[_block(a, b) for a, b in zip(c[:-1], c[1:])])
        self.features = nn.Sequential(nn.Flatten(), nn.Linear(c[-1] * 16, 512), nn.SiLU())

    def forward(self, images):  # [B, 3, 64, 64] in [0, 1]
        return self.features(self.blocks(self.stem(images * 2 - 1)))


class TextTower(nn.Module):
    def __init__(self, cfg: EvaluatorConfig):
        super().__init__()
        w = cfg.text_width
        self.embed = nn.Embedding(len(WORDS), w)
        self.position = nn.Parameter(torch.zeros(MAX_LEN, w))
        layer = nn.TransformerEncoderLayer(w, 4, 4 * w, dropout=0.0, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, cfg.text_layers)
        self.norm = nn.LayerNorm(w)

    def forward(self, ids):  # [B, L] -> [B, w], the CLS state
        length = int((ids != PAD).sum(1).max())  # trailing padding changes nothing but the cost
        ids = ids[:, :length]
        x = self.encoder(self.embed(ids) + self.position[:length], src_key_padding_mask=ids == PAD)
        return self.norm(x[:, 0])


class Evaluator(nn.Module):
    def __init__(self, cfg: EvaluatorConfig = EvaluatorConfig()):
        super().__init__()
        self.cfg = cfg
        self.image = ImageTower(cfg)
        self.text = TextTower(cfg)
        self.image_proj = nn.Linear(512, cfg.embed_dim)
        self.text_proj = nn.Linear(cfg.text_width, cfg.embed_dim)
        self.heads = nn.ModuleDict({h: nn.Linear(512, len(CLASSES[h])) for h in HEADS})
        self.logit_scale = nn.Parameter(torch.tensor(2.66))  # log(1 / 0.07), CLIP's initial temperature

    def encode_images(self, images):
        f = self.image(images)
        return F.normalize(self.image_proj(f), dim=-1), f

    def encode_text(self, ids):
        return F.normalize(self.text_proj(self.text(ids)), dim=-1)

    def attribute_logits(self, features):
        return {h: head(features) for h, head in self.heads.items()}
