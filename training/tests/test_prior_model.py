from dataclasses import asdict

import pytest
import torch

from training.common.registry import find
from training.prior import schedule as S
from training.prior.model import DiffusionPrior, PriorConfig, config_from_dict
from training.tests.prior_fixtures import tiny_config, wake_zero_inits


def test_shapes_and_dynamic_batch():
    torch.manual_seed(0)
    model = DiffusionPrior(tiny_config()).eval()
    L, D = model.tokenizer.cfg.max_length, model.text_encoder.cfg.width
    for b in (1, 3):
        text = model.encode(["a red rock, front view"] * b)
        assert text.shape == (b, L, D)
        eps = model.eps(torch.randn(b, 3, 64, 64), torch.rand(b) * 999, text, torch.randn(b, 4))
        assert eps.shape == (b, 3, 64, 64)


def test_default_unet_is_camera_conditioned():
    torch.manual_seed(0)
    model = DiffusionPrior(tiny_config()).eval()
    wake_zero_inits(model)
    x, t, text = torch.randn(1, 3, 64, 64), torch.tensor([500.0]), model.encode(["a red rock"])
    a = model.eps(x, t, text, torch.tensor([[0.0, 1.0, 0.2, 0.0]]))
    b = model.eps(x, t, text, torch.tensor([[1.0, 0.0, 0.2, 0.0]]))
    assert (a - b).abs().max() > 1e-6


def test_eps_cfg_matches_separate_passes():
    torch.manual_seed(0)
    model = DiffusionPrior(tiny_config()).eval()
    wake_zero_inits(model)
    x, t, cam = torch.randn(2, 3, 64, 64), torch.tensor([10.0, 700.0]), torch.randn(2, 4)
    text, uncond = model.encode(["a red rock", "a blue bench"]), model.encode([""])
    guided = model.eps_cfg(x, t, text, uncond, cam, 7.5)
    e_c, e_u = model.eps(x, t, text, cam), model.eps(x, t, uncond.expand_as(text), cam)
    assert torch.allclose(guided, e_u + 7.5 * (e_c - e_u), atol=1e-5)


@pytest.mark.parametrize("prediction_type", ["epsilon", "v_prediction"])
def test_tiny_overfit_reduces_loss(prediction_type):
    torch.manual_seed(0)
    model = DiffusionPrior(tiny_config(prediction_type))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    x0 = torch.zeros(4, 3, 64, 64)
    x0[:, 0, 16:48, 16:48] = 1.0
    t, noise, cam = torch.tensor([200.0, 400.0, 600.0, 800.0]), torch.randn(4, 3, 64, 64), torch.randn(4, 4)
    prompts = ["a red rock"] * 4
    losses = []
    for _ in range(30):
        loss = model.losses(x0, t, noise, model.encode(prompts), cam).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_config_round_trip_and_unknown_options():
    cfg = tiny_config()
    assert config_from_dict(PriorConfig, asdict(cfg)) == cfg
    with pytest.raises(ValueError, match="unknown"):
        config_from_dict(PriorConfig, {"unet_width": 3})
    with pytest.raises(ValueError, match="unknown type"):
        find("dit")


def test_v_unet_returns_epsilon():
    torch.manual_seed(0)
    model = DiffusionPrior(tiny_config("v_prediction")).eval()
    wake_zero_inits(model)
    x, t, cam, text = torch.randn(2, 3, 64, 64), torch.tensor([20.0, 955.5]), torch.randn(2, 4), model.encode(["", ""])
    v = model.unet.predict(x, t, text, cam)
    assert torch.allclose(model.eps(x, t, text, cam), S.eps_from_v(x, v, model.schedule.alpha_bar(t)), atol=1e-5)


def test_new_runs_predict_v_and_old_configs_stay_epsilon():
    assert PriorConfig().unet.prediction_type == "v_prediction"
    old = asdict(PriorConfig())
    del old["unet"]["prediction_type"]
    assert config_from_dict(PriorConfig, old).unet.prediction_type == "epsilon"
    with pytest.raises(ValueError, match="prediction_type"):
        DiffusionPrior(tiny_config("x0"))
