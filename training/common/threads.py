"""One thread count for every CPU pool a training process runs: PyTorch's and OpenBLAS's.

Debian's PyTorch does its matrix products in OpenBLAS (BLAS_INFO=generic), and torch.set_num_threads leaves
OpenBLAS's own pool at one thread per core. Its idle workers wait in a sched_yield loop, so a "one-thread" prior
training job kept a second thread busy (~45% user, ~50% system time) and slowed whatever ran beside it.
"""
import ctypes
import ctypes.util
import os
from functools import lru_cache
from pathlib import Path

import torch


@lru_cache(maxsize=1)
def _openblas():
    """The OpenBLAS that this process loaded (through libblas.so.3), or None."""
    maps = Path("/proc/self/maps")
    paths = sorted({line.split()[-1] for line in maps.read_text().splitlines() if "openblas" in line}) \
        if maps.exists() else [ctypes.util.find_library("openblas")]
    for path in filter(None, paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        if hasattr(lib, "openblas_set_num_threads"):
            return lib
    return None


def set_threads(n: int) -> None:
    torch.set_num_threads(n)
    openblas = _openblas()
    if openblas is not None and os.environ.get("SCALEDREAMER_CPU_DEFAULTS") != "1":
        openblas.openblas_set_num_threads(n)


def openblas_threads():
    """OpenBLAS's thread count, or None without OpenBLAS (for tests)."""
    openblas = _openblas()
    return openblas.openblas_get_num_threads() if openblas is not None else None
