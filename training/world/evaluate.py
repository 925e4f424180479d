"""Evaluate renders or a 3D asset against the Asset World: python3 -m training.world.evaluate ...

    --renders DIR   DIR/prompts.txt (P lines) and DIR/NNNN_V.png (prompt NNNN, view V; V views each):
                    evaluator CLIP similarity, R@1 among the P prompts, attribute accuracy.
    --asset FILE --prompt "..."   FILE.npz with occ [R,R,R] (bool) and colour [R,R,R,3] grids over [-1,1]^3:
                    IoU, Chamfer and colour error against the prompt's ground truth.
Writes JSON to stdout and, with --out, to a file.
"""
import argparse
import json
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ..evaluator.api import Evaluator
from .grammar import parse
from .metrics3d import compare, spec_grids
from .prompts import read_lines


def evaluate_renders(directory: Path) -> dict:
    prompts = read_lines(directory / "prompts.txt")
    files = sorted(directory.glob("*.png"))
    if not files or len(files) % len(prompts):
        raise ValueError(f"{directory}: {len(files)} PNGs for {len(prompts)} prompts (need the same views each)")
    images = torch.stack([torch.from_numpy(np.array(Image.open(f).convert("RGB"))).permute(2, 0, 1)
                          for f in files]).float() / 255.0
    return Evaluator.load().score(images, prompts, len(files) // len(prompts))


def evaluate_asset(path: Path, prompt: str) -> dict:
    data = np.load(path)
    occ, colour = torch.from_numpy(data["occ"]).bool(), torch.from_numpy(data["colour"]).float()
    return compare(occ, colour, *spec_grids(parse(prompt), occ.shape[0]))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--renders", type=Path)
    ap.add_argument("--asset", type=Path)
    ap.add_argument("--prompt")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)
    if bool(args.renders) == bool(args.asset) or (args.asset and not args.prompt):
        ap.error("give --renders DIR, or --asset FILE with --prompt")
    result = evaluate_renders(args.renders) if args.renders else evaluate_asset(args.asset, args.prompt)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
