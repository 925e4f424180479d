import pytest
import torch

from training.distill.guidance import ASD, CSD, DEFAULTS, GuidanceConfig, annealed_range, make_guidance, sds_surrogate
from training.tests.distill_fixtures import tiny_prior


def _inputs(prior, n=2):
    g = torch.Generator().manual_seed(0)
    x = torch.rand(n, 3, 64, 64, generator=g) * 2 - 1
    cond = prior.encode(["a red barrel, front view"] * n)
    uncond = prior.encode([""] * n)
    camera = torch.zeros(n, 4)
    return x, cond, uncond, camera


def test_surrogate_loss_gradient_is_the_guidance_gradient_over_batch():
    x = torch.randn(3, 3, 8, 8, requires_grad=True)
    grad = torch.randn(3, 3, 8, 8)
    sds_surrogate(x, grad).backward()
    assert torch.allclose(x.grad, grad / 3, atol=1e-6)


def test_asd_without_shift_is_the_classifier_score_scaled_by_cfg_minus_one():
    # eta = 0 -> dt = 0: w(t) (eps_u + s (eps_c - eps_u) - eps_c) = w(t) (s - 1) (eps_c - eps_u)
    prior = tiny_prior()
    x, cond, uncond, camera = _inputs(prior)
    t, eps = torch.tensor([400, 700]), torch.randn(x.shape)
    asd = ASD(GuidanceConfig(guidance_scale=7.5, eta=0.0), prior.eps, prior.schedule)
    csd = CSD(GuidanceConfig(), prior.eps, prior.schedule)
    with torch.no_grad():
        g_asd = asd.gradient(x, t, eps, cond, uncond, camera, 20, None)
        g_csd = csd.gradient(x, t, eps, cond, uncond, camera, 20, None)
    w = 1 - prior.schedule.alpha_bar(t)
    assert g_asd.abs().max() > 0
    assert torch.allclose(g_asd, w * 6.5 * g_csd, atol=1e-5)


def test_asd_shift_uses_the_same_noise_and_stays_in_range():
    prior = tiny_prior()
    x, cond, uncond, camera = _inputs(prior, 4)
    seen = []
    asd = ASD(GuidanceConfig(eta=0.5), lambda x_t, t, s, c: (seen.append(t.clone()), torch.zeros_like(x_t))[1],
              prior.schedule)
    asd.gradient(x, torch.tensor([999, 500, 21, 300]), torch.randn(x.shape), cond, uncond, camera, 20,
                 torch.Generator().manual_seed(1))
    t_cfg, t_shift = seen
    assert torch.equal(t_cfg[:4], torch.tensor([999.0, 500, 21, 300]))
    assert (t_shift >= t_cfg[:4]).all() and (t_shift <= 999).all() and (t_shift >= 1).all()
    assert t_shift[2] == 21  # t - T_min = 1: floor(U * 0.5 * 1) = 0


def test_timestep_range_anneals_like_the_reference_code():
    assert annealed_range(0.0) == (0.5, 0.98)
    lo, hi = annealed_range(1.0)
    assert abs(lo - 0.02) < 1e-9 and abs(hi - 0.5) < 1e-9


@pytest.mark.parametrize("name", sorted(DEFAULTS))
def test_every_guidance_produces_a_finite_loss_with_gradient(name):
    prior = tiny_prior()
    x, cond, uncond, camera = _inputs(prior)
    rgb = ((x + 1) / 2).requires_grad_()
    guidance = make_guidance(name, DEFAULTS[name], prior.eps, prior.schedule, prior.unet)
    out = guidance(rgb, cond, uncond, camera, 0.3, torch.Generator().manual_seed(0))
    out["loss"].backward()
    assert torch.isfinite(out["loss"]) and rgb.grad.abs().sum() > 0


def test_unknown_guidance_fails_fast():
    prior = tiny_prior()
    with pytest.raises(ValueError, match="unknown type 'sjc'"):
        make_guidance("sjc", DEFAULTS["asd"], prior.eps, prior.schedule)
