"""Training batches from the render pool: images in [-1, 1], view-dependent prompts, camera vectors."""
from pathlib import Path
from typing import List, Tuple

import torch

from ..world.camera import view_prompt
from ..world.pool import RenderPool


class PoolBatches:
    """Random batches from a pool directory that may still be growing (`refresh` picks up new shards)."""

    def __init__(self, directory: Path, resolution: int = None):
        self.directory = Path(directory)
        self.resolution = resolution
        self.shards: List[str] = []
        self.pool = None
        self.refresh()

    def refresh(self) -> bool:
        """Reload the pool when its shard list changed; True when it did."""
        shards = sorted(p.name for p in self.directory.glob("shard_*.pt"))
        if shards == self.shards:
            return False
        self.pool, self.shards = RenderPool(self.directory), shards
        return True

    def __len__(self):
        return len(self.pool)

    def batch(self, size: int, drop_prob: float, g: torch.Generator) -> Tuple[torch.Tensor, List[str], torch.Tensor]:
        """(images [B, 3, R, R] in [-1, 1] at `resolution` (the pool's own when None), prompts with view suffix
        ("" with probability drop_prob), camera [B, 4]).

        Dropping the prompt (never the camera) trains the unconditional model of classifier-free guidance
        (Ho & Salimans 2022, section 3.2); the camera stays so that both guidance branches know the view.
        """
        pool = self.pool
        idx = torch.randint(len(pool), (size,), generator=g)
        drop = (torch.rand(size, generator=g) < drop_prob).tolist()
        cams = pool.camera_batch(idx)
        prompts = ["" if d else view_prompt(pool.prompts[p], float(az), float(el))
                   for d, p, az, el in zip(drop, pool.prompt_ids[idx].tolist(), cams.azimuth, cams.elevation)]
        images = pool.images[idx].float() / 127.5 - 1
        if self.resolution and images.shape[-1] != self.resolution:
            # Area averaging: what a camera with 1/k as many pixels, each integrating its footprint, would see.
            images = torch.nn.functional.adaptive_avg_pool2d(images, self.resolution)
        return images, prompts, cams.as_vector()
