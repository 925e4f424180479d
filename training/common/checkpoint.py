"""Atomic, resumable checkpoints under ~/.cache/scaledreamer (full state, outside the work tree)."""
import os
from pathlib import Path

import torch

def cache_dir() -> Path:
    """Where full checkpoints live (outside the work tree); SCALEDREAMER_CACHE overrides it."""
    return Path(os.environ.get("SCALEDREAMER_CACHE", Path.home() / ".cache" / "scaledreamer"))


def save_atomic(state: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def load_if_exists(path: Path):
    return torch.load(path) if path.exists() else None

