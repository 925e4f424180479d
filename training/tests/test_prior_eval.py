import torch

from training.prior.eval import evaluate
from training.prior.model import DiffusionPrior
from training.tests.prior_fixtures import tiny_config


class StubEvaluator:
    """Evaluator.score's signature; records what it was given."""

    def score(self, images, prompts, views_per_prompt=4):
        self.images, self.prompts, self.views = images, prompts, views_per_prompt
        return {"r1": 0.5, "clip_sim": 0.1, "attr_acc": 0.75}


def test_evaluate_samples_four_views_per_prompt_and_reports_keys():
    torch.manual_seed(0)
    model = DiffusionPrior(tiny_config()).eval()
    stub = StubEvaluator()
    prompts = ["a red wooden barrel", "a blue table next to a purple shield"]
    result = evaluate(model, stub, prompts, steps=2, batch=3)
    assert stub.images.shape == (8, 3, 64, 64) and stub.prompts == prompts and stub.views == 4
    assert 0 <= stub.images.min() and stub.images.max() <= 1
    for key in ("r1_heldout", "attr_acc_heldout", "resolution", "unet_ms_per_image_ort", "unet_ms_per_image_torch",
                "pack_mb"):
        assert key in result
    assert result["r1_heldout"] == 0.5 and result["resolution"] == 64 and result["unet_ms_per_image_ort"] is None
