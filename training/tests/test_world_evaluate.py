"""The evaluation command on ground truth: renders of four prompts, and a 3D asset given as grids."""
import json

import numpy as np
from PIL import Image

from training.world import evaluate
from training.world.grammar import parse
from training.world.metrics3d import spec_grids
from training.world.views import render_eval_views

PROMPTS = ["a red barrel", "a blue crate on top of a mossy rock", "a tall green cactus", "a white snowman"]


def test_renders_directory_scores_ground_truth_as_matching(tmp_path):
    images = render_eval_views(PROMPTS)
    for i, img in enumerate(images):
        pixels = (img.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
        Image.fromarray(pixels).save(tmp_path / f"{i // 4:04d}_{i % 4}.png")
    (tmp_path / "prompts.txt").write_text("\n".join(PROMPTS) + "\n")
    out = tmp_path / "result.json"
    evaluate.main(["--renders", str(tmp_path), "--out", str(out)])
    result = json.loads(out.read_text())
    assert result["r1"] == 1.0 and result["views_per_prompt"] == 4
    assert result["attr_acc"] > 0.8


def test_asset_file_is_compared_with_its_prompt(tmp_path):
    occ, colour = spec_grids(parse("a red barrel"), 32)
    np.savez(tmp_path / "barrel.npz", occ=occ.numpy(), colour=colour.numpy())
    same = evaluate.evaluate_asset(tmp_path / "barrel.npz", "a red barrel")
    other = evaluate.evaluate_asset(tmp_path / "barrel.npz", "a lamp post")
    assert same["iou"] == 1.0 and same["colour_err"] == 0.0
    assert other["iou"] < 0.3
