"""How alike the methods' image-space gradients are on the same renders, noise and timesteps:

    python3 -m training.distill.guidance_agreement [--prior BUNDLE] [--pack models/default]

Renders four prompts from the pack's generator at random cameras, then for each schedule point (progress 0, 0.5,
1) computes every method's gradient with one shared generator seed (so t, the noise and ASD's dt match) and prints
the per-image cosine similarity of each pair to SDS, plus each method's mean gradient norm. Adam removes a gradient's
scale, so methods whose gradients are collinear train identically (docs/RESULTS.md, score distillation)."""
import argparse
import json
from pathlib import Path

import torch
import torch.nn.functional as F

from ..common.threads import set_threads
from ..world.camera import sample_cameras, view_prompt
from .from_pack import load_pack_generator
from .guidance import DEFAULTS, make_guidance
from .prior_bundle import load_prior
from .renderer import render_triplanes

ROOT = Path(__file__).resolve().parents[2]
PROMPTS = ["a red wooden barrel", "a tall golden tower", "a blue crate on top of a red barrel", "a mossy snowman"]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--prior", type=Path, default=ROOT / "training" / "checkpoints" / "prior32_bundle.pt")
    ap.add_argument("--pack", type=Path, default=ROOT / "models" / "default")
    args = ap.parse_args(argv)
    set_threads(1)
    prior = load_prior(args.prior)
    generator, decoder = load_pack_generator(args.pack)
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        cams = sample_cameras(len(PROMPTS), g)
        images = render_triplanes(decoder, generator(prior.encode(PROMPTS)), cams, prior.cfg.unet.resolution,
                                  torch.ones(len(PROMPTS), 3)).images
        cond = prior.encode([view_prompt(p, float(a), float(e))
                             for p, a, e in zip(PROMPTS, cams.azimuth, cams.elevation)])
    uncond = prior.encode([""]).expand_as(cond)
    report = {}
    for progress in (0.0, 0.5, 1.0):
        grads = {}
        for name in ("sds", "csd", "asd"):
            guidance = make_guidance(name, DEFAULTS[name], prior.eps, prior.schedule, prior.unet)
            x = images.clone().requires_grad_()
            guidance(x, cond, uncond, cams.as_vector(), progress, torch.Generator().manual_seed(1))["loss"].backward()
            grads[name] = x.grad.flatten(1)
        report[str(progress)] = {
            **{f"cos_sds_{n}": [round(c, 4) for c in F.cosine_similarity(grads["sds"], grads[n], dim=1).tolist()]
               for n in ("csd", "asd")},
            "cos_csd_asd": [round(c, 4) for c in F.cosine_similarity(grads["csd"], grads["asd"], dim=1).tolist()],
            "grad_norm": {n: round(v.norm(dim=1).mean().item(), 3) for n, v in grads.items()}}
    print(json.dumps({"prompts": PROMPTS, "by_progress": report}, indent=1))


if __name__ == "__main__":
    main()
