import json
import math

import pytest
import torch

from training.prior.train import Trainer
from training.tests.prior_fixtures import tiny_train_config, write_fake_pool


def test_resume_gives_identical_next_step(tmp_path):
    pool = write_fake_pool(tmp_path / "pool")
    a = Trainer(tiny_train_config(), pool, tmp_path / "run")
    for _ in range(2):
        a.train_step()
    a.save()
    expected = a.train_step()
    b = Trainer(tiny_train_config(seed=123), pool, tmp_path / "run")
    b.load(torch.load(b.checkpoint_path))
    assert b.step == 2 and b.train_step() == expected
    assert (tmp_path / "run" / "bundle.pt").exists()


def test_nan_step_is_skipped_and_last_checkpoint_reloaded(tmp_path):
    pool = write_fake_pool(tmp_path / "pool")
    trainer = Trainer(tiny_train_config(), pool, tmp_path / "run")
    trainer.train_step()
    trainer.save()
    good = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    trainer.train_step()
    real = trainer.model.losses
    trainer.model.losses = lambda *a: real(*a) * math.nan
    assert math.isnan(trainer.train_step()) and trainer.step == 2
    trainer.model.losses = real
    trainer.recover_from_nan()
    assert trainer.step == 1 and trainer.nan_events == 1
    assert all(torch.equal(v, trainer.model.state_dict()[k]) for k, v in good.items())
    assert math.isfinite(trainer.train_step())


def test_run_logs_losses(tmp_path):
    pool = write_fake_pool(tmp_path / "pool")
    trainer = Trainer(tiny_train_config(steps=4, log_every=2), pool, tmp_path / "run")
    trainer.run(log=lambda msg: None)
    records = [json.loads(line) for line in (tmp_path / "run" / "loss.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == [2, 4] and all(math.isfinite(r["loss"]) for r in records)
    assert (tmp_path / "run" / "last.pt").exists()


def test_samples_contact_sheet(tmp_path):
    pool = write_fake_pool(tmp_path / "pool")
    trainer = Trainer(tiny_train_config(sample_prompts=1, sample_steps=2), pool, tmp_path / "run",
                      tmp_path / "samples.png")
    trainer.write_samples()
    assert (tmp_path / "samples.png").stat().st_size > 0


def test_frozen_text_encoder_from_a_bundle_and_a_lower_resolution(tmp_path):
    pool = write_fake_pool(tmp_path / "pool", resolution=64)
    source = Trainer(tiny_train_config(), pool, tmp_path / "source")
    source.train_step()
    source.save()
    cfg = tiny_train_config(text_encoder_from=str(tmp_path / "source" / "bundle.pt"))
    cfg.prior.unet.resolution = 32
    trainer = Trainer(cfg, pool, tmp_path / "run")
    text_before = {k: v.clone() for k, v in trainer.model.text_encoder.state_dict().items()}
    assert all(torch.equal(v, source.ema.text_encoder.state_dict()[k]) for k, v in text_before.items())
    unet_before = {k: v.clone() for k, v in trainer.model.unet.state_dict().items()}
    for _ in range(2):
        assert math.isfinite(trainer.train_step())
    assert all(torch.equal(v, trainer.model.text_encoder.state_dict()[k]) for k, v in text_before.items())
    assert any(not torch.equal(v, trainer.model.unet.state_dict()[k]) for k, v in unet_before.items())
    images, _, _ = trainer.data.batch(2, 0.0, torch.Generator().manual_seed(0))
    assert images.shape == (2, 3, 32, 32)


def test_text_encoder_from_a_mismatched_bundle_is_refused(tmp_path):
    pool = write_fake_pool(tmp_path / "pool")
    source = Trainer(tiny_train_config(), pool, tmp_path / "source")
    source.save()
    cfg = tiny_train_config(text_encoder_from=str(tmp_path / "source" / "bundle.pt"))
    cfg.prior.text_encoder.width = 2 * cfg.prior.text_encoder.width
    with pytest.raises(ValueError, match="text encoder config differs"):
        Trainer(cfg, pool, tmp_path / "run")


def test_a_fresh_run_can_start_from_a_bundles_unet(tmp_path):
    from training.prior.model import config_from_dict
    from training.prior.train import TrainConfig, learning_rate, main
    pool = write_fake_pool(tmp_path / "pool")
    source = Trainer(TrainConfig(), pool, tmp_path / "source")
    with torch.no_grad():
        for p in source.ema.unet.parameters():
            p.normal_(std=0.01)
    source.save()
    main(["--pool", str(pool), "--out", str(tmp_path / "run"), "--steps", "0", "--samples", str(tmp_path / "s.png"),
          "--init-from", str(tmp_path / "source" / "bundle.pt"), "--init-step", "4271"])
    state = torch.load(tmp_path / "run" / "last.pt")
    assert state["step"] == 4271
    assert learning_rate(4271, config_from_dict(TrainConfig, state["config"])) == pytest.approx(4e-4 / 500)
    expected = source.ema.unet.state_dict()
    for prefix in ("model", "ema"):
        assert all(torch.equal(state[prefix][f"unet.{k}"], v) for k, v in expected.items())


def test_cooldown_takes_the_rate_linearly_to_zero_at_the_last_step():
    from training.prior.train import TrainConfig, learning_rate
    cfg = TrainConfig(lr=4e-4, warmup_steps=500, init_step=16079, steps=20000, cooldown_steps=2000)
    assert learning_rate(16079, cfg) == pytest.approx(4e-4 / 500)
    assert learning_rate(17999, cfg) == pytest.approx(4e-4)
    assert learning_rate(19000, cfg) == pytest.approx(2e-4)
    assert learning_rate(20000, cfg) == 0.0
    assert learning_rate(19000, TrainConfig(lr=4e-4, warmup_steps=500, steps=20000)) == pytest.approx(4e-4)


def test_cooldown_is_a_run_setting_that_a_resume_may_change(tmp_path):
    from training.prior.train import main
    pool = write_fake_pool(tmp_path / "pool")
    common = ["--pool", str(pool), "--out", str(tmp_path / "run"), "--samples", str(tmp_path / "s.png")]
    main(common + ["--steps", "1"])
    main(common + ["--steps", "2", "--cooldown-steps", "5"])
    state = torch.load(tmp_path / "run" / "last.pt")
    assert state["step"] == 2
    assert (state["config"]["steps"], state["config"]["cooldown_steps"]) == (2, 5)
