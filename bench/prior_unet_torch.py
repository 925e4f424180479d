"""Times the PyTorch twin of the pack's unet.onnx for bench/prior-unet.mjs: same config, batch and threads.

Usage: python3 bench/prior_unet_torch.py MANIFEST BATCH REPEATS THREADS -> one JSON line {"ms_per_forward": [...]}.
Weights are random: the cost of a forward pass does not depend on their values.
"""
import json
import sys
import time

import torch

from training.prior.model import PriorConfig, config_from_dict
from training.prior.unet import CameraUNet


def main(manifest_path: str, batch: int, repeats: int, threads: int) -> None:
    torch.set_num_threads(threads)
    prior = json.load(open(manifest_path))["prior"]
    cfg = config_from_dict(PriorConfig, prior["config"])
    unet = CameraUNet(cfg.unet).eval()
    R, L, D = cfg.unet.resolution, cfg.tokenizer.max_length, cfg.text_encoder.width
    inputs = (torch.randn(batch, 3, R, R), torch.full((batch,), 500.0), torch.randn(batch, L, D),
              torch.randn(batch, prior["camera"]["dim"]))
    times = []
    with torch.no_grad():
        for i in range(repeats + 2):  # two warm-up passes
            start = time.perf_counter()
            unet(*inputs)
            if i >= 2:
                times.append((time.perf_counter() - start) * 1000)
    print(json.dumps({"ms_per_forward": times}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
