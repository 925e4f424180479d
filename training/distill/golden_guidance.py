"""Golden vectors of the guidance step for the TypeScript kernels:
python3 -m training.distill.golden_guidance [--out models/golden]

guidance.json ties src/kernels/guidance-*.ts to guidance.py. Each case runs the real ASD / SDS / CSD classes of
guidance.py on renders rgb [B, 3, r, r] (upsampled bilinearly to the prior's R when r < R, as the trainer's
--render-resolution does) with fixed noise, timesteps and ASD shift draws, and a stand-in prior: a fixed smooth
function of (x_t, t, text, camera), so that a wrong pairing of rows, timesteps or prompts changes the predictions. It records, in the kernels' row layout
(cond at t, uncond at t, ASD's cond at t + dt): the samples the prior was given, their timesteps and its
predictions; and the surrogate loss and its gradient w.r.t. rgb by autograd (the factor 2 / B included).
A table of annealed [T_min, T_max] and of ASD's shifted timesteps covers the host-side integer arithmetic.
"""
import argparse
import json
from pathlib import Path

import torch
import torch.nn.functional as F

from ..prior.schedule import NoiseSchedule
from .guidance import DEFAULTS, GuidanceConfig, annealed_range, make_guidance, sds_surrogate

DEFAULT_OUT = Path(__file__).resolve().parents[2] / "models" / "golden"
TEXT_LEN, TEXT_DIM = 4, 6


def _f32(v) -> float:
    """A float32 value in 9 significant digits: enough to read back the same float32."""
    return float(f"{float(v):.9g}")


def _flat(t: torch.Tensor) -> dict:
    return {"shape": list(t.shape), "data": [_f32(v) for v in t.detach().reshape(-1).float()]}


class RecordingPrior:
    """eps(x_t, t, text, camera) = tanh(0.8 x_t + 0.3 sin(t / 97 + text_b + camera_b)) per image, recording calls."""

    def __init__(self):
        self.calls = []

    def __call__(self, x_t, t, text, camera):
        shift = torch.sin(t / 97.0 + text.mean((1, 2)) * 3.0 + camera @ torch.tensor([0.5, -0.7, 1.1, 0.3]))
        eps = torch.tanh(0.8 * x_t + 0.3 * shift.view(-1, 1, 1, 1))
        self.calls.append((x_t.clone(), t.clone(), eps.clone()))
        return eps


def _case(method: str, batch: int, render_res: int, prior_res: int, progress: float, seed: int,
          guidance_scale: float = None) -> dict:
    g = torch.Generator().manual_seed(seed)
    schedule = NoiseSchedule()
    cfg = GuidanceConfig(**vars(DEFAULTS[method]))
    if guidance_scale is not None:
        cfg.guidance_scale = guidance_scale
    prior = RecordingPrior()
    guidance = make_guidance(method, cfg, prior, schedule)
    rgb = torch.rand(batch, 3, render_res, render_res, generator=g).requires_grad_()
    cond = torch.randn(batch, TEXT_LEN, TEXT_DIM, generator=g)
    uncond = torch.randn(1, TEXT_LEN, TEXT_DIM, generator=g).expand(batch, -1, -1)
    camera = torch.randn(batch, 4, generator=g)
    image = F.interpolate(rgb, size=prior_res, mode="bilinear", align_corners=False) if render_res != prior_res else rgb
    x = image * 2 - 1
    t_lo, t_hi = guidance._t_range(progress)
    t = torch.randint(t_lo, t_hi + 1, (batch,), generator=g)
    eps = torch.randn(x.shape, generator=g)
    state = g.get_state()  # ASD's shift draw u comes next from the same generator
    u = torch.rand(batch, generator=torch.Generator().manual_seed(0).set_state(state))
    with torch.no_grad():
        grad = guidance.gradient(x.detach(), t, eps, cond, uncond, camera, t_lo, g)
    loss = sds_surrogate(x, grad)
    loss.backward()

    # The kernels' rows: the first call is the CFG pair (cond rows, then uncond rows); ASD's second call is cond
    # at t + dt.
    samples = torch.cat([c[0] for c in prior.calls])
    timesteps = torch.cat([c[1] for c in prior.calls])
    predictions = torch.cat([c[2] for c in prior.calls])
    out = {
        "method": method, "batch": batch, "render_resolution": render_res, "prior_resolution": prior_res,
        "guidance_scale": cfg.guidance_scale, "eta": cfg.eta, "progress": progress, "t_min": t_lo, "t_max": t_hi,
        "timesteps": [int(v) for v in t], "shift_u": [_f32(v) for v in u],
        "rgb": _flat(rgb), "noise": _flat(eps),
        "samples": _flat(samples), "unet_timesteps": [float(v) for v in timesteps],
        "predictions": _flat(predictions),
        "loss": _f32(loss), "grad_rgb": _flat(rgb.grad),
    }
    if method == "asd":
        out["shifted_timesteps"] = [int(v) for v in prior.calls[1][1]]
    return out


def _shift_table(seed: int = 7, count: int = 128) -> dict:
    """ASD's t + dt for many (t, u) at several T_min, through ASD.gradient itself (1x1 images)."""
    g = torch.Generator().manual_seed(seed)
    schedule = NoiseSchedule()
    rows = []
    for t_lo, t_hi, eta in ((20, 500, 0.1), (500, 980, 0.1), (260, 740, 1.0), (2, 999, 0.37)):
        prior = RecordingPrior()
        asd = make_guidance("asd", GuidanceConfig(eta=eta), prior, schedule)
        t = torch.randint(t_lo, t_hi + 1, (count,), generator=g)
        state = g.get_state()
        u = torch.rand(count, generator=torch.Generator().manual_seed(0).set_state(state))
        x = torch.zeros(count, 3, 1, 1)
        text = torch.zeros(count, TEXT_LEN, TEXT_DIM)
        asd.gradient(x, t, torch.zeros_like(x), text, text, torch.zeros(count, 4), t_lo, g)
        rows.append({"t_min": t_lo, "eta": eta, "t": [int(v) for v in t], "u": [_f32(v) for v in u],
                     "shifted": [int(v) for v in prior.calls[1][1]]})
    return {"num_train_timesteps": schedule.T, "cases": rows}


def golden() -> dict:
    schedule = NoiseSchedule()
    progresses = [0.0, 0.1, 0.25, 1 / 3, 0.5, 0.77, 0.999, 1.0]
    T = schedule.T
    return {
        "description": __doc__,
        "alphas_cumprod": [float(v) for v in schedule.alphas_cumprod],
        "annealed": [{"progress": p, "t_min": int(annealed_range(p)[0] * T), "t_max": int(annealed_range(p)[1] * T)}
                     for p in progresses],
        "shift": _shift_table(),
        "cases": [
            _case("asd", batch=2, render_res=6, prior_res=6, progress=0.3, seed=1),
            _case("asd", batch=2, render_res=3, prior_res=6, progress=0.0, seed=2),
            _case("sds", batch=2, render_res=6, prior_res=6, progress=0.6, seed=3),
            _case("sds", batch=1, render_res=3, prior_res=6, progress=1.0, seed=4, guidance_scale=20.0),
            _case("csd", batch=2, render_res=6, prior_res=6, progress=0.5, seed=5),
            _case("csd", batch=3, render_res=2, prior_res=6, progress=0.9, seed=6),
        ],
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "guidance.json"
    path.write_text(json.dumps(golden()))
    print(f"{path} ({path.stat().st_size / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
