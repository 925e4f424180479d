"""The CPU settings every training process runs with: freed memory stays mapped (training/__init__.py), and one
thread count for PyTorch and OpenBLAS (training.common.threads)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# RSS in MB after filling a 256 MB tensor, and after freeing it, in a process that imported the training package
PROBE = """
import torch, training
rss = lambda: int(open("/proc/self/statm").read().split()[1]) * 4096 / 1e6
x = torch.ones(64 << 20)
full = rss()
del x
print(full, rss())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt and /proc")
def test_a_freed_block_stays_in_the_process_instead_of_going_back_to_the_kernel():
    def drop(env):
        base = {k: v for k, v in os.environ.items() if k != "SCALEDREAMER_CPU_DEFAULTS"}
        out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env={**base, **env}, capture_output=True,
                             text=True, check=True)
        full, freed = map(float, out.stdout.split())
        return full - freed
    assert drop({}) < 10
    # glibc's defaults hand the 256 MB back: the page faults that a training step paid for
    assert drop({"SCALEDREAMER_CPU_DEFAULTS": "1"}) > 200


def test_set_threads_sizes_openblas_with_pytorch():
    from training.common.threads import openblas_threads, set_threads
    import torch
    try:
        set_threads(2)
        assert torch.get_num_threads() == 2 and openblas_threads() in (2, None)
        set_threads(1)
        assert torch.get_num_threads() == 1 and openblas_threads() in (1, None)
    finally:
        set_threads(1)  # conftest's setting
