"""Toy-sized prior configs and a tiny fake render pool for the prior's tests."""
from pathlib import Path

import torch

from training.prior.model import PriorConfig
from training.prior.text_encoder import TextEncoder
from training.prior.train import TrainConfig
from training.prior.unet import CameraUNet

POOL_PROMPTS = ["a red rock", "a blue wooden barrel", "a small green table"]


def tiny_config(prediction_type: str = "epsilon") -> PriorConfig:
    return PriorConfig(text_encoder=TextEncoder.Config(width=32, layers=1, heads=2),
                       unet=CameraUNet.Config(channels=(16, 16, 32), emb_dim=32, time_features=32, heads=2, groups=8,
                                              prediction_type=prediction_type))


def wake_zero_inits(model: torch.nn.Module) -> None:
    """Zero-initialised layers (ResBlock outputs, the head) hide the conditioning at init; give them small weights."""
    torch.manual_seed(1)
    with torch.no_grad():
        for p in model.parameters():
            if not p.any():
                p.normal_(std=0.05)


def tiny_train_config(**overrides) -> TrainConfig:
    return TrainConfig(prior=tiny_config(), batch=4, warmup_steps=1, lr=2e-3, **overrides)


def write_fake_pool(directory: Path, n: int = 16, resolution: int = 64) -> Path:
    """One shard in RenderPool's format: solid-colour squares on grey, three prompts."""
    directory.mkdir(parents=True, exist_ok=True)
    g = torch.Generator().manual_seed(0)
    images = torch.full((n, 3, resolution, resolution), 200, dtype=torch.uint8)
    q = resolution // 4
    ids = torch.arange(n) % len(POOL_PROMPTS)
    colours = torch.tensor([[220, 30, 20], [30, 60, 220], [40, 170, 40]], dtype=torch.uint8)
    images[:, :, q:3 * q, q:3 * q] = colours[ids][:, :, None, None]
    cameras = torch.stack([torch.rand(n, generator=g) * 360, torch.rand(n, generator=g) * 55 - 10,
                           torch.full((n,), 2.9), torch.full((n,), 45.0)], -1)
    torch.save({"prompts": [POOL_PROMPTS[i] for i in ids.tolist()], "prompt_ids": torch.arange(n), "images": images,
                "cameras": cameras, "backgrounds": torch.full((n, 3), 200 / 255), "resolution": resolution},
               directory / "shard_0000.pt")
    return directory
