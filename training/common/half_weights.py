"""Export a module to ONNX with its weights stored as float16 and computed in float32.

The graph holds each weight as a float16 initializer followed by a Cast to float32: the file is half the size,
and every runtime (onnxruntime's CPU kernels have few float16 ops) still computes in float32, folding the casts
once when the session loads. The only change to the maths is the weights' rounding to float16, which the
PyTorch side reproduces exactly by running this same wrapper, so golden vectors computed through it stay tight.
"""
import copy
from typing import List, Tuple

import torch
from torch import nn


class HalfStoredWeights(nn.Module):
    """A copy of `module` whose parameters live as float16 buffers and are cast to float32 inside forward()."""

    def __init__(self, module: nn.Module):
        super().__init__()
        self.inner = copy.deepcopy(module).eval()
        self.names: List[str] = [name for name, _ in self.inner.named_parameters()]
        for i, name in enumerate(self.names):
            owner, leaf = self._owner(name)
            self.register_buffer(f"half_{i}", owner._parameters.pop(leaf).detach().half())

    def _owner(self, name: str) -> Tuple[nn.Module, str]:
        *path, leaf = name.split(".")
        owner = self.inner
        for part in path:
            owner = getattr(owner, part)
        return owner, leaf

    def forward(self, *args):
        # Casting inside forward() puts the Cast nodes in the traced graph instead of float32 constants.
        for i, name in enumerate(self.names):
            owner, leaf = self._owner(name)
            setattr(owner, leaf, getattr(self, f"half_{i}").float())
        return self.inner(*args)


def export_onnx(module: nn.Module, args: tuple, path: str, weights_dtype: str, **kwargs) -> nn.Module:
    """torch.onnx.export with float32 or float16 weight storage; returns the module that was traced, whose
    outputs the exported graph reproduces (golden vectors must come from it)."""
    if weights_dtype not in ("float32", "float16"):
        raise ValueError(f"weights_dtype must be float32 or float16, got {weights_dtype!r}")
    traced = HalfStoredWeights(module) if weights_dtype == "float16" else module
    # Constant folding would fold every Cast back into a float32 initializer.
    torch.onnx.export(traced, args, path, do_constant_folding=weights_dtype == "float32", **kwargs)
    return traced
