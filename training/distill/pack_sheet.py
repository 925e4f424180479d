"""A turntable contact sheet of a model pack's generator, drawn with the renderer the pack was trained with.

    python3 -m training.distill.pack_sheet --pack models/default --out docs/images/distill/pack.png [--prompts 8]

Rows are the first N prompts of the held-out split (the evaluation's own), four azimuths each, so sheets of two
packs show the same assets side by side.
"""
import argparse
from pathlib import Path

import torch

from ..common.threads import set_threads
from ..world.prompts import read_lines
from .evaluate import DEFAULT_SETS, ROOT, pack_render_config
from .from_pack import load_pack_generator
from .prior_bundle import load_prior
from .train import turntable_images


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pack", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--prior", type=Path, default=ROOT / "training" / "checkpoints" / "prior32_bundle.pt",
                    help="the prior bundle whose text encoder the pack shares (default: the default pack's)")
    ap.add_argument("--prompts", type=int, default=8)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    set_threads(args.threads)
    prior = load_prior(args.prior)
    generator, decoder = load_pack_generator(args.pack)
    prompts = read_lines(DEFAULT_SETS["heldout"])[:args.prompts]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    turntable_images(generator.eval(), decoder.eval(), prior, prompts, args.out, render=pack_render_config(args.pack))
    print(args.out)


if __name__ == "__main__":
    main()
