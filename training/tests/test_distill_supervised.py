import json
import shutil
from pathlib import Path

import pytest
import torch

from training.distill.from_pack import load_pack_generator
from training.distill.supervised import NEAR, continue_pack, cosine_lr, loss_fn, main, sample_targets
from training.distill.triplane import TriplaneDecoder
from training.world.grammar import parse
from training.world.scene import compile_specs, sdf


def test_targets_are_ground_truth_and_half_near_the_surface():
    pts, d, albedo = sample_targets(["a red barrel", "a tall pine tree"], 256, torch.Generator().manual_seed(0))
    assert pts.shape == (2, 256, 3) and d.shape == (2, 256) and albedo.shape == (2, 256, 3)
    assert torch.allclose(sdf(compile_specs([parse("a red barrel")]), pts[:1]), d[:1], atol=1e-5)
    assert (d[0, :128].abs() < NEAR).all()              # a barrel has plenty of surface
    assert (d[1, :128].abs() < NEAR).float().mean() > 0.8  # a slim tree less (the rest are uniform points)


def test_sdf_loss_pulls_back_predictions_far_outside_the_band():
    dec = TriplaneDecoder()
    planes = torch.full((1, 3, 16, 8, 8), 0.0, requires_grad=True)
    with torch.no_grad():
        dec.out.bias[0] = 3.0  # everything far outside: a clamped loss would have no gradient here
    pts, d, albedo = sample_targets(["a red barrel"], 128, torch.Generator().manual_seed(1))
    sdf_loss, _ = loss_fn(dec, planes, pts, d, albedo)
    sdf_loss.backward()
    assert dec.out.bias.grad[0] > 0.5


def test_a_run_continues_a_packs_supervised_generator_and_refuses_a_distilled_one(tmp_path):
    pack = Path(__file__).resolve().parents[2] / "models" / "default"
    shutil.copytree(pack, tmp_path / "pack")
    manifest_path = tmp_path / "pack" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["generator"].update(kind="score-distillation", version="0.1.0+asd+step300")
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match="'score-distillation'.*continues a supervised one"):
        continue_pack(tmp_path / "pack")
    manifest["generator"].update(kind="supervised", step=6603)
    manifest_path.write_text(json.dumps(manifest))
    gen, dec, step = continue_pack(tmp_path / "pack")
    expected, _ = load_pack_generator(pack)
    assert step == 6603
    assert all(torch.equal(a, b) for a, b in zip(gen.state_dict().values(), expected.state_dict().values()))


def test_cosine_lr_decays_from_the_runs_start_to_the_final_rate():
    assert cosine_lr(100, 100, 300, 3e-4, 1e-5) == pytest.approx(3e-4)
    assert cosine_lr(200, 100, 300, 3e-4, 1e-5) == pytest.approx((3e-4 + 1e-5) / 2)
    assert cosine_lr(300, 100, 300, 3e-4, 1e-5) == pytest.approx(1e-5)
    assert cosine_lr(400, 100, 300, 3e-4, 1e-5) == pytest.approx(1e-5)  # past the end: stays at the final rate
    assert cosine_lr(150, 100, 300, 3e-4, 1e-5) > cosine_lr(160, 100, 300, 3e-4, 1e-5)


def test_a_resumed_run_keeps_the_decay_it_started_with(tmp_path, monkeypatch):
    monkeypatch.setenv("SCALEDREAMER_CACHE", str(tmp_path / "cache"))
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("a red barrel\na tall pine tree\n")
    bundle = Path(__file__).resolve().parents[1] / "checkpoints" / "prior32_bundle.pt"
    common = ["--run", "decay", "--prompts", str(prompts), "--prior", str(bundle), "--prompts-per-step", "1",
              "--points", "64",
              "--lr", "1e-3", "--final-lr", "1e-5"]
    main(common + ["--steps", "2"])
    state_path = tmp_path / "cache" / "distill" / "decay" / "state.pt"
    assert torch.load(state_path)["schedule_start"] == 0
    main(common + ["--steps", "3"])  # resumed at step 2: the decay still counts from step 0
    state = torch.load(state_path)
    assert state["step"] == 3 and state["schedule_start"] == 0
    assert state["opt"]["param_groups"][0]["lr"] == pytest.approx(cosine_lr(2, 0, 3, 1e-3, 1e-5))
