"""Evaluate generators: python3 -m training.distill.evaluate (--pack DIR | --run NAME) [--out FILE] [--markdown]

--pack (npm run eval:generator: models/default -> docs/results/generator.json) measures a model pack's generator
exactly as shipped (its ONNX graphs run by onnxruntime-node, its decoder.bin); --run measures a training run's
checkpoint in ~/.cache/scaledreamer/distill/NAME with the prior it was trained against.

For each prompt set: render 4 views per prompt (docs: training/world/views.py) and score them with the evaluator
(CLIP similarity, R@1 among the set, attribute accuracy, also per attribute), and compare the decoded field with the ground truth
(IoU on a 64^3 grid at the best quarter turn, Chamfer, surface colour error). Prints JSON; --markdown adds a table.
A cut-off evaluation resumes: each finished chunk of 50 prompts is kept in ~/.cache/scaledreamer/eval-progress
(keyed by the generator's weights, the evaluator, the renderer and the prompts), so rerunning the same command
picks up where it stopped; the file is removed once its set is scored.
"""
import argparse
import hashlib
import json
import statistics
from pathlib import Path
from typing import Callable, List, Optional

import torch

from ..common.checkpoint import cache_dir, load_if_exists, save_atomic
from ..common.threads import set_threads
from ..evaluator.api import Evaluator
from ..world.grammar import parse
from ..world.metrics3d import compare, field_grids, spec_grids
from ..world.prompts import read_lines
from ..world.views import EVAL_AZIMUTHS, eval_cameras
from .bench_train import measure
from .generator import TriplaneGenerator
from .pack_generator import PackGenerator, load_decoder
from .prior_bundle import load_prior
from .renderer import RenderConfig, render_triplanes
from .triplane import TriplaneDecoder

ROOT = Path(__file__).resolve().parents[2]
PROMPTS = ROOT / "training" / "data" / "prompts"
TABLE = ROOT / "docs" / "results" / "distill_table.json"
DEFAULT_SETS = {"train": PROMPTS / "train_415.txt", "heldout": PROMPTS / "test_500.txt"}


def load_run(run: str, prior):
    """A run's generator and decoder, its step, and the renderer it was trained with."""
    state = torch.load(cache_dir() / "distill" / run / "state.pt")
    gen = TriplaneGenerator(TriplaneGenerator.Config(text_dim=prior.text_encoder.cfg.width))
    gen.load_state_dict(state["geometry"])
    dec = TriplaneDecoder()
    dec.load_state_dict(state["decoder"])
    return gen.eval(), dec.eval(), state["step"], RenderConfig.of_run(state.get("config", {}))


@torch.no_grad()
def evaluate_set(planes_for: Callable[[List[str]], torch.Tensor], dec, evaluator, prompts, grid: int = 64,
                 batch: int = 50, render: RenderConfig = RenderConfig(), progress: Optional[Path] = None) -> dict:
    """progress: a file that keeps the finished chunks, so a run cut off part way picks up where it stopped."""
    views = len(EVAL_AZIMUTHS)
    done = load_if_exists(progress) if progress else None
    images, metrics = (done["images"], done["metrics"]) if done else ([], [])
    for i in range(len(metrics), len(prompts), batch):
        chunk = prompts[i:i + batch]
        planes = planes_for(chunk)
        for j in range(0, len(chunk), 8):
            cams = eval_cameras(len(chunk[j:j + 8]))
            images.append(render_triplanes(dec, planes[j:j + 8].repeat_interleave(views, 0), cams, 64,
                                           torch.ones(len(cams), 3), render).images)
        for k, prompt in enumerate(chunk):
            p = planes[k:k + 1]
            sdf = lambda x: dec(p, x[None])[0][0]
            albedo = lambda x: dec(p, x[None])[1][0]
            metrics.append(compare(*field_grids(sdf, albedo, grid), *spec_grids(parse(prompt), grid)))
        if progress:
            save_atomic({"images": images, "metrics": metrics}, progress)
    scores = evaluator.score(torch.cat(images), prompts, views)
    if progress:
        progress.unlink(missing_ok=True)
    mean = lambda key: statistics.fmean(m[key] for m in metrics if m[key] == m[key])  # NaN-safe
    return {"clip_sim": scores["clip_sim"], "r1": scores["r1"], "attr_acc": scores["attr_acc"],
            "attr_acc_per_attribute": scores["attr_acc_per_attribute"], "iou": mean("iou"), "chamfer": mean("chamfer"), "colour_err": mean("colour_err"), "prompts": len(prompts)}


def progress_file(weights: Path, evaluator_version: str, render: RenderConfig, prompts: List[str]) -> Path:
    """One file per (generator weights, evaluator, renderer, prompt list): a rerun of the same command resumes it."""
    key = json.dumps([hashlib.sha256(weights.read_bytes()).hexdigest(), evaluator_version, render.samples,
                      render.beta, prompts])
    return cache_dir() / "eval-progress" / (hashlib.sha256(key.encode()).hexdigest()[:16] + ".pt")


def run_generator(run: str, prior_path: Optional[Path]):
    prior = load_prior(prior_path)
    gen, dec, step, render = load_run(run, prior)
    planes_for = lambda prompts: torch.cat([gen(prior.encode(prompts[i:i + 8])) for i in range(0, len(prompts), 8)])
    return planes_for, dec, {"run": run, "step": step}, render


def pack_generator(pack: Path):
    gen = PackGenerator(pack)
    return gen, load_decoder(pack), {"pack": str(pack.resolve().relative_to(ROOT)) if pack.resolve().is_relative_to(ROOT)
                                     else str(pack), "generator": gen.manifest.get("generator"),
                                     "prior_version": gen.manifest["prior"]["version"]}, pack_render_config(pack)


def pack_render_config(pack: Path) -> RenderConfig:
    """The renderer settings a pack's decoder was trained with (decoder.json's renderer section)."""
    renderer = json.loads((pack / "decoder.json").read_text())["renderer"]
    return RenderConfig(samples=renderer["samples"], beta=renderer["beta"])


def table_rows(path: Path) -> List[dict]:
    """docs/results/distill_table.json flattened to one row per method x scale x split (empty before any run)."""
    if not path.exists():
        return []
    rows = []
    for name, r in json.loads(path.read_text()).items():
        exp = r["experiment"]
        for split, s in r["sets"].items():
            rows.append({"experiment": name, "guidance": exp["guidance"], "prompts": exp["prompts"],
                         "eta": exp["eta"], "init": r.get("init", "scratch"), "step": r["step"], "split": split,
                         "prompts_evaluated": s["prompts"],
                         **{k: s[k] for k in ("clip_sim", "r1", "attr_acc", "iou", "chamfer", "colour_err")}})
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    source = ap.add_mutually_exclusive_group(required=True)
    source.add_argument("--pack", type=Path, help="a model pack directory, e.g. models/default")
    source.add_argument("--run", help="a training run in ~/.cache/scaledreamer/distill")
    ap.add_argument("--prior", type=Path, default=None, help="with --run: the prior bundle it was trained against")
    ap.add_argument("--limit", type=int, default=None, help="first N prompts of each set (quick checks)")
    ap.add_argument("--sets", nargs="+", choices=sorted(DEFAULT_SETS), default=list(DEFAULT_SETS),
                    help="prompt sets to evaluate (quick checks; R@1 is among the set's evaluated prompts)")
    ap.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    set_threads(args.threads)
    planes_for, dec, about, render = pack_generator(args.pack) if args.pack else run_generator(args.run, args.prior)
    # the pack's manifest holds every file's sha256; a run's state.pt holds its weights
    weights = args.pack / "manifest.json" if args.pack else cache_dir() / "distill" / args.run / "state.pt"
    evaluator = Evaluator.load()
    result = {**about, "evaluator": evaluator.version, "renderer": {"samples": render.samples, "beta": render.beta},
              "sets": {}}
    for name in args.sets:
        path = DEFAULT_SETS[name]
        prompts = read_lines(path)[:args.limit]
        result["sets"][name] = {"file": str(path.relative_to(ROOT)),
                                **evaluate_set(planes_for, dec, evaluator, prompts, render=render,
                                               progress=progress_file(weights, evaluator.version, render, prompts))}
    for name, figures in result["sets"].items():  # the flat keys (iou_heldout, r1_train, ...)
        for key in ("iou", "r1", "clip_sim", "attr_acc", "colour_err"):
            result[f"{key}_{name}"] = figures[key]
    if args.pack:
        result["generator_ms_ort"] = round(planes_for.forward_ms(read_lines(DEFAULT_SETS["heldout"])[0]), 2)
        set_threads(1)  # what training.distill.train runs with per process (one per core)
        result["training"] = measure(render=render)  # the recipe the pack was trained with
        result["train_steps_per_s"] = result["training"]["train_steps_per_s"]
        result["table"] = table_rows(TABLE)
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    if args.markdown:
        print("\n| set | CLIP sim | R@1 | attr acc | IoU | Chamfer | colour err |\n|---|---|---|---|---|---|---|")
        for name, s in result["sets"].items():
            print(f"| {name} | {s['clip_sim']:.3f} | {s['r1']:.3f} | {s['attr_acc']:.3f} | {s['iou']:.3f} | "
                  f"{s['chamfer']:.4f} | {s['colour_err']:.3f} |")


if __name__ == "__main__":
    main()
