"""The evaluator as a tool: Evaluator.load().score(images, prompts, views_per_prompt)."""
import hashlib
from pathlib import Path
from typing import Dict, List

import torch
import torch.nn.functional as F

from .model import Evaluator as EvaluatorNet, EvaluatorConfig
from .scoring import score

WEIGHTS = Path(__file__).with_name("weights.pt")
INPUT_RESOLUTION = 64


class Evaluator:
    def __init__(self, net: EvaluatorNet, version: str = "untracked"):
        self.net = net.eval()
        self.version = version  # the first 12 hex digits of the weights file's sha256, recorded with every result

    @classmethod
    def load(cls, path: Path = WEIGHTS) -> "Evaluator":
        if not Path(path).exists():
            raise FileNotFoundError(f"evaluator weights not found at {path}: run python3 -m training.evaluator.train")
        blob = torch.load(path)
        cfg = {"stem_stride": 2, **blob["config"]}  # weights saved before stem_stride existed had a strided stem
        net = EvaluatorNet(EvaluatorConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in cfg.items()}))
        net.load_state_dict({k: v.float() for k, v in blob["weights"].items()})
        return cls(net, hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12])

    def score(self, images: torch.Tensor, prompts: List[str], views_per_prompt: int = 4) -> Dict[str, float]:
        """images [P * views, 3, R, R] in [0, 1]; R < 64 (a 32x32 prior's samples) is upsampled bilinearly, the
        same softening the evaluator's training augmentation applies to a share of its images."""
        images = images.float()
        if images.shape[-1] != INPUT_RESOLUTION:
            images = F.interpolate(images, size=INPUT_RESOLUTION, mode="bilinear", align_corners=False)
        return score(self.net, images, prompts, views_per_prompt)
