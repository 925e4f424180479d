"""Evaluate generators: python3 -m training.distill.evaluate --run NAME [--prompts FILE ...]

For each prompt set: render 4 views per prompt (docs: training/world/views.py) and score them with the evaluator
(CLIP similarity, R@1 among the set, attribute accuracy), and compare the decoded field with the ground truth
(IoU on a 64^3 grid at the best quarter turn, Chamfer, surface colour error). Prints JSON; --markdown adds a table.
"""
import argparse
import json
import statistics
from pathlib import Path

import torch

from ..common.checkpoint import cache_dir
from ..evaluator.api import Evaluator
from ..world.grammar import parse
from ..world.metrics3d import compare, field_grids, spec_grids
from ..world.prompts import read_lines
from ..world.views import EVAL_AZIMUTHS, eval_cameras
from .generator import TriplaneGenerator
from .prior_bundle import load_prior
from .renderer import render_triplanes
from .triplane import TriplaneDecoder

ROOT = Path(__file__).resolve().parents[2]
PROMPTS = ROOT / "training" / "data" / "prompts"
DEFAULT_SETS = {"train": PROMPTS / "train_415.txt", "heldout": PROMPTS / "test_500.txt"}


def load_run(run: str, prior):
    state = torch.load(cache_dir() / "distill" / run / "state.pt")
    gen = TriplaneGenerator(TriplaneGenerator.Config(text_dim=prior.text_encoder.cfg.width))
    gen.load_state_dict(state["geometry"])
    dec = TriplaneDecoder()
    dec.load_state_dict(state["decoder"])
    return gen.eval(), dec.eval(), state["step"]


@torch.no_grad()
def evaluate_set(gen, dec, prior, evaluator, prompts, grid: int = 64, batch: int = 8) -> dict:
    views = len(EVAL_AZIMUTHS)
    images, metrics = [], []
    for i in range(0, len(prompts), batch):
        chunk = prompts[i:i + batch]
        planes = gen(prior.encode(chunk))
        cams = eval_cameras(len(chunk))
        images.append(render_triplanes(dec, planes.repeat_interleave(views, 0), cams, 64,
                                       torch.ones(len(cams), 3)).images)
        for k, prompt in enumerate(chunk):
            p = planes[k:k + 1]
            sdf = lambda x: dec(p, x[None])[0][0]
            albedo = lambda x: dec(p, x[None])[1][0]
            metrics.append(compare(*field_grids(sdf, albedo, grid), *spec_grids(parse(prompt), grid)))
    scores = evaluator.score(torch.cat(images), prompts, views)
    mean = lambda key: statistics.fmean(m[key] for m in metrics if m[key] == m[key])  # NaN-safe
    return {"clip_sim": scores["clip_sim"], "r1": scores["r1"], "attr_acc": scores["attr_acc"],
            "iou": mean("iou"), "chamfer": mean("chamfer"), "colour_err": mean("colour_err"), "prompts": len(prompts)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--run", required=True)
    ap.add_argument("--prior", type=Path, default=None)
    ap.add_argument("--limit", type=int, default=None, help="first N prompts of each set (quick checks)")
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args(argv)
    torch.set_num_threads(2)
    prior = load_prior(args.prior)
    gen, dec, step = load_run(args.run, prior)
    evaluator = Evaluator.load()
    result = {"run": args.run, "step": step, "sets": {}}
    for name, path in DEFAULT_SETS.items():
        prompts = read_lines(path)[:args.limit]
        result["sets"][name] = evaluate_set(gen, dec, prior, evaluator, prompts)
    print(json.dumps(result, indent=2))
    if args.markdown:
        print("\n| set | CLIP sim | R@1 | attr acc | IoU | Chamfer | colour err |\n|---|---|---|---|---|---|---|")
        for name, s in result["sets"].items():
            print(f"| {name} | {s['clip_sim']:.3f} | {s['r1']:.3f} | {s['attr_acc']:.3f} | {s['iou']:.3f} | "
                  f"{s['chamfer']:.4f} | {s['colour_err']:.3f} |")


if __name__ == "__main__":
    main()
