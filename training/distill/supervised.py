"""The 3D-supervised generator: the same generator and decoder fitted directly to the Asset World's ground-truth
SDF and albedo, no diffusion prior involved.

    python3 -m training.distill.supervised --run supervised-100k --prompts training/data/prompts/train_100k.txt
    ... --init-from models/default     # continue a pack's supervised generator (its step; the optimiser starts anew)
    ... --final-lr 1e-5                 # cosine decay of the learning rate from --lr to this over the run's steps

It is the upper bound that score distillation is measured against (what this architecture can reach when it sees
the answer), and an interim generator for the runtime while the distilled one trains.
Per step: P prompts; 1/2 of the query points uniform in the cube, 1/2 near the surface (|sdf| < NEAR);
loss = L1 between the predicted SDF and the ground truth clamped to +-CLAMP (the prediction is not clamped, so a
prediction outside the band is still pulled back) + L1 of the albedo within ALBEDO_BAND of the surface.
"""
import argparse
import json
import math
import random
import time
from pathlib import Path

import torch

from ..common.checkpoint import cache_dir, load_if_exists, save_atomic
from ..common.threads import set_threads
from ..world.grammar import parse
from ..world.prompts import read_lines
from ..world.scene import albedo_points, compile_specs, sdf_points
from .from_pack import load_pack_generator
from .generator import TriplaneGenerator
from .prior_bundle import load_prior
from .triplane import TriplaneDecoder
from .train import turntable_images

CLAMP, NEAR, ALBEDO_BAND = 0.5, 0.08, 0.04
CANDIDATES = 8  # uniform candidates per query point, from which the near-surface half is drawn


def sample_targets(prompts, points_per_prompt: int, g: torch.Generator):
    """Query points [P, N, 3] and ground truth sdf [P, N], albedo [P, N, 3] (half of the points near surfaces)."""
    table = compile_specs([parse(p) for p in prompts])
    P, N = len(prompts), points_per_prompt
    candidates = torch.rand(P, CANDIDATES * N, 3, generator=g) * 2 - 1
    asset = torch.arange(P).repeat_interleave(CANDIDATES * N)
    d = sdf_points(table, candidates.reshape(-1, 3), asset).reshape(P, CANDIDATES * N)
    near_score = torch.where(d.abs() < NEAR, torch.rand(d.shape, generator=g), torch.full_like(d, -1.0))
    near = near_score.topk(N // 2, dim=1).indices  # random near-surface points (uniform ones where too few)
    pts = torch.cat([candidates.gather(1, near[..., None].expand(-1, -1, 3)), candidates[:, :N - N // 2]], 1)
    flat_asset = torch.arange(P).repeat_interleave(N)
    sdf = sdf_points(table, pts.reshape(-1, 3), flat_asset).reshape(P, N)
    albedo = albedo_points(table, pts.reshape(-1, 3), flat_asset).reshape(P, N, 3)
    return pts, sdf, albedo


def loss_fn(decoder, planes, pts, sdf, albedo):
    pred_sdf, pred_albedo = decoder(planes, pts)
    sdf_loss = (pred_sdf - sdf.clamp(-CLAMP, CLAMP)).abs().mean()
    band = (sdf.abs() < ALBEDO_BAND).float()[..., None]
    albedo_loss = ((pred_albedo - albedo).abs() * band).sum() / (3 * band.sum()).clamp(min=1)
    return sdf_loss, albedo_loss


def cosine_lr(step: int, start: int, end: int, lr: float, final_lr: float) -> float:
    """The learning rate at `step` of a cosine decay from `lr` at `start` to `final_lr` at `end`."""
    progress = min(1.0, max(0.0, (step - start) / max(1, end - start)))
    return final_lr + (lr - final_lr) * 0.5 * (1 + math.cos(math.pi * progress))


def continue_pack(pack: Path):
    """A pack's supervised generator and decoder, and the step it was exported at (batches go on from there)."""
    section = json.loads((Path(pack) / "manifest.json").read_text())["generator"]
    if section.get("kind") != "supervised":
        raise ValueError(f"{pack}: its generator is {section.get('kind')!r} ({section.get('version')}); "
                         "--init-from continues a supervised one")
    gen, dec = load_pack_generator(pack)
    return gen, dec, int(section["step"])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", default="supervised-100k")
    ap.add_argument("--prompts", type=Path, required=True)
    ap.add_argument("--prior", type=Path, default=None, help="prior bundle whose text encoder conditions the generator")
    ap.add_argument("--init-from", type=Path, default=None,
                    help="a model pack whose supervised generator a new run continues (from the pack's step)")
    ap.add_argument("--steps", type=int, default=20_000)
    ap.add_argument("--prompts-per-step", type=int, default=8)
    ap.add_argument("--points", type=int, default=4096)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--final-lr", type=float, default=None,
                    help="decay the learning rate (cosine) from --lr where this run starts to this at --steps")
    ap.add_argument("--checkpoint-minutes", type=float, default=5.0)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    set_threads(args.threads)
    torch.manual_seed(0)
    prior = load_prior(args.prior)
    prompts = read_lines(args.prompts)
    run_dir = cache_dir() / "distill" / args.run
    state_path, step = run_dir / "state.pt", 0
    state = load_if_exists(state_path)
    if args.init_from and not state:
        gen, dec, step = continue_pack(args.init_from)
    else:
        gen = TriplaneGenerator(TriplaneGenerator.Config(text_dim=prior.text_encoder.cfg.width))
        torch.nn.init.normal_(gen.upsample[-1].weight, std=1e-3)  # supervised: no need to start exactly at the sphere
        dec = TriplaneDecoder()
    params = list(gen.parameters()) + list(dec.parameters())
    opt = torch.optim.Adam(params, lr=args.lr)
    if state:
        gen.load_state_dict(state["geometry"])
        dec.load_state_dict(state["decoder"])
        opt.load_state_dict(state["opt"])
        step = state["step"]
        print(f"resumed at step {step}", flush=True)
    schedule_start = state.get("schedule_start", step) if state else step  # a resumed run keeps its decay
    run_dir.mkdir(parents=True, exist_ok=True)
    last_save, t0 = time.time(), time.time()
    while step < args.steps:
        rng = random.Random(f"supervised/{step}")
        g = torch.Generator().manual_seed(step)
        batch = [rng.choice(prompts) for _ in range(args.prompts_per_step)]
        pts, sdf, albedo = sample_targets(batch, args.points, g)
        with torch.no_grad():
            text = prior.encode(batch)
        sdf_loss, albedo_loss = loss_fn(dec, gen(text), pts, sdf, albedo)
        loss = sdf_loss + albedo_loss
        if not torch.isfinite(loss):
            raise FloatingPointError(f"non-finite loss at step {step}")
        if args.final_lr is not None:
            for group in opt.param_groups:
                group["lr"] = cosine_lr(step, schedule_start, args.steps, args.lr, args.final_lr)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        step += 1
        if step % 25 == 0:
            entry = {"step": step, "sdf_l1": round(sdf_loss.item(), 5), "albedo_l1": round(albedo_loss.item(), 5),
                     "lr": float(f"{opt.param_groups[0]['lr']:.3g}"), "s_per_step": round((time.time() - t0) / 25, 3)}
            print(json.dumps(entry), flush=True)
            with open(run_dir / "log.jsonl", "a") as f:
                f.write(json.dumps(entry) + "\n")
            t0 = time.time()
        if time.time() - last_save > args.checkpoint_minutes * 60 or step == args.steps:
            save_atomic({"geometry": gen.state_dict(), "decoder": dec.state_dict(), "opt": opt.state_dict(),
                         "step": step, "schedule_start": schedule_start, "kind": "supervised",
                         "text_dim": prior.text_encoder.cfg.width}, state_path)
            turntable_images(gen, dec, prior, prompts[:4], run_dir / "turntable.png")
            last_save = time.time()


if __name__ == "__main__":
    main()
