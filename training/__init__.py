# Every entry point (python3 -m training.*, torchrun, the tests) imports this package first.
from .common.allocator import keep_freed_memory

keep_freed_memory()
