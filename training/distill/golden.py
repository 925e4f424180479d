"""Golden vectors for the TypeScript kernels: python3 -m training.distill.golden [--out models/golden]

triplane.json holds, as flat row-major float arrays with their shapes:
  planes [3, C, R, R], decoder weights (decoder.bin order), points [N, 3] -> sdf [N], albedo [N, 3];
  a camera (azimuth, elevation, distance, fov), resolution, background, samples, beta -> pixels [3, H, W],
  opacity, depth; and for loss = sum(pixels * upstream) the gradients w.r.t. planes and every decoder tensor.
The sample offsets are 0.5 (no jitter), so the CPU and WGSL renderers must reproduce these exactly.
"""
import argparse
import json
from pathlib import Path

import torch

from ..world.camera import fixed_cameras
from .renderer import RenderConfig, render_triplanes
from .triplane import TriplaneDecoder

DEFAULT_OUT = Path(__file__).resolve().parents[2] / "models" / "golden"
DECODER_TENSORS = ("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "out.weight", "out.bias")


def _flat(t: torch.Tensor) -> dict:
    return {"shape": list(t.shape), "data": [round(float(v), 7) for v in t.detach().reshape(-1)]}


def golden(seed: int = 0, plane_res: int = 8, image_res: int = 8) -> dict:
    """Computed in float64, so the reference is exact to far below the kernels' float32 tolerance."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        return _golden(seed, plane_res, image_res)
    finally:
        torch.set_default_dtype(previous)


def _golden(seed: int, plane_res: int, image_res: int) -> dict:
    torch.manual_seed(seed)
    decoder = TriplaneDecoder(TriplaneDecoder.Config(channels=16, hidden=32))
    with torch.no_grad():  # a trained-looking decoder: non-zero output layer
        for name in DECODER_TENSORS:
            dict(decoder.named_parameters())[name].normal_(0, 0.3)
    planes = (torch.randn(1, 3, 16, plane_res, plane_res, dtype=torch.get_default_dtype()) * 0.5).requires_grad_()
    points = torch.rand(1, 64, 3, dtype=torch.get_default_dtype()) * 2.2 - 1.1  # some outside the cube: border clamping
    sdf, albedo = decoder(planes, points)
    cfg = RenderConfig(samples=16, beta=0.05)
    cams = fixed_cameras([35.0], elevation=20.0, distance=2.9, fov=45.0)
    background = torch.tensor([[0.2, 0.4, 0.6]], dtype=torch.get_default_dtype())
    out = render_triplanes(decoder, planes, cams, image_res, background, cfg)
    upstream = torch.randn(out.images.shape, dtype=torch.get_default_dtype())
    (out.images * upstream).sum().backward()
    params = dict(decoder.named_parameters())
    return {
        "description": __doc__,
        "planes": _flat(planes[0]),
        "decoder": {name: _flat(params[name]) for name in DECODER_TENSORS},
        "points": _flat(points[0]), "sdf": _flat(sdf[0]), "albedo": _flat(albedo[0]),
        "camera": {"azimuth": 35.0, "elevation": 20.0, "distance": 2.9, "fov": 45.0},
        "resolution": image_res, "background": [0.2, 0.4, 0.6], "samples": cfg.samples, "beta": cfg.beta,
        "pixels": _flat(out.images[0]), "opacity": _flat(out.opacity[0]), "depth": _flat(out.depth[0]),
        "upstream": _flat(upstream[0]),
        "grad_planes": _flat(planes.grad[0]),
        "grad_decoder": {name: _flat(params[name].grad) for name in DECODER_TENSORS},
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "triplane.json"
    path.write_text(json.dumps(golden()))
    print(f"{path} ({path.stat().st_size / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
