"""The distillation trainer: two CPU processes (gloo) keep identical replicas; per-prompt mode and resume."""
import os
import socket

import pytest
import torch
import torch.multiprocessing as mp

from training.common.threads import set_threads
from training.distill import train as distill_train
from training.tests.distill_fixtures import tiny_prior


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank, world, port, bundle, prompts, cache, out):
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(world),
                      SCALEDREAMER_CACHE=str(cache))
    set_threads(1)
    args = distill_train.parse_args(["--run", "ddp-test", "--prompts", str(prompts), "--prior", str(bundle),
                                     "--steps", "2", "--prompts-per-step", "1", "--views", "1", "--lr", "1e-2",
                                     "--checkpoint-minutes", "1000", "--resolution", "16", "--samples", "8"])
    system = distill_train.train(args).system
    torch.save(system.state_dict(), out / f"rank{rank}.pt")


def test_two_process_ddp_keeps_replicas_identical(tmp_path):
    bundle, prompts = tmp_path / "prior.pt", tmp_path / "prompts.txt"
    torch.save(tiny_prior().bundle(), bundle)
    prompts.write_text("a red barrel\na blue crate\na tall pine tree\na rock next to a torch\n")
    mp.spawn(_worker, args=(2, _free_port(), bundle, prompts, tmp_path / "cache", tmp_path), nprocs=2)
    a, b = torch.load(tmp_path / "rank0.pt"), torch.load(tmp_path / "rank1.pt")
    trained = [k for k in a if k.startswith(("geometry", "decoder"))]
    assert trained and all(torch.equal(a[k], b[k]) for k in trained)
    assert a["decoder.out.weight"].abs().sum() > 0  # zero at initialisation: they did train


def test_per_prompt_mode_optimises_one_triplane_and_resumes(tmp_path, monkeypatch):
    monkeypatch.setenv("SCALEDREAMER_CACHE", str(tmp_path / "cache"))
    bundle, prompts = tmp_path / "prior.pt", tmp_path / "prompt.txt"
    torch.save(tiny_prior().bundle(), bundle)
    prompts.write_text("a red barrel\n")
    common = ["--run", "one", "--prompts", str(prompts), "--prior", str(bundle), "--per-prompt", "--views", "1",
              "--resolution", "16", "--samples", "8", "--lr", "1e-2", "--checkpoint-minutes", "0"]
    first = distill_train.train(distill_train.parse_args(common + ["--steps", "2"]))
    planes = first.system.geometry.planes.detach().clone()
    assert planes.abs().sum() > 0 or first.system.decoder.out.weight.abs().sum() > 0
    resumed = distill_train.train(distill_train.parse_args(common + ["--steps", "3"]))
    assert resumed.steps == 3
    prompts.write_text("a red barrel\na blue crate\n")
    with pytest.raises(ValueError, match="one prompt"):
        distill_train.train(distill_train.parse_args(common + ["--steps", "4"]))


def test_a_run_can_start_from_the_shipped_generator(tmp_path, monkeypatch):
    from training.distill.from_pack import load_pack_generator
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    monkeypatch.setenv("SCALEDREAMER_CACHE", str(tmp_path / "cache"))
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("a red barrel\n")
    pack = os.path.join(root, "models", "default")
    args = distill_train.parse_args(["--run", "ft", "--prompts", str(prompts), "--init-from", pack,
                                     "--prior", os.path.join(root, "training", "checkpoints", "prior32_bundle.pt"),
                                     "--steps", "1", "--prompts-per-step", "1", "--views", "1", "--lr", "0",
                                     "--resolution", "16", "--samples", "8", "--checkpoint-minutes", "1000"])
    system = distill_train.train(args).system
    generator, decoder = load_pack_generator(pack)
    assert all(torch.equal(a, b) for a, b in zip(system.geometry.state_dict().values(),
                                                  generator.state_dict().values()))
    assert torch.equal(system.decoder.out.weight, decoder.out.weight)


def test_the_geometry_anchor_is_zero_at_the_start_and_pulls_a_drifted_shape_back():
    from training.distill.anchor import GeometryAnchor
    from training.distill.generator import TriplaneGenerator
    from training.distill.triplane import TriplaneDecoder
    torch.manual_seed(0)
    generator, decoder = TriplaneGenerator(TriplaneGenerator.Config(text_dim=32)), TriplaneDecoder()
    anchor = GeometryAnchor(generator, decoder, points=256)
    text, g = torch.randn(2, 5, 32), torch.Generator().manual_seed(0)
    assert anchor(text, generator(text), decoder, g).item() == 0.0
    with torch.no_grad():
        decoder.out.bias[0] += 0.2  # every SDF value 0.2 higher: the zero level shrinks
    drifted = anchor(text, generator(text), decoder, g)
    assert abs(drifted.item() - 0.04) < 1e-5
    drifted.backward()
    assert decoder.out.bias.grad[0] > 0 and not any(p.grad is not None for p in anchor.decoder.parameters())


def test_the_occupancy_anchor_costs_only_a_change_of_side():
    from training.distill.anchor import GeometryAnchor
    from training.distill.generator import TriplaneGenerator
    from training.distill.triplane import TriplaneDecoder
    torch.manual_seed(0)
    generator, decoder = TriplaneGenerator(TriplaneGenerator.Config(text_dim=32)), TriplaneDecoder()
    anchor = GeometryAnchor(generator, decoder, kind="occupancy", points=512)
    text = torch.randn(2, 5, 32)

    class Scaled(torch.nn.Module):  # the same zero level, every value doubled
        def forward(self, planes, x):
            sdf, *rest = decoder(planes, x)
            return (2 * sdf, *rest)

    assert anchor(text, generator(text), decoder, torch.Generator().manual_seed(0)).item() == 0.0
    assert anchor(text, generator(text), Scaled(), torch.Generator().manual_seed(0)).item() == 0.0
    x = torch.rand(2, 512, 3, generator=torch.Generator().manual_seed(0)) * 2 - 1
    with torch.no_grad():
        start = decoder(generator(text), x)[0]
        decoder.out.bias[0] += 0.2  # the zero level shrinks: points within 0.2 inside go outside
    expected = (torch.relu(start + 0.2) * (start < -0.01)).mean()
    assert expected > 0
    drifted = anchor(text, generator(text), decoder, torch.Generator().manual_seed(0))
    assert abs(drifted.item() - expected.item()) < 1e-6
    drifted.backward()
    assert decoder.out.bias.grad[0] > 0


def test_an_unknown_geometry_anchor_is_named():
    from training.distill.anchor import GeometryAnchor
    from training.distill.generator import TriplaneGenerator
    from training.distill.triplane import TriplaneDecoder
    with pytest.raises(ValueError, match="'volume'"):
        GeometryAnchor(TriplaneGenerator(TriplaneGenerator.Config(text_dim=32)), TriplaneDecoder(), kind="volume")
