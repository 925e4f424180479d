"""Amortized training speed (issue 5): steps/s of `training.distill.train` on this machine and the share of a step
spent in the prior (the guidance's UNet calls), the renderer (forward and backward) and the generator (forward and
backward, plus the optimiser step).

    python3 -m training.distill.bench_train [--prior BUNDLE] [--steps 8] [--threads 1] [--guidance asd] [--samples S --beta B]

The stages are the ones DistillationSystem.forward chains, run one by one with the render's input detached so that
each backward is timed on its own; the gradients and the update are the same as in training. Prints JSON."""
import argparse
import json
import random
import statistics
import time
from pathlib import Path

import torch

from ..common.threads import set_threads
from ..world.camera import sample_cameras, view_prompt
from ..world.pool import random_backgrounds
from ..world.prompts import read_lines
from .prior_bundle import load_prior
from .renderer import RenderConfig
from .system import DistillationSystem, SystemConfig, sample_prompts

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PRIOR = ROOT / "training" / "checkpoints" / "prior32_bundle.pt"
PROMPTS = ROOT / "training" / "data" / "prompts" / "train_17k.txt"


def timed_step(system: DistillationSystem, opt, prompts, g: torch.Generator) -> dict:
    clock = {}

    def lap(name, start):
        clock[name] = clock.get(name, 0.0) + time.perf_counter() - start
        return time.perf_counter()

    V = system.cfg.views_per_prompt
    t = time.perf_counter()
    planes = system.text_and_planes(prompts)[1].repeat_interleave(V, dim=0)
    t = lap("generator", t)
    leaf = planes.detach().requires_grad_()
    cams = sample_cameras(len(planes), g)
    out = system.render(leaf, cams, random_backgrounds(len(cams), g), jitter=g)
    t = lap("renderer", t)
    with torch.no_grad():
        cond = system.prior.encode([view_prompt(p, float(a), float(e)) for p, a, e in
                                    zip([p for p in prompts for _ in range(V)], cams.azimuth, cams.elevation)])
    result = system.guidance(out.images, cond, system._uncond.expand_as(cond), cams.as_vector(), 0.5, g)
    t = lap("prior", t)
    opt.zero_grad()
    result["loss"].backward()
    t = lap("renderer", t)
    planes.backward(leaf.grad)
    opt.step()
    lap("generator", t)
    return clock


def measure(prior: Path = DEFAULT_PRIOR, guidance: str = "asd", steps: int = 8, warmup: int = 2,
            prompts_per_step: int = 4, views: int = 2, render: RenderConfig = RenderConfig()) -> dict:
    """Median step time over `steps` steps after `warmup`, with the threads torch is set to and the renderer
    settings `render` (a pack's generator is measured with the samples and beta it was trained with)."""
    torch.manual_seed(0)
    system = DistillationSystem(SystemConfig(guidance_type=guidance, prompts_per_step=prompts_per_step,
                                             views_per_prompt=views, render=render), load_prior(prior))
    opt = torch.optim.Adam(system.trainable_parameters(), lr=1e-4)
    prompts, rng, g = read_lines(PROMPTS), random.Random(0), torch.Generator().manual_seed(0)
    laps = [timed_step(system, opt, sample_prompts(prompts, prompts_per_step, rng), g)
            for _ in range(warmup + steps)][warmup:]
    step_s = statistics.median(sum(c.values()) for c in laps)
    totals = {k: sum(c[k] for c in laps) for k in laps[0]}
    return {"train_steps_per_s": round(1 / step_s, 3), "step_s_median": round(step_s, 3),
            "share": {k: round(v / sum(totals.values()), 3) for k, v in totals.items()},
            "guidance": guidance, "prompts_per_step": prompts_per_step, "views": views,
            "threads": torch.get_num_threads(), "resolution": system.cfg.resolution,
            "samples": system.cfg.render.samples, "beta": system.cfg.render.beta, "steps": steps}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--prior", type=Path, default=DEFAULT_PRIOR)
    ap.add_argument("--guidance", default="asd")
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--prompts-per-step", type=int, default=4)
    ap.add_argument("--views", type=int, default=2)
    ap.add_argument("--samples", type=int, default=RenderConfig.samples, help="samples per ray")
    ap.add_argument("--beta", type=float, default=RenderConfig.beta, help="VolSDF beta")
    args = ap.parse_args(argv)
    set_threads(args.threads)
    print(json.dumps(measure(args.prior, args.guidance, args.steps, args.warmup, args.prompts_per_step, args.views,
                             RenderConfig(samples=args.samples, beta=args.beta))))


if __name__ == "__main__":
    main()
