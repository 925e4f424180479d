"""Train an amortized triplane generator (or one prompt's triplane) by score distillation.

    python3 -m training.distill.train --run asd-415 --guidance asd --prompts training/data/prompts/train_415.txt
    torchrun --nproc_per_node 2 -m training.distill.train ...      # data parallel (gloo on CPU, nccl on GPU)

Resumable: state in ~/.cache/scaledreamer/distill/<run>/state.pt every few minutes (atomic); a NaN/Inf loss is
reported with its step and training goes back to the last good checkpoint. Logs: log.jsonl; turntable sheets:
turntable.png in the run directory.
"""
import argparse
import json
import os
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from ..common.checkpoint import cache_dir, load_if_exists, save_atomic
from ..common.threads import set_threads
from ..world.camera import fixed_cameras
from ..world.prompts import read_lines
from .anchor import GeometryAnchor
from .guidance import DEFAULTS, VSD
from .prior_bundle import load_prior
from .renderer import RenderConfig, render_triplanes
from .from_pack import load_pack_generator, pack_generator_version
from .generator import TriplaneGenerator
from .system import DistillationSystem, PlaneParameter, SystemConfig, sample_prompts
from ..common.contact_sheet import contact_sheet


class NonFiniteLoss(RuntimeError):
    pass


@dataclass
class TrainResult:
    steps: int
    run_dir: Path
    system: DistillationSystem


def _setup_distributed():
    if "RANK" not in os.environ:
        return 0, 1
    backend = "nccl" if torch.cuda.is_available() else "gloo"
    dist.init_process_group(backend)
    return dist.get_rank(), dist.get_world_size()


@torch.no_grad()
def turntable_images(geometry, decoder, prior, prompts, path: Path, views: int = 4,
                     render: RenderConfig = RenderConfig()):
    """A contact sheet of each prompt from `views` azimuths (white background), drawn with the run's renderer."""
    planes = geometry(prior.encode(prompts)).repeat_interleave(views, dim=0)
    cams = fixed_cameras([i * 360.0 / views for i in range(views)] * len(prompts))
    images = render_triplanes(decoder, planes, cams, 64, torch.ones(len(cams), 3), render).images
    contact_sheet(images, [p for p in prompts for _ in range(views)], path, columns=views * 2)


def train(args) -> dict:
    rank, world = _setup_distributed()
    torch.manual_seed(args.seed)  # identical initial weights on every rank (DDP also broadcasts rank 0's)
    run_dir = cache_dir() / "distill" / args.run
    state_path = run_dir / "state.pt"
    prompts = read_lines(args.prompts)
    prior = load_prior(args.prior)
    cfg = SystemConfig(guidance_type=args.guidance, prompts_per_step=args.prompts_per_step,
                       views_per_prompt=args.views, resolution=args.resolution,
                       render_resolution=args.render_resolution,
                       render=RenderConfig(samples=args.samples, beta=args.beta))
    if args.eta is not None:
        cfg.guidance = DEFAULTS["asd"].__class__(**{**asdict(DEFAULTS["asd"]), "eta": args.eta})
    geometry = None
    if args.per_prompt:
        if len(prompts) != 1:
            raise ValueError(f"--per-prompt optimises one prompt's triplane; {args.prompts} has {len(prompts)}")
        cfg.generator.text_dim = prior.text_encoder.cfg.width
        resolution = TriplaneGenerator(cfg.generator).resolution
        geometry = PlaneParameter(torch.zeros(1, 3, cfg.generator.channels, resolution, resolution))
    system = DistillationSystem(cfg, prior, geometry)
    opt = torch.optim.Adam(system.trainable_parameters(), lr=args.lr)
    step = 0

    def restore():
        nonlocal step
        state = load_if_exists(state_path)
        if state:
            system.geometry.load_state_dict(state["geometry"])
            system.decoder.load_state_dict(state["decoder"])
            opt.load_state_dict(state["opt"])
            step = state["step"]
        return bool(state)

    init_version = pack_generator_version(args.init_from) if args.init_from else None  # read once: a pack may change
    anchor, anchor_weight = None, args.anchor_sdf or args.anchor_occupancy
    if args.anchor_sdf and args.anchor_occupancy:
        raise ValueError("--anchor-sdf and --anchor-occupancy are two anchors; give one")
    if anchor_weight:
        if not args.init_from:
            raise ValueError("a geometry anchor keeps the shape of the generator given by --init-from; give one")
        anchor = GeometryAnchor(*load_pack_generator(args.init_from),
                                kind="sdf" if args.anchor_sdf else "occupancy", margin=args.anchor_margin)
    if restore():
        if rank == 0:
            print(f"resumed {args.run} at step {step}", flush=True)
    elif args.init_from:
        if args.per_prompt:
            raise ValueError("--init-from starts the amortized generator from a pack; not for --per-prompt")
        generator, decoder = load_pack_generator(args.init_from)
        system.geometry.load_state_dict(generator.state_dict())
        system.decoder.load_state_dict(decoder.state_dict())
    # DDP all-reduces the generator's and decoder's gradients; the frozen prior is not a submodule. (VSD's online
    # copy of the prior is updated per rank.)
    model = DistributedDataParallel(system) if world > 1 else system
    last_save, t0, log = time.time(), time.time(), []
    run_dir.mkdir(parents=True, exist_ok=True)
    while step < args.steps:
        # Randomness is a function of (seed, rank, step), so a resumed run continues exactly as it would have.
        rng = random.Random(f"{args.seed}/{rank}/{step}")
        g = torch.Generator().manual_seed(hash((args.seed, rank, step)) % 2 ** 62)
        batch = sample_prompts(prompts, cfg.prompts_per_step, rng)
        out = model(batch, step / args.steps, g)
        loss = out["loss"]
        if anchor is not None:
            out["anchor"] = anchor(out["text"], out["planes"], system.decoder, g)
            loss = loss + anchor_weight * out["anchor"]
        if not torch.isfinite(loss):
            print(json.dumps({"step": step, "error": "non-finite loss, back to the last checkpoint"}), flush=True)
            if not restore():
                raise NonFiniteLoss(f"non-finite loss at step {step} and no checkpoint to go back to")
            continue
        opt.zero_grad()
        loss.backward()
        opt.step()
        if isinstance(system.guidance, VSD):
            system.guidance.update_particles(out["images"], out["cond"], out["uncond"], out["cameras"].as_vector(), g)
        step += 1
        if rank == 0 and (step % args.log_every == 0 or step == args.steps):
            entry = {"step": step, "loss": loss.item(), "grad_norm": out["grad_norm"].item(), "t": out["t"].item(),
                     **({"anchor": out["anchor"].item()} if anchor is not None else {}),
                     "s_per_step": (time.time() - t0) / args.log_every}
            print(json.dumps(entry), flush=True)
            with open(run_dir / "log.jsonl", "a") as f:
                f.write(json.dumps(entry) + "\n")
            t0 = time.time()
        if rank == 0 and (time.time() - last_save > args.checkpoint_minutes * 60 or step == args.steps):
            save_atomic({"geometry": system.geometry.state_dict(), "decoder": system.decoder.state_dict(),
                         "opt": opt.state_dict(), "step": step, "config": {k: str(v) for k, v in vars(args).items()},
                         **({"init": init_version} if init_version else {})},
                        state_path)
            turntable_images(system.geometry, system.decoder, prior, prompts[:4], run_dir / "turntable.png",
                             render=cfg.render)
            last_save = time.time()
    if world > 1:
        dist.barrier()
    return TrainResult(step, run_dir, system)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", required=True)
    ap.add_argument("--guidance", default="asd", choices=sorted(DEFAULTS))
    ap.add_argument("--prompts", type=Path, required=True)
    ap.add_argument("--prior", type=Path, default=None, help="prior checkpoint (default: the cached EMA weights)")
    ap.add_argument("--per-prompt", action="store_true", help="optimise one triplane for the single prompt in "
                    "--prompts (the refinement path) instead of training the amortized generator")
    ap.add_argument("--init-from", type=Path, default=None,
                    help="a model pack whose generator and decoder a new run starts from (fine-tuning)")
    ap.add_argument("--anchor-sdf", type=float, default=0.0,
                    help="with --init-from: weight of the squared-SDF anchor to the starting generator (anchor.py)")
    ap.add_argument("--anchor-occupancy", type=float, default=0.0,
                    help="with --init-from: weight of the occupancy anchor to the starting generator (anchor.py)")
    ap.add_argument("--anchor-margin", type=float, default=0.01,
                    help="the occupancy anchor leaves points within this SDF distance of the start's surface free")
    ap.add_argument("--steps", type=int, default=10_000)
    ap.add_argument("--prompts-per-step", type=int, default=4)
    ap.add_argument("--views", type=int, default=2)
    ap.add_argument("--eta", type=float, default=None, help="ASD eta override (ablation)")
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--resolution", type=int, default=None, help="the prior's input size (default: its own)")
    ap.add_argument("--render-resolution", type=int, default=None,
                    help="render at this size and upsample to --resolution (4x cheaper at 32)")
    ap.add_argument("--samples", type=int, default=RenderConfig.samples, help="samples per ray")
    ap.add_argument("--beta", type=float, default=RenderConfig.beta,
                    help="VolSDF's beta (a smaller one puts the rendered surface nearer the SDF's zero level; "
                         "give it more --samples)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--log-every", type=int, default=10)
    ap.add_argument("--checkpoint-minutes", type=float, default=5.0)
    ap.add_argument("--threads", type=int, default=2)
    return ap.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    set_threads(args.threads)
    result = train(args)
    print(json.dumps({"steps": result.steps, "run_dir": str(result.run_dir)}))


if __name__ == "__main__":
    main()
