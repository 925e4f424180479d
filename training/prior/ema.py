"""Exponential moving average of the weights, the ones that get sampled and exported."""
import torch
from torch import nn


def ema_decay(step: int, decay: float) -> float:
    """min(decay, (1 + step) / (10 + step)): early averages forget the random initialisation quickly."""
    return min(decay, (1 + step) / (10 + step))


@torch.no_grad()
def ema_update(ema: nn.Module, model: nn.Module, decay: float) -> None:
    for e, p in zip(ema.parameters(), model.parameters()):
        e.lerp_(p, 1 - decay)
    for e, b in zip(ema.buffers(), model.buffers()):
        e.copy_(b)
