"""The evaluator's view of a shipped pack: decoder.bin read back, and the ONNX generator run by onnxruntime-node."""
import json
import shutil
from pathlib import Path

import pytest
import torch

from training.distill.export import write_decoder
from training.distill.from_pack import load_pack_generator
from training.distill.pack_generator import PackGenerator, load_decoder
from training.distill.renderer import RenderConfig
from training.distill.triplane import TriplaneDecoder

ROOT = Path(__file__).resolve().parents[2]
PACK = ROOT / "models" / "default"


def test_decoder_bin_round_trip(tmp_path):
    torch.manual_seed(0)
    decoder = TriplaneDecoder()
    for p in decoder.parameters():
        torch.nn.init.normal_(p, std=0.3)
    write_decoder(decoder, RenderConfig(), tmp_path)
    loaded = load_decoder(tmp_path)
    planes, points = torch.randn(2, 3, 16, 8, 8), torch.rand(2, 100, 3) * 2 - 1
    with torch.no_grad():
        for a, b in zip(decoder(planes, points), loaded(planes, points)):
            assert torch.equal(a, b)


@pytest.mark.skipif(shutil.which("node") is None or not (ROOT / "node_modules" / "onnxruntime-node").exists(),
                    reason="needs node and npm ci (onnxruntime-node)")
def test_pack_generator_matches_the_golden_triplane():
    golden = json.loads((PACK / "golden" / "generator.json").read_text())
    planes = PackGenerator(PACK)([golden["prompt"]])
    assert list(planes.shape) == golden["triplane_shape"]
    values = planes.flatten()[torch.tensor(golden["indices"])]
    assert torch.allclose(values, torch.tensor(golden["values"]), atol=1e-3)


def test_pack_generator_loads_back_as_pytorch_modules():
    """from_pack inverts the export: the shipped generator.onnx and decoder.bin as trainable modules."""
    golden = json.loads((PACK / "golden" / "generator.json").read_text())
    generator, decoder = load_pack_generator(PACK)
    with torch.no_grad():
        states = golden["text_states"]
        planes = generator(torch.tensor(states["data"]).reshape(states["shape"]))
    assert list(planes.shape) == golden["triplane_shape"]
    values = planes.flatten()[torch.tensor(golden["indices"])]
    assert torch.allclose(values, torch.tensor(golden["values"]), atol=1e-4)
    assert torch.equal(decoder.fc1.weight, load_decoder(PACK).fc1.weight)
    assert all(p.requires_grad for p in generator.parameters())


def test_a_pack_of_another_architecture_is_refused(tmp_path):
    shutil.copytree(PACK, tmp_path / "pack")
    shutil.copy(PACK / "text_encoder.onnx", tmp_path / "pack" / "generator.onnx")
    with pytest.raises(ValueError, match="not a generator of this architecture"):
        load_pack_generator(tmp_path / "pack")


def test_the_manifest_records_how_a_distilled_generator_was_trained():
    from training.distill.export import training_summary
    from training.distill.train import parse_args
    args = parse_args(["--run", "r", "--prompts", "training/data/prompts/train_17k.txt", "--init-from", "models/default",
                       "--anchor-occupancy", "1e5", "--steps", "300", "--lr", "2e-5"])
    state = {"config": {k: str(v) for k, v in vars(args).items()}, "init": "0.1.0+supervised-100k+step6603"}
    assert training_summary(state) == {
        "guidance": "asd", "prompts": "train_17k.txt", "steps": 300, "lr": 2e-5, "prompts_per_step": 4, "views": 2,
        "init": "0.1.0+supervised-100k+step6603", "anchor": {"kind": "occupancy", "weight": 1e5, "margin": 0.01}}
    del state["init"]
    state["config"]["anchor_occupancy"] = "0.0"
    assert "anchor" not in training_summary(state) and "init" not in training_summary(state)


def test_evaluation_renders_with_the_renderer_a_generator_was_trained_with(tmp_path):
    import json
    from training.distill.evaluate import pack_render_config
    from training.distill.renderer import RenderConfig
    from training.distill.train import parse_args
    args = parse_args(["--run", "r", "--prompts", "p.txt", "--samples", "96", "--beta", "0.01"])
    assert RenderConfig.of_run({k: str(v) for k, v in vars(args).items()}) == RenderConfig(samples=96, beta=0.01)
    assert RenderConfig.of_run({}) == RenderConfig()  # runs saved before --beta
    (tmp_path / "decoder.json").write_text(json.dumps({"renderer": {"samples": 64, "beta": 0.02}}))
    assert pack_render_config(tmp_path) == RenderConfig(samples=64, beta=0.02)
