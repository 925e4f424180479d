"""Evaluate the prior on held-out prompts: `npm run eval:prior` (prints JSON; the full run writes docs/results/prior.json).

    python3 -m training.prior.eval [--prompts 500] [--pack models/default]     # the shipped graphs (default)
    python3 -m training.prior.eval --checkpoint ~/.cache/scaledreamer/prior/last.pt   # a trainer state or bundle

Samples each prompt of training/data/prompts/test_500.txt at the 4 evaluation views (azimuth 0/90/180/270,
elevation 15, distance 2.9, fov 45) with DDIM 50 and CFG 7.5, and scores the images with the evaluator (images
under 64x64 upsampled bilinearly): R@1 among the evaluated prompts, CLIP-like similarity, attribute accuracy. By
default the pack's own unet.onnx and text_encoder.onnx are sampled through onnxruntime-node (pack_prior.py), so the
figures are those of what ships; --checkpoint samples EMA weights in PyTorch instead. The prior has no background
input, so samples come on the backgrounds it learnt from the pool (half light grey/white, half random colours),
like the evaluator's own training images. Full run: 500 x 4 images x 50 steps x 2 (CFG) UNet passes, an hour or
more on 2 CPU cores; the time estimate after the first batch goes to stderr.
"""
import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

import torch

from ..common.threads import set_threads
from ..world.camera import view_prompt
from ..world.prompts import read_lines
from ..world.views import EVAL_AZIMUTHS, EVAL_ELEVATION, eval_cameras
from ..distill.prior_bundle import load_bundle
from .export import load_ema
from .model import DiffusionPrior
from .pack_prior import PackPrior

REPO = Path(__file__).resolve().parents[2]
HELD_OUT = REPO / "training" / "data" / "prompts" / "test_500.txt"
RESULTS = REPO / "docs" / "results" / "prior.json"
PACK = REPO / "models" / "default"


def sample_eval_views(model, prompts: List[str], guidance: float, steps: int, batch: int,
                      seed: int = 0, progress=None) -> torch.Tensor:
    """Images [P * 4, 3, R, R] in [0, 1], the 4 views of each prompt consecutive. `model`: a DiffusionPrior or a
    PackPrior (anything with sample(prompts, camera, guidance, steps, generator))."""
    cams = eval_cameras(len(prompts))
    full = [view_prompt(p, float(a), EVAL_ELEVATION) for p in prompts for a in EVAL_AZIMUTHS]
    vectors = cams.as_vector()
    g = torch.Generator().manual_seed(seed)
    out = []
    for i in range(0, len(full), batch):
        out.append(model.sample(full[i:i + batch], vectors[i:i + batch], guidance, steps, g))
        if progress:
            progress(i + out[-1].shape[0], len(full))
    return torch.cat(out)


@torch.no_grad()
def unet_ms_per_image(model: DiffusionPrior, batch: int = 16, repeats: int = 3) -> float:
    """Best-of-`repeats` UNet forward time per image at a batch of 16 (the machine is shared, so the minimum)."""
    R, L, D = model.cfg.unet.resolution, model.tokenizer.cfg.max_length, model.text_encoder.cfg.width
    args = (torch.randn(batch, 3, R, R), torch.rand(batch) * 999, torch.randn(batch, L, D), torch.randn(batch, 4))
    model.unet(*args)
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        model.unet(*args)
        best = min(best, time.perf_counter() - t0)
    return 1000 * best / batch


def unet_timings(pack: Path) -> Dict:
    """The pack's UNet per image at batch 1: onnxruntime-node (2 threads) and its PyTorch twin, side
    by side in 3 rounds (bench/prior-unet.mjs, which `npm run bench:prior` runs with more rounds)."""
    env = {**os.environ, "BENCH_PRINT_ONLY": "1", "BENCH_ROUNDS": "3", "BENCH_REPEATS": "5", "PACK": str(pack)}
    run = subprocess.run(["node", str(REPO / "bench" / "prior-unet.mjs")], cwd=REPO, env=env, check=True,
                         capture_output=True, text=True)
    figures = json.loads(run.stdout)
    return {"unet_ms_per_image_ort": round(figures["unet_ms_per_image_onnx_node_batch1"], 2),
            "unet_ms_per_image_torch": round(figures["unet_ms_per_image_torch_batch1"], 2)}


def load_prior_weights(path: Path) -> DiffusionPrior:
    """A trainer state (its EMA weights) or a bundle (DiffusionPrior.bundle())."""
    return load_ema(path) if "ema" in torch.load(path, map_location="cpu") else load_bundle(path)


def pack_mb(pack: Path = PACK):
    manifest = pack / "manifest.json"
    if not manifest.exists():
        return None
    return round(sum(f["bytes"] for f in json.loads(manifest.read_text())["files"].values()) / 1e6, 2)


def evaluate(model, evaluator, prompts: List[str], guidance: float = 7.5, steps: int = 50, batch: int = 64,
             progress=None) -> Dict:
    """`model`: a PackPrior (the figures of a shipped pack) or a DiffusionPrior (a training checkpoint)."""
    start = time.time()
    images = sample_eval_views(model, prompts, guidance, steps, batch, progress=progress)
    scores = evaluator.score(images, prompts, views_per_prompt=len(EVAL_AZIMUTHS))
    if isinstance(model, PackPrior):
        source = {"pack": str(model.pack), "prior_version": model.version, "resolution": model.resolution,
                  **unet_timings(model.pack)}
    else:
        source = {"checkpoint_step": getattr(model, "step", None), "resolution": model.cfg.unet.resolution,
                  "unet_ms_per_image_torch": round(unet_ms_per_image(model), 2)}
    return {"r1_heldout": scores["r1"], "attr_acc_heldout": scores["attr_acc"],
            "clip_sim_heldout": scores["clip_sim"], **source, "pack_mb": pack_mb(), "prompts": len(prompts),
            "views_per_prompt": len(EVAL_AZIMUTHS), "guidance": guidance, "sample_steps": steps,
            "evaluator": evaluator.version, "sample_seconds": round(time.time() - start, 1)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--prompts", type=int, default=500)
    ap.add_argument("--pack", type=Path, default=PACK, help="sample this pack's ONNX graphs (the default)")
    ap.add_argument("--checkpoint", type=Path, help="sample a trainer state (last.pt) or a bundle in PyTorch instead")
    ap.add_argument("--guidance", type=float, default=7.5)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--out", type=Path, default=None, help="default: docs/results/prior.json for the full 500")
    # One thread: on this shared 2-core machine a 2-thread step waits at every OpenMP barrier for whichever core
    # another job holds (measured 4-7 s per training step with 2 threads vs 0.6 s with 1 while one other job ran).
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    set_threads(args.threads)
    from ..evaluator.api import Evaluator
    evaluator = Evaluator.load()
    model = load_prior_weights(args.checkpoint) if args.checkpoint else PackPrior(args.pack, args.threads)
    prompts = read_lines(HELD_OUT)[: args.prompts]
    t0 = time.time()

    def progress(done: int, total: int) -> None:
        spent = time.time() - t0
        print(f"sampled {done}/{total} images, {spent:.0f} s, about {spent / done * (total - done):.0f} s left",
              file=sys.stderr, flush=True)

    result = evaluate(model, evaluator, prompts, args.guidance, args.steps, args.batch, progress)
    # docs/results/prior.json holds the shipped pack's full evaluation only.
    out = args.out or (RESULTS if args.prompts == 500 and not args.checkpoint else None)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
