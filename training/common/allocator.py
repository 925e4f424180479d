"""Keep freed memory in the process instead of handing it back to the kernel after every step.

glibc's malloc returns large freed blocks to the kernel (munmap, and trimming the heap top past 128 KiB) and the next
allocation faults the pages back in, zeroed. A CPU training step allocates and frees hundreds of MB of temporaries
(the renderer's per-sample tensors above all), so without this a step spent as long in the kernel as in PyTorch.
`npm run bench:cpu-runtime` compares an ASD step with and without (docs/RESULTS.md). The cost is that a process
keeps its peak heap.
"""
import ctypes
import ctypes.util

M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3  # glibc's malloc.h
SETTINGS = {M_MMAP_THRESHOLD: 1 << 30, M_TRIM_THRESHOLD: (1 << 31) - 1, M_TOP_PAD: 1 << 28}


def keep_freed_memory() -> bool:
    """True when glibc took the settings; False on a C library without mallopt (macOS, musl), which is harmless."""
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c")).mallopt
    except (OSError, AttributeError, TypeError):
        return False
    return all(mallopt(option, value) == 1 for option, value in SETTINGS.items())
