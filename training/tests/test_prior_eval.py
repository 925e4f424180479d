import torch

from training.prior.eval import evaluate
from training.prior.export import export
from training.prior.model import DiffusionPrior
from training.prior.pack_prior import PackPrior
from training.tests.prior_fixtures import tiny_config, wake_zero_inits
from training.world.camera import fixed_cameras


class StubEvaluator:
    """Evaluator.score's signature; records what it was given."""

    version = "stub"

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
    for key in ("r1_heldout", "attr_acc_heldout", "resolution", "unet_ms_per_image_torch", "pack_mb"):
        assert key in result
    assert result["r1_heldout"] == 0.5 and result["resolution"] == 64


def test_pack_prior_samples_the_exported_graphs_like_pytorch(tmp_path):
    """scripts/pack-prior-samples.mjs (onnxruntime-node) runs the same DDIM with CFG as DiffusionPrior.sample."""
    torch.manual_seed(0)
    cfg = tiny_config("v_prediction")
    cfg.unet.resolution = 16
    model = DiffusionPrior(cfg).eval()
    wake_zero_inits(model)
    export(model, tmp_path, "float32")
    pack = PackPrior(tmp_path)
    prompts = ["a red wooden barrel, front view", "a blue table next to a purple shield, side view"]
    camera = fixed_cameras([0.0, 90.0], elevation=15.0).as_vector()
    ours = pack.sample(prompts, camera, guidance=3.0, steps=3, generator=torch.Generator().manual_seed(1))
    theirs = model.sample(prompts, camera, 3.0, 3, torch.Generator().manual_seed(1))
    assert ours.shape == (2, 3, 16, 16) and (ours - theirs).abs().max() < 1e-4
    assert (theirs[0] - theirs[1]).abs().max() > 1e-3  # the prompts and views give different images
