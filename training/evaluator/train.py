"""Train the evaluator on the render pools: python3 -m training.evaluator.train [--steps N]

The evaluator is the measuring instrument, not a model under test: like CLIP, which saw far more than any generator
it judges, it learns from renders of the train split AND of the held-out test split (pool/test), except the assets
of the evaluation prompt files (test.txt, which holds test_500.txt), so that its accuracy on held-out combinations
is measured, not assumed. The prior and the generators never see test-split assets.

Loss = CLIP's symmetric InfoNCE (image -> text with hard negative prompts added to the candidates) + the attribute
heads' cross-entropy (+ with --attribute-sets N, for N images of each batch, the zero-shot attribute test itself as a
loss: attribute_sets.py). --init-from WEIGHTS fine-tunes a committed evaluator (give the new run its own --state).
Resumable: state in ~/.cache/scaledreamer/evaluator/state.pt, saved every few minutes.
At the end the fp16 weights go to --export (default training/evaluator/weights.pt, which is committed).
"""
import argparse
import json
import math
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from ..common.checkpoint import cache_dir, load_if_exists, save_atomic
from ..common.threads import set_threads
from ..world.grammar import parse
from ..world.pool import DEFAULT_DIR, RenderPool
from ..world.prompts import read_lines
from ..world.views import render_eval_views
from .api import Evaluator as LoadedEvaluator
from .attribute_sets import AttributeSets
from .attributes import HEADS, applicable, targets_and_stated
from .model import Evaluator, EvaluatorConfig
from .negatives import perturb
from .scoring import score
from .tokens import encode

WEIGHTS = Path(__file__).with_name("weights.pt")
PROMPTS_DIR = Path(__file__).resolve().parents[1] / "data" / "prompts"


@dataclass
class TrainConfig:
    steps: int = 6000
    batch: int = 96
    negatives: int = 4
    lr: float = 1e-3
    warmup: int = 100
    attribute_weight: float = 1.0
    attribute_sets: int = 0  # images per batch scored against a full alternative set (0: evaluator v3's recipe)
    attribute_set_weight: float = 1.0
    checkpoint_minutes: float = 3.0
    validate_every: int = 250
    rescan_every: int = 500
    seed: int = 0


def _augment(images: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """Blur some images (generated renders are softer than the ground truth) and add a little noise."""
    blur = torch.rand(images.shape[0], 1, 1, 1, generator=g) < 0.3
    soft = F.interpolate(F.avg_pool2d(images, 2), scale_factor=2, mode="bilinear", align_corners=False)
    images = torch.where(blur, soft, images)
    return (images + 0.02 * torch.randn(images.shape, generator=g)).clamp(0, 1)


def _lr(cfg: TrainConfig, step: int) -> float:
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    return cfg.lr * 0.5 * (1 + math.cos(math.pi * min(1.0, step / cfg.steps)))


def load_pool(pool_dir: Path, test_pool_dir: Path) -> RenderPool:
    evaluation_keys = frozenset(parse(p).key() for p in read_lines(PROMPTS_DIR / "test.txt"))
    pool = RenderPool(pool_dir, "train")
    if test_pool_dir.exists():
        pool.extend(RenderPool(test_pool_dir, "test", exclude_keys=evaluation_keys))
    return pool


def train(cfg: TrainConfig, pool_dir: Path, state_path: Path, test_pool_dir: Path, init_from: Path = None,
          export_to: Path = WEIGHTS) -> None:
    torch.manual_seed(cfg.seed)
    model = LoadedEvaluator.load(init_from).net if init_from else Evaluator(EvaluatorConfig())
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=0.01)
    step, rng, g = 0, random.Random(cfg.seed), torch.Generator().manual_seed(cfg.seed)
    state = load_if_exists(state_path)
    if state:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        step, rng = state["step"], state["rng"]
        g.set_state(state["g"])
        print(f"resumed at step {step}", flush=True)
    pool = load_pool(pool_dir, test_pool_dir)
    specs, attribute_sets = {}, AttributeSets()
    val_prompts = read_lines(PROMPTS_DIR / "validation.txt")[:200]
    val_images = render_eval_views(val_prompts)
    last_save, t0 = time.time(), time.time()
    while step < cfg.steps:
        model.train()
        idx = torch.randint(len(pool), (cfg.batch,), generator=g)
        images = _augment(pool.images[idx].float() / 255.0, g)
        prompts = [pool.prompts[i] for i in pool.prompt_ids[idx].tolist()]
        batch_specs = [specs.setdefault(p, parse(p)) for p in prompts]
        negatives = [perturb(s, rng).prompt() for s in batch_specs for _ in range(cfg.negatives)]
        img_emb, feats = model.encode_images(images)
        txt_emb = model.encode_text(encode(prompts + negatives))
        scale = model.logit_scale.exp().clamp(max=100)
        logits = scale * img_emb @ txt_emb.T  # [B, B + B * K]
        target = torch.arange(cfg.batch)
        clip_loss = 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits[:, :cfg.batch].T, target))
        labels = torch.tensor([targets_and_stated(s)[0] for s in batch_specs])
        mask = torch.tensor([applicable(s) for s in batch_specs], dtype=torch.float32)
        head_logits = model.attribute_logits(feats)
        attr_loss = sum((F.cross_entropy(head_logits[h], labels[:, i], reduction="none") * mask[:, i]).sum()
                        / mask[:, i].sum().clamp(min=1) for i, h in enumerate(HEADS)) / len(HEADS)
        loss = clip_loss + cfg.attribute_weight * attr_loss
        set_loss = None
        if cfg.attribute_sets:
            set_loss = attribute_sets.loss(model, img_emb[:cfg.attribute_sets], batch_specs[:cfg.attribute_sets],
                                           scale, rng)
            loss = loss + cfg.attribute_set_weight * set_loss
        for group in opt.param_groups:
            group["lr"] = _lr(cfg, step)
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        if step % 25 == 0:
            sets = {"sets": round(set_loss.item(), 4)} if set_loss is not None else {}
            print(json.dumps({"step": step, "clip": round(clip_loss.item(), 4), "attr": round(attr_loss.item(), 4),
                              **sets, "s_per_step": round((time.time() - t0) / 25, 3)}), flush=True)
            t0 = time.time()
        if step % cfg.rescan_every == 0:
            pool = load_pool(pool_dir, test_pool_dir)  # shards keep arriving while the pools are rendered
        if step % cfg.validate_every == 0 or step == cfg.steps:
            s = score(model, val_images, val_prompts, 4)
            print(json.dumps({"step": step, "val_r1": s["r1"], "val_attr_acc": s["attr_acc"]}), flush=True)
        if time.time() - last_save > cfg.checkpoint_minutes * 60 or step == cfg.steps:
            save_atomic({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "rng": rng,
                         "g": g.get_state(), "config": asdict(cfg)}, state_path)
            last_save = time.time()
    export(model, export_to)


def export(model: Evaluator, path: Path) -> None:
    weights = {k: v.half() for k, v in model.state_dict().items()}
    torch.save({"config": asdict(model.cfg), "weights": weights}, path)
    print(f"exported {path} ({path.stat().st_size / 1e6:.1f} MB)", flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--steps", type=int, default=TrainConfig.steps)
    ap.add_argument("--lr", type=float, default=TrainConfig.lr)
    ap.add_argument("--warmup", type=int, default=TrainConfig.warmup)
    ap.add_argument("--attribute-sets", type=int, default=TrainConfig.attribute_sets)
    ap.add_argument("--init-from", type=Path, help="committed evaluator weights to fine-tune (e.g. weights.pt)")
    ap.add_argument("--export", type=Path, default=WEIGHTS, help="where the fp16 weights go at the end")
    ap.add_argument("--pool", type=Path, default=DEFAULT_DIR)
    ap.add_argument("--test-pool", type=Path, default=DEFAULT_DIR.parent / "test")
    ap.add_argument("--state", type=Path, default=cache_dir() / "evaluator" / "state.pt")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    set_threads(args.threads)
    cfg = TrainConfig(steps=args.steps, lr=args.lr, warmup=args.warmup, attribute_sets=args.attribute_sets)
    train(cfg, args.pool, args.state, args.test_pool, args.init_from, args.export)


if __name__ == "__main__":
    main()
