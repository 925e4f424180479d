import os

from .common.allocator import keep_freed_memory

# Every entry point (python3 -m training.*, torchrun, the tests) imports this package first.
# SCALEDREAMER_CPU_DEFAULTS=1 keeps glibc's and OpenBLAS's defaults (training.distill.bench_cpu_runtime compares).
if os.environ.get("SCALEDREAMER_CPU_DEFAULTS") != "1":
    keep_freed_memory()
