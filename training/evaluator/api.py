"""The evaluator as a tool: Evaluator.load().score(images, prompts, views_per_prompt)."""
from pathlib import Path
from typing import Dict, List

import torch

from .model import Evaluator as EvaluatorNet, EvaluatorConfig
from .scoring import score

WEIGHTS = Path(__file__).with_name("weights.pt")


class Evaluator:
    def __init__(self, net: EvaluatorNet):
        self.net = net.eval()

    @classmethod
    def load(cls, path: Path = WEIGHTS) -> "Evaluator":
        if not Path(path).exists():
            raise FileNotFoundError(f"evaluator weights not found at {path}: run python3 -m training.evaluator.train")
        blob = torch.load(path)
        cfg = blob["config"]
        net = EvaluatorNet(EvaluatorConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in cfg.items()}))
        net.load_state_dict({k: v.float() for k, v in blob["weights"].items()})
        return cls(net)

    def score(self, images: torch.Tensor, prompts: List[str], views_per_prompt: int = 4) -> Dict[str, float]:
        return score(self.net, images.float(), prompts, views_per_prompt)
