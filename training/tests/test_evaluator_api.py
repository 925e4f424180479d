import torch
import torch.nn.functional as F

from training.evaluator.api import Evaluator
from training.evaluator.model import Evaluator as EvaluatorNet, EvaluatorConfig


def test_low_resolution_images_are_scored_as_their_bilinear_upsampling():
    torch.manual_seed(0)
    evaluator = Evaluator(EvaluatorNet(EvaluatorConfig()))
    prompts = ["a red barrel", "a blue crate"]
    small = torch.rand(len(prompts) * 2, 3, 32, 32)
    upsampled = F.interpolate(small, size=64, mode="bilinear", align_corners=False)
    assert evaluator.score(small, prompts, views_per_prompt=2) == evaluator.score(upsampled, prompts, 2)
