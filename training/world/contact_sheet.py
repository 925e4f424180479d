"""A contact sheet of the Asset World: python3 -m training.world.contact_sheet [--out docs/images/world.png]"""
import argparse
import random
from pathlib import Path

import torch

from ..common.contact_sheet import contact_sheet
from ..common.threads import set_threads
from .assets import CATEGORIES
from .camera import fixed_cameras, sample_cameras, view_suffix
from .grammar import parse
from .prompts import sample_spec
from .render import render
from .scene import compile_specs

DEFAULT_OUT = Path(__file__).resolve().parents[2] / "docs" / "images" / "world_contact_sheet.png"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--resolution", type=int, default=64)
    args = ap.parse_args(argv)
    set_threads(2)
    rng = random.Random(7)
    specs = [parse(f"a {c}") for c in sorted(CATEGORIES)]              # every category, default look
    specs += [sample_spec(rng, composition_share=0.0) for _ in range(15)]  # attributes, sizes, part clauses
    specs += [sample_spec(rng, composition_share=1.0) for _ in range(16)]  # compositions
    g = torch.Generator().manual_seed(7)
    cams = sample_cameras(len(specs), g)
    turntable = parse("a red wooden barrel on top of a mossy rock")
    specs += [turntable] * 8
    cams8 = fixed_cameras([i * 45.0 for i in range(8)])
    for field in ("azimuth", "elevation", "distance", "fov"):
        setattr(cams, field, torch.cat([getattr(cams, field), getattr(cams8, field)]))
    r = render(compile_specs(specs), cams, args.resolution)
    captions = [f"{s.prompt()}, {view_suffix(float(a), float(e))}"
                for s, a, e in zip(specs, cams.azimuth, cams.elevation)]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    contact_sheet(r.images, captions, args.out)
    print(args.out)


if __name__ == "__main__":
    main()
