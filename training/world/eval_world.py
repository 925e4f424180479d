"""`npm run eval:world`: the Asset World's figures as JSON (also written to docs/results/world.json).

evaluator_r1_gt / evaluator_attr_acc_gt: the evaluator on ground-truth renders of the 500 held-out prompts
(4 views each); render_images_per_s_64: renderer throughput at 64x64 (median of 5 batches of 128 images).
"""
import json
import random
import statistics
import time
from pathlib import Path

import torch

from ..common.threads import set_threads
from ..evaluator.api import Evaluator
from .assets import CATEGORIES
from .camera import sample_cameras
from .prompts import count_prompts, read_lines, sample_split_specs
from .render import render
from .scene import compile_specs
from .views import render_eval_views

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "results" / "world.json"


def render_throughput(batch: int = 128, repeats: int = 5) -> float:
    rates = []
    g = torch.Generator().manual_seed(0)
    for r in range(repeats):
        specs = sample_split_specs(random.Random(r), "train", batch)
        table, cams = compile_specs(specs), sample_cameras(batch, g)
        t = time.perf_counter()
        render(table, cams, 64)
        rates.append(batch / (time.perf_counter() - t))
    return statistics.median(rates)


def main():
    set_threads(2)
    prompts = read_lines(ROOT / "training" / "data" / "prompts" / "test_500.txt")
    scores = Evaluator.load().score(render_eval_views(prompts), prompts, 4)
    result = {
        "evaluator_r1_gt": scores["r1"],
        "evaluator_attr_acc_gt": scores["attr_acc"],
        "evaluator_clip_sim_gt": scores["clip_sim"],
        "evaluator_attr_acc_per_attribute_gt": scores["attr_acc_per_attribute"],
        "render_images_per_s_64": render_throughput(),
        "prompts_total": count_prompts(),
        "categories": len(CATEGORIES),
        "heldout_prompts": len(prompts),
        "views_per_prompt": 4,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
