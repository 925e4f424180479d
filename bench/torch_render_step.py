"""One VolSDF render step, forward + backward, in PyTorch: the timing half of `npm run bench`'s
render_step_ratio_vs_torch (bench/node-bench.ts runs the CPU kernels on the same inputs in the same run).

The trainer's own renderer (training/distill/renderer.py) on the triplane and decoder that the Node side uses, read
from raw little-endian float32 files: one camera, a square image, the same samples and beta; loss =
sum(pixels * upstream) with upstream = 1, gradients w.r.t. the planes and every decoder tensor. Prints one JSON line:
{"times_ms": [...], "torch": version, "threads": n}.

    /usr/bin/python3 bench/torch_render_step.py --planes P.bin --decoder decoder.bin --channels 16 --hidden 32 \
        --side 64 --samples 48 --beta 0.03 --camera 30 20 2.9 45 --repeats 3 --threads 1
"""
import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from training.distill.renderer import RenderConfig, render_triplanes  # noqa: E402
from training.distill.triplane import TriplaneDecoder  # noqa: E402
from training.world.camera import fixed_cameras  # noqa: E402

DECODER_TENSORS = ("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "out.weight", "out.bias")


def load_decoder(path: Path, channels: int, hidden: int) -> TriplaneDecoder:
    decoder = TriplaneDecoder(TriplaneDecoder.Config(channels=channels, hidden=hidden))
    flat = torch.from_numpy(np.fromfile(path, dtype="<f4").astype(np.float32))
    params = dict(decoder.named_parameters())
    at = 0
    with torch.no_grad():
        for name in DECODER_TENSORS:
            n = params[name].numel()
            params[name].copy_(flat[at:at + n].view_as(params[name]))
            at += n
    if at != flat.numel():
        raise SystemExit(f"{path}: {flat.numel()} floats, the decoder needs {at}")
    return decoder


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--planes", type=Path, required=True)
    ap.add_argument("--decoder", type=Path, required=True)
    ap.add_argument("--channels", type=int, required=True)
    ap.add_argument("--hidden", type=int, required=True)
    ap.add_argument("--side", type=int, required=True)
    ap.add_argument("--samples", type=int, required=True)
    ap.add_argument("--beta", type=float, required=True)
    ap.add_argument("--camera", type=float, nargs=4, metavar=("AZ", "EL", "DIST", "FOV"), required=True)
    ap.add_argument("--background", type=float, nargs=3, default=[1.0, 1.0, 1.0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)

    decoder = load_decoder(args.decoder, args.channels, args.hidden)
    raw = np.fromfile(args.planes, dtype="<f4").astype(np.float32)
    res = int(round((raw.size / (3 * args.channels)) ** 0.5))
    planes = torch.from_numpy(raw).view(1, 3, args.channels, res, res).clone().requires_grad_()
    az, el, dist, fov = args.camera
    cameras = fixed_cameras([az], elevation=el, distance=dist, fov=fov)
    background = torch.tensor([args.background])
    cfg = RenderConfig(samples=args.samples, beta=args.beta)

    times = []
    for i in range(args.repeats + 1):  # the first is a warm-up
        planes.grad = None
        decoder.zero_grad(set_to_none=True)
        start = time.perf_counter()
        out = render_triplanes(decoder, planes, cameras, args.side, background, cfg)
        out.images.sum().backward()
        if i > 0:
            times.append((time.perf_counter() - start) * 1000)
    print(json.dumps({"times_ms": times, "torch": torch.__version__, "threads": args.threads}))


if __name__ == "__main__":
    main()
