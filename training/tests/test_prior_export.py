import json

import numpy as np
import pytest
import torch

from training.common.manifest import sha256
from training.prior.export import export
from training.prior.model import DiffusionPrior
from training.tests.prior_fixtures import tiny_config, wake_zero_inits


@pytest.mark.parametrize("prediction_type", ["epsilon", "v_prediction"])
def test_export_writes_pack_and_golden(tmp_path, prediction_type):
    torch.manual_seed(0)
    model = DiffusionPrior(tiny_config(prediction_type)).eval()
    wake_zero_inits(model)
    manifest = export(model, tmp_path)
    files = manifest["files"]
    for name in ("text_encoder.onnx", "unet.onnx", "schedule.json", "vocab.json", "tokenizer_vectors.json"):
        assert files[name]["sha256"] == sha256(tmp_path / name)
    assert files["unet.onnx"]["inputs"]["timestep"] == {"dtype": "float32", "shape": ["batch"]}
    assert manifest["prior"]["prediction_type"] == "epsilon" and manifest["prior"]["resolution"] == 64

    index = json.loads((tmp_path / "golden" / "prior.json").read_text())
    spec = index["unet"]["outputs"]["noise"]
    noise = np.fromfile(tmp_path / "golden" / spec["file"], dtype="<f4").reshape(spec["shape"])
    read = lambda s: torch.from_numpy(np.fromfile(tmp_path / "golden" / s["file"],
                                                  dtype="<f4" if s["dtype"] == "float32" else "<i8").reshape(s["shape"]))
    inputs = {k: read(s) for k, s in index["unet"]["inputs"].items()}
    with torch.no_grad():
        again = model.unet(inputs["sample"], inputs["timestep"], inputs["encoder_hidden_states"], inputs["camera"])
    assert np.abs(again.numpy() - noise).max() < 1e-6 and np.abs(noise).max() > 0

    schedule = json.loads((tmp_path / "schedule.json").read_text())
    assert len(schedule["alphas_cumprod"]) == 1000 and schedule["prediction_type"] == "epsilon"


def test_export_keeps_other_sections(tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps(
        {"format": "scaledreamer-model-pack", "format_version": 1, "name": "default", "generator": {"version": "x"},
         "files": {"generator.onnx": {"role": "generator"}}}))
    manifest = export(DiffusionPrior(tiny_config()).eval(), tmp_path)
    assert manifest["generator"] == {"version": "x"} and "generator.onnx" in manifest["files"]
