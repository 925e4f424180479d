"""Train the prior on the render pool; resumable, checkpointed every few minutes, NaN-guarded.

    python3 -m training.prior.train                  # resumes from ~/.cache/scaledreamer/prior/last.pt if present
    python3 -m training.prior.train --steps 200000   # stop at a total step count

Outputs in --out (default ~/.cache/scaledreamer/prior): last.pt (full state: model, EMA, optimiser, step, RNG),
bundle.pt (the EMA prior alone, read by training.distill.prior_bundle), loss.jsonl, loss.png; and docs/images/prior_samples.png, a contact sheet of held-out prompts (DDIM 50, CFG 7.5).
"""
import argparse
import copy
import json
import math
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from ..common.checkpoint import cache_dir, load_if_exists, save_atomic
from ..common.contact_sheet import contact_sheet
from ..common.threads import set_threads
from ..world.camera import fixed_cameras, view_prompt
from ..world.pool import DEFAULT_DIR
from ..world.prompts import read_lines
from ..world.views import EVAL_AZIMUTHS, EVAL_ELEVATION
from .data import PoolBatches
from .ema import ema_decay, ema_update
from .model import DiffusionPrior, PriorConfig, config_from_dict
from .schedule import LOSS_WEIGHTINGS

REPO = Path(__file__).resolve().parents[2]
HELD_OUT = REPO / "training" / "data" / "prompts" / "test_500.txt"
SAMPLES_PNG = REPO / "docs" / "images" / "prior_samples.png"


@dataclass
class TrainConfig:
    prior: PriorConfig = field(default_factory=PriorConfig)
    batch: int = 32
    lr: float = 4e-4
    warmup_steps: int = 500
    weight_decay: float = 0.01
    grad_clip: float = 1.0
    ema_decay: float = 0.999
    cond_dropout: float = 0.1
    steps: int = 300_000
    seed: int = 0
    log_every: int = 25
    checkpoint_every_s: float = 300.0
    sample_every_s: float = 1800.0
    sample_prompts: int = 6
    guidance: float = 7.5
    sample_steps: int = 50
    # A prior bundle whose tokenizer and text encoder are loaded and kept frozen ("" trains one jointly). Sharing
    # the pack's text encoder keeps every generator trained on its states valid when only the UNet is retrained.
    text_encoder_from: str = ""
    # The training step of the weights a run starts from (--init-from): the step count, and so the version a pack
    # export records, continues from it, and the warmup restarts there because the optimiser is fresh.
    init_step: int = 0
    # Steps before `steps` over which the rate falls linearly to 0 (0: none). A run with no known end keeps a
    # constant rate and leaves the annealing to the EMA; a run given an end cools down into it.
    cooldown_steps: int = 0


def learning_rate(step: int, cfg: TrainConfig) -> float:
    """Linear warmup, then constant, then (with cooldown_steps) a linear fall to 0 at cfg.steps."""
    warmup = min(1.0, (step - cfg.init_step + 1) / cfg.warmup_steps)
    cooldown = min(1.0, max(cfg.steps - step, 0) / cfg.cooldown_steps) if cfg.cooldown_steps else 1.0
    return cfg.lr * warmup * cooldown


class Trainer:
    def __init__(self, cfg: TrainConfig, pool_dir: Path, out: Path, samples_png: Path = SAMPLES_PNG):
        self.cfg, self.out, self.samples_png = cfg, Path(out), Path(samples_png)
        self.out.mkdir(parents=True, exist_ok=True)
        torch.manual_seed(cfg.seed)
        self.model = DiffusionPrior(cfg.prior)
        if cfg.text_encoder_from:
            load_frozen_text_encoder(self.model, Path(cfg.text_encoder_from))
        self.ema = copy.deepcopy(self.model).requires_grad_(False)
        trainable = [p for p in self.model.parameters() if p.requires_grad]
        self.opt = torch.optim.AdamW(trainable, lr=cfg.lr, weight_decay=cfg.weight_decay)
        self.g = torch.Generator().manual_seed(cfg.seed)
        self.step = 0
        self.nan_events = 0
        self.data = PoolBatches(pool_dir, cfg.prior.unet.resolution)

    @property
    def checkpoint_path(self) -> Path:
        return self.out / "last.pt"

    def state(self) -> dict:
        return {"config": asdict(self.cfg), "step": self.step, "nan_events": self.nan_events,
                "model": self.model.state_dict(), "ema": self.ema.state_dict(), "optimizer": self.opt.state_dict(),
                "rng": {"data": self.g.get_state(), "torch": torch.get_rng_state(), "python": random.getstate()}}

    def save(self) -> None:
        """Full state for resuming, and the EMA prior alone (bundle.pt) for score distillation."""
        save_atomic(self.state(), self.checkpoint_path)
        save_atomic(self.ema.bundle(), self.out / "bundle.pt")

    def load(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.ema.load_state_dict(state["ema"])
        self.opt.load_state_dict(state["optimizer"])
        self.step, self.nan_events = state["step"], state["nan_events"]
        self.g.set_state(state["rng"]["data"])
        torch.set_rng_state(state["rng"]["torch"])
        random.setstate(state["rng"]["python"])

    def train_step(self) -> float:
        """One optimisation step; returns the loss, or nan (and changes nothing) if loss or gradients are not finite."""
        cfg = self.cfg
        images, prompts, camera = self.data.batch(cfg.batch, cfg.cond_dropout, self.g)
        t = torch.randint(self.model.schedule.T, (cfg.batch,), generator=self.g).float()
        noise = torch.randn(images.shape, generator=self.g)
        for group in self.opt.param_groups:
            group["lr"] = learning_rate(self.step, cfg)
        with torch.set_grad_enabled(not self.cfg.text_encoder_from):
            text = self.model.encode(prompts)
        loss = self.model.losses(images, t, noise, text, camera).mean()
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), cfg.grad_clip)
        if not (torch.isfinite(loss) and torch.isfinite(grad_norm)):
            return math.nan
        self.opt.step()
        ema_update(self.ema, self.model, ema_decay(self.step, cfg.ema_decay))
        self.step += 1
        return loss.item()

    def recover_from_nan(self) -> None:
        """Reload the last good checkpoint and reseed the data stream so the same batch is not replayed."""
        self.nan_events += 1
        saved = load_if_exists(self.checkpoint_path)
        if saved is not None:
            nan_events = self.nan_events
            self.load(saved)
            self.nan_events = nan_events
        self.g.manual_seed(self.cfg.seed + 1_000_003 * self.nan_events + self.step)

    def write_samples(self) -> None:
        path = self.samples_png
        prompts = read_lines(HELD_OUT)[: self.cfg.sample_prompts]
        cams = fixed_cameras(list(EVAL_AZIMUTHS) * len(prompts), elevation=EVAL_ELEVATION)
        full = [view_prompt(p, float(a), EVAL_ELEVATION) for p in prompts for a in EVAL_AZIMUTHS]
        images = self.ema.eval().sample(full, cams.as_vector(), self.cfg.guidance, self.cfg.sample_steps,
                                        torch.Generator().manual_seed(0))
        captions = [f"{p} @{int(a)}" for p in prompts for a in EVAL_AZIMUTHS]
        path.parent.mkdir(parents=True, exist_ok=True)
        contact_sheet(images, captions, path, columns=8)

    def run(self, log) -> None:
        cfg = self.cfg
        last_ckpt = last_sample = time.time()
        window, t0 = [], time.time()
        while self.step < cfg.steps:
            loss = self.train_step()
            if math.isnan(loss):
                log(f"non-finite loss or gradient at step {self.step}: reloading the last checkpoint")
                self.recover_from_nan()
                continue
            window.append(loss)
            if self.step % cfg.log_every == 0:
                rec = {"step": self.step, "loss": sum(window) / len(window), "lr": learning_rate(self.step, cfg),
                       "s_per_step": (time.time() - t0) / len(window), "images": len(self.data), "time": time.time()}
                with open(self.out / "loss.jsonl", "a") as f:
                    f.write(json.dumps(rec) + "\n")
                log(json.dumps(rec))
                window, t0 = [], time.time()
            if time.time() - last_ckpt > cfg.checkpoint_every_s:
                self.save()
                plot_losses(self.out / "loss.jsonl", self.out / "loss.png")
                if self.data.refresh():
                    log(f"pool reloaded: {len(self.data)} images")
                last_ckpt = time.time()
            if time.time() - last_sample > cfg.sample_every_s:
                self.write_samples()
                log(f"samples written at step {self.step}")
                last_sample = time.time()
        self.save()


def load_frozen_text_encoder(model: DiffusionPrior, bundle_path: Path) -> None:
    """Copy a bundle's text encoder into the model and freeze it; the tokenizers must agree word for word."""
    blob = torch.load(bundle_path)
    if blob["tokenizer"] != asdict(model.tokenizer.cfg) or blob["text_encoder"]["config"] != asdict(model.text_encoder.cfg):
        raise ValueError(f"{bundle_path}: its tokenizer or text encoder config differs from this prior's")
    model.text_encoder.load_state_dict(blob["text_encoder"]["state"])
    model.text_encoder.requires_grad_(False)


def plot_losses(jsonl: Path, png: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    recs = [json.loads(line) for line in jsonl.read_text().splitlines() if line.strip()]
    if not recs:
        return
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot([r["step"] for r in recs], [r["loss"] for r in recs], lw=0.8)
    ax.set_xlabel("step")
    ax.set_ylabel("weighted loss (mean per log window)")
    ax.set_yscale("log")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(png, dpi=100)
    plt.close(fig)


def fresh_config(args) -> TrainConfig:
    cfg = TrainConfig(batch=args.batch, text_encoder_from=str(args.text_encoder_from or ""),
                      init_step=args.init_step if args.init_from else 0)
    cfg.prior.unet.resolution = args.resolution
    cfg.prior.loss_weighting = args.loss_weighting
    if args.channels:
        cfg.prior.unet.channels = tuple(args.channels)
        cfg.prior.unet.cross_attention = (True,) * len(args.channels)
    return cfg


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pool", type=Path, default=DEFAULT_DIR)
    ap.add_argument("--out", type=Path, default=cache_dir() / "prior")
    ap.add_argument("--steps", type=int, default=TrainConfig.steps)
    ap.add_argument("--cooldown-steps", type=int, default=0,
                    help="the last N steps before --steps take the learning rate linearly to 0")
    # One thread: on this shared 2-core machine a 2-thread step waits at every OpenMP barrier for whichever core
    # another job holds (measured 4-7 s per training step with 2 threads vs 0.6 s with 1 while one other job ran).
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--samples-now", action="store_true", help="write the contact sheet from the checkpoint and exit")
    ap.add_argument("--samples", type=Path, default=SAMPLES_PNG, help="where the contact sheet goes")
    fresh = ap.add_argument_group("a fresh run (ignored when --out holds a checkpoint, whose config wins)")
    fresh.add_argument("--resolution", type=int, default=PriorConfig().unet.resolution)
    fresh.add_argument("--channels", type=int, nargs="+", help="UNet channels per level (cross-attention at all)")
    fresh.add_argument("--batch", type=int, default=TrainConfig.batch)
    fresh.add_argument("--text-encoder-from", type=Path, help="a prior bundle whose text encoder is used, frozen")
    fresh.add_argument("--loss-weighting", choices=LOSS_WEIGHTINGS, default=PriorConfig.loss_weighting)
    fresh.add_argument("--init-from", type=Path, help="a prior bundle (e.g. training/checkpoints/*.pt) whose UNet "
                       "starts the run (model and EMA; the optimiser starts afresh): resuming a lost cache")
    fresh.add_argument("--init-step", type=int, default=0, help="the training step of the --init-from weights")
    args = ap.parse_args(argv)
    set_threads(args.threads)
    log = lambda msg: print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)
    saved = load_if_exists(args.out / "last.pt")
    cfg = config_from_dict(TrainConfig, saved["config"]) if saved else fresh_config(args)
    cfg.steps, cfg.cooldown_steps = args.steps, args.cooldown_steps
    trainer = Trainer(cfg, args.pool, args.out, args.samples)
    if saved:
        trainer.load(saved)
        log(f"resumed at step {trainer.step}")
    elif args.init_from:
        unet = torch.load(args.init_from)["unet"]["state"]
        for model in (trainer.model, trainer.ema):
            model.unet.load_state_dict(unet)
        trainer.step = cfg.init_step
        log(f"UNet initialised from {args.init_from} at step {trainer.step}")
    if args.samples_now:
        trainer.write_samples()
        return
    log(f"training on {len(trainer.data)} images, {sum(p.numel() for p in trainer.model.parameters())} parameters")
    trainer.run(log)


if __name__ == "__main__":
    main()
