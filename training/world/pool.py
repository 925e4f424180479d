"""A render pool: ground-truth renders of sampled train prompts, stored once and reused by every trainer.

Rendering costs about as much as a training step, so the prior and the evaluator read images from shards instead:
    python3 -m training.world.pool --out ~/.cache/scaledreamer/pool/train --images 150000
Each shard_NNNN.pt holds images uint8 [S, 3, R, R], cameras float [S, 4] (azimuth, elevation, distance, fov),
backgrounds float [S, 3] and prompt_ids long [S] indexing prompts.txt. Generation is deterministic per shard and
resumable: existing shards are kept.
"""
import argparse
import random
from pathlib import Path
from typing import List

import torch

from ..common.threads import set_threads
from .camera import Cameras, sample_cameras
from .grammar import parse
from .prompts import sample_split_specs, split_of
from .render import render
from .scene import compile_specs

SHARD_SIZE = 2048
RENDER_BATCH = 128
DEFAULT_DIR = Path.home() / ".cache" / "scaledreamer" / "pool" / "train"


def random_backgrounds(n: int, generator: torch.Generator) -> torch.Tensor:
    """Solid backgrounds: half light greys/whites (like the evaluation views), half random colours."""
    colour = torch.rand(n, 3, generator=generator)
    grey = 0.75 + 0.25 * torch.rand(n, 1, generator=generator)
    pick_grey = torch.rand(n, 1, generator=generator) < 0.5
    return torch.where(pick_grey, grey.expand(-1, 3), colour)


def render_shard(index: int, split: str, resolution: int, seed: int):
    rng = random.Random(seed * 100_003 + index)
    g = torch.Generator().manual_seed(seed * 100_003 + index)
    specs = sample_split_specs(rng, split, SHARD_SIZE)
    cams = sample_cameras(SHARD_SIZE, g)
    bgs = random_backgrounds(SHARD_SIZE, g)
    images = []
    for i in range(0, SHARD_SIZE, RENDER_BATCH):
        sl = slice(i, i + RENDER_BATCH)
        sub = Cameras(cams.azimuth[sl], cams.elevation[sl], cams.distance[sl], cams.fov[sl])
        r = render(compile_specs(specs[sl]), sub, resolution, bgs[sl])
        images.append((r.images * 255).round().to(torch.uint8))
    camera = torch.stack([cams.azimuth, cams.elevation, cams.distance, cams.fov], -1)
    return [s.prompt() for s in specs], torch.cat(images), camera, bgs


class RenderPool:
    """All shards of a pool directory in memory, keeping only the images whose asset is in `split` under the
    current split rules (so a change of the held-out rules can never leak test assets into training) and not
    among `exclude_keys` (Spec.key() values)."""

    def __init__(self, directory: Path, split: str = "train", exclude_keys=frozenset()):
        shards = sorted(Path(directory).glob("shard_*.pt"))
        if not shards:
            raise FileNotFoundError(f"no shards in {directory}: run python3 -m training.world.pool first")
        self.prompts: List[str] = []
        images, cameras, backgrounds, ids = [], [], [], []
        for path in shards:
            shard = torch.load(path)
            ids.append(shard["prompt_ids"] + len(self.prompts))
            self.prompts += shard["prompts"]
            images.append(shard["images"])
            cameras.append(shard["cameras"])
            backgrounds.append(shard["backgrounds"])
        ids = torch.cat(ids)
        specs = {p: parse(p) for p in set(self.prompts)}
        in_split = torch.tensor([split_of(specs[self.prompts[i]]) == split
                                 and specs[self.prompts[i]].key() not in exclude_keys for i in ids.tolist()])
        self.images = torch.cat(images)[in_split]
        self.cameras = torch.cat(cameras)[in_split]
        self.backgrounds = torch.cat(backgrounds)[in_split]
        self.prompt_ids = ids[in_split]

    def __len__(self):
        return self.images.shape[0]

    def extend(self, other: "RenderPool") -> "RenderPool":
        """Append another pool's images (prompt ids re-based)."""
        self.prompt_ids = torch.cat([self.prompt_ids, other.prompt_ids + len(self.prompts)])
        self.prompts = self.prompts + other.prompts
        self.images = torch.cat([self.images, other.images])
        self.cameras = torch.cat([self.cameras, other.cameras])
        self.backgrounds = torch.cat([self.backgrounds, other.backgrounds])
        return self

    def camera_batch(self, idx: torch.Tensor) -> Cameras:
        c = self.cameras[idx]
        return Cameras(c[:, 0], c[:, 1], c[:, 2], c[:, 3])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, default=DEFAULT_DIR)
    ap.add_argument("--images", type=int, default=150_000)
    ap.add_argument("--split", default="train")
    ap.add_argument("--resolution", type=int, default=64)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    set_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    for index in range((args.images + SHARD_SIZE - 1) // SHARD_SIZE):
        path = args.out / f"shard_{index:04d}.pt"
        if path.exists():
            continue
        prompts, images, camera, bgs = render_shard(index, args.split, args.resolution, args.seed)
        tmp = path.with_suffix(".tmp")
        torch.save({"prompts": prompts, "prompt_ids": torch.arange(len(prompts)), "images": images,
                    "cameras": camera, "backgrounds": bgs, "resolution": args.resolution}, tmp)
        tmp.rename(path)
        print(f"wrote {path}", flush=True)


if __name__ == "__main__":
    main()
