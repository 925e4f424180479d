import json

import numpy as np
import pytest
import torch

from training.common.half_weights import HalfStoredWeights
from training.common.manifest import sha256
from training.prior.export import export
from training.prior.model import DiffusionPrior
from training.tests.prior_fixtures import tiny_config, wake_zero_inits


@pytest.mark.parametrize("prediction_type,unet_weights", [("epsilon", "float32"), ("v_prediction", "float32"),
                                                         ("v_prediction", "float16")])
def test_export_writes_pack_and_golden(tmp_path, prediction_type, unet_weights):
    torch.manual_seed(0)
    model = DiffusionPrior(tiny_config(prediction_type)).eval()
    wake_zero_inits(model)
    manifest = export(model, tmp_path, unet_weights)
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
    args = (inputs["sample"], inputs["timestep"], inputs["encoder_hidden_states"], inputs["camera"])
    with torch.no_grad():
        exact = model.unet(*args).numpy()
        stored = HalfStoredWeights(model.unet)(*args).numpy() if unet_weights == "float16" else exact
    assert np.abs(stored - noise).max() < 1e-6 and np.abs(noise).max() > 0
    # float16 storage rounds the weights only: the outputs move far less than the parity tolerance.
    assert np.abs(exact - noise).max() < 1e-3
    assert files["unet.onnx"]["weights_dtype"] == unet_weights

    schedule = json.loads((tmp_path / "schedule.json").read_text())
    assert len(schedule["alphas_cumprod"]) == 1000 and schedule["prediction_type"] == "epsilon"


def test_float16_storage_halves_the_unet_file(tmp_path):
    cfg = tiny_config()
    cfg.unet.channels = (64, 64, 128)  # big enough that the weights, not the graph, make up the file
    model = DiffusionPrior(cfg).eval()
    sizes = {dtype: export(model, tmp_path / dtype, dtype)["files"]["unet.onnx"]["bytes"]
             for dtype in ("float32", "float16")}
    assert sizes["float16"] < 0.55 * sizes["float32"]


def test_export_keeps_other_sections(tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps(
        {"format": "scaledreamer-model-pack", "format_version": 1, "name": "default", "generator": {"version": "x"},
         "files": {"generator.onnx": {"role": "generator"}}}))
    manifest = export(DiffusionPrior(tiny_config()).eval(), tmp_path)
    assert manifest["generator"] == {"version": "x"} and "generator.onnx" in manifest["files"]


def test_the_milestone_bundle_loads_back_as_the_float16_rounded_prior(tmp_path):
    from training.common.checkpoint import save_atomic
    from training.distill.prior_bundle import load_prior
    from training.prior.export import milestone_bundle
    model = DiffusionPrior(tiny_config()).eval()
    wake_zero_inits(model)
    model.step = 123
    save_atomic(milestone_bundle(model), tmp_path / "milestone.pt")
    blob = torch.load(tmp_path / "milestone.pt")
    assert blob["step"] == 123
    assert {v.dtype for v in blob["unet"]["state"].values()} == {torch.float16}
    assert all(torch.equal(v, model.text_encoder.state_dict()[k]) for k, v in blob["text_encoder"]["state"].items())
    loaded = load_prior(tmp_path / "milestone.pt")
    for k, v in loaded.unet.state_dict().items():
        assert v.dtype == torch.float32 and torch.equal(v, model.unet.state_dict()[k].half().float())
