import pytest
import torch

from training.prior import schedule as S


def test_alphas_cumprod_monotone_in_unit_interval():
    for name in S.BETA_SCHEDULES:
        sch = S.NoiseSchedule(S.ScheduleConfig(beta_schedule=name))
        ab = sch.alphas_cumprod
        assert ab.shape == (1000,) and (ab[1:] < ab[:-1]).all()
        assert 0 < ab[-1] < 1e-3 and 0.999 < ab[0] < 1
        assert (sch.betas <= S.MAX_BETA).all()


def test_unknown_schedule_raises():
    with pytest.raises(ValueError, match="beta_schedule"):
        S.NoiseSchedule(S.ScheduleConfig(beta_schedule="sigmoid"))


def test_fractional_timesteps_interpolate():
    sch = S.NoiseSchedule()
    ab = sch.alpha_bar(torch.tensor([10.0, 10.5, 11.0])).flatten()
    assert torch.allclose(ab[1], (ab[0] + ab[2]) / 2)


def test_ddim_timesteps_leading():
    ts = S.ddim_timesteps(1000, 50)
    assert len(ts) == 50 and ts[0] == 980 and ts[-1] == 0 and (ts[1:] < ts[:-1]).all()


def test_min_snr_weight():
    ab = S.NoiseSchedule().alpha_bar(torch.tensor([1.0, 500.0, 999.0])).flatten()
    w = S.min_snr_weight(ab, 5.0)
    assert w[0] < 0.01 and torch.allclose(w[1:], torch.ones(2))


def test_ddim_with_oracle_denoiser_recovers_x0():
    sch = S.NoiseSchedule()
    g = torch.Generator().manual_seed(0)
    x0 = torch.rand(2, 3, 8, 8, generator=g) * 1.6 - 0.8
    oracle = lambda x, t: (x - sch.alpha_bar(t).sqrt() * x0) / (1 - sch.alpha_bar(t)).sqrt()
    out = S.ddim_sample(oracle, sch, torch.randn(2, 3, 8, 8, generator=g), steps=50)
    assert (out - x0).abs().max() < 1e-4


def test_q_sample_and_predict_x0_are_inverse():
    ab = torch.tensor(0.3).view(1, 1, 1, 1)
    x0, eps = torch.randn(1, 3, 4, 4), torch.randn(1, 3, 4, 4)
    assert torch.allclose(S.predict_x0(S.q_sample(x0, eps, ab), eps, ab), x0, atol=1e-5)


def test_cfg_formula():
    u, c = torch.zeros(3), torch.ones(3)
    assert torch.equal(S.classifier_free_guidance(u, c, 7.5), torch.full((3,), 7.5))


def test_v_parameterisation_round_trip():
    ab = S.NoiseSchedule().alpha_bar(torch.tensor([3.0, 500.0, 990.0]))
    x0, eps = torch.randn(3, 3, 4, 4), torch.randn(3, 3, 4, 4)
    x_t = S.q_sample(x0, eps, ab)
    assert torch.allclose(S.eps_from_v(x_t, S.v_target(x0, eps, ab), ab), eps, atol=1e-5)


def test_min_snr_weight_for_v_is_the_same_x0_weight():
    ab = S.NoiseSchedule().alpha_bar(torch.tensor([5.0, 300.0, 900.0]))
    snr = S.snr(ab)
    # eps-mse = SNR * x0-mse and v-mse = (SNR + 1) * x0-mse, so both weights give min(SNR, 5) * x0-mse.
    assert torch.allclose(S.min_snr_weight(ab, 5.0, "epsilon") * snr,
                          S.min_snr_weight(ab, 5.0, "v_prediction") * (snr + 1))


def test_min_snr_plus_one_keeps_a_unit_x0_weight_at_high_noise():
    sched = S.NoiseSchedule()
    ab = sched.alpha_bar(torch.tensor([0.0, 500.0, 990.0]))
    snr = S.snr(ab)
    x0_weight = S.min_snr_weight(ab, 5.0, "v_prediction", "min_snr_plus_one") * (snr + 1)
    assert torch.allclose(x0_weight, snr.clamp(max=5.0) + 1)
    assert x0_weight[2] > 0.99 and S.min_snr_weight(ab, 5.0, "v_prediction")[2] * (snr[2] + 1) < 0.01
    with pytest.raises(ValueError, match="needs v_prediction"):
        S.min_snr_weight(ab, 5.0, "epsilon", "min_snr_plus_one")
    with pytest.raises(ValueError, match="unknown loss weighting"):
        S.min_snr_weight(ab, 5.0, "v_prediction", "edm")
