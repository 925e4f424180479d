"""Export the trained prior (EMA weights) into the model pack, with golden vectors for the onnxruntime parity tests.

    python3 -m training.prior.export [--checkpoint ~/.cache/scaledreamer/prior/last.pt] [--pack models/default]
        [--milestone training/checkpoints/prior32_bundle.pt]

Writes text_encoder.onnx, unet.onnx, schedule.json, vocab.json, tokenizer_vectors.json, golden/prior.json (+ .bin)
and the prior's entries of manifest.json. Contract: docs/model-pack.md. The UNet's weights are stored as float16
by default (--unet-weights float32 to keep them exact): a 9M-parameter UNet is 36 MB in float32, most of the pack's
40 MB budget. The golden vectors come from the float16-rounded weights, so the parity tests stay at ~1e-6.
--milestone also writes the committed milestone bundle (training/checkpoints/README.md) from the same EMA weights.
"""
import argparse
import json
from dataclasses import asdict
from pathlib import Path
from typing import Dict

import torch

from ..common.checkpoint import cache_dir, save_atomic
from ..common.half_weights import export_onnx as export_graph
from ..common.manifest import file_entry, update_manifest
from ..common.threads import set_threads
from ..world.camera import CAMERA_DIM, fixed_cameras
from .model import DiffusionPrior, PriorConfig, config_from_dict
from .tokenizer import WordTokenizer

REPO = Path(__file__).resolve().parents[2]
OPSET = 17
PACK_VERSION = "0.2.0"  # 0.2: 32x32, (96, 192, 256) UNet, the text encoder frozen from 0.1
# Shared tokenizer test vectors: grammar prompts, view suffixes, case and comma spacing, the empty prompt, and the
# error cases (unknown words, too long) that the TypeScript tokenizer must report the same way.
TOKENIZER_PROMPTS = ["a red wooden barrel", "a red wooden barrel, front view", "A Small  Blue rock ,side view",
                     "a pink mossy crystal with a pink base, overhead view",
                     "an orange shield on top of a pink metal rock, back view", ""]
TOKENIZER_UNKNOWN = ["a purple unicorn", "a red dragon with shiny wings, front view", "a <unk> red <pad> barrel",
                     "<BOS> a rock <eos>"]
TOKENIZER_TOO_LONG = [" ".join(["a red rock"] * 8)]
GOLDEN_PROMPTS = ["a red wooden barrel, front view", "a blue table next to a purple shield, side view", ""]
GOLDEN_TIMESTEPS = [37.0, 612.5, 999.0]
GOLDEN_AZIMUTHS = [10.0, 100.0, 200.0]


def load_ema(checkpoint: Path) -> DiffusionPrior:
    state = torch.load(checkpoint)
    prior_cfg = config_from_dict(PriorConfig, state["config"]["prior"])
    model = DiffusionPrior(prior_cfg)
    model.load_state_dict(state["ema"])
    model.step = state["step"]
    return model.eval()


def milestone_bundle(model: DiffusionPrior) -> dict:
    """The bundle with its UNet in float16 (what the pack ships) and the text encoder exact (the generator reads its
    states), plus the step, small enough for git history; load_prior casts it back to float32."""
    blob = model.bundle()
    blob["unet"]["state"] = {k: v.half() if v.is_floating_point() else v for k, v in blob["unet"]["state"].items()}
    return {**blob, "step": model.step}


def tokenizer_vectors(tok: WordTokenizer) -> Dict:
    cases = [{"prompt": p, "ids": tok.encode_one(p)[0]} for p in TOKENIZER_PROMPTS]
    unknown = [{"prompt": p, "lenient_ids": tok.encode_one(p, strict=False)[0],
                "unknown": tok.encode_one(p, strict=False)[1]} for p in TOKENIZER_UNKNOWN]
    return {"max_length": tok.cfg.max_length, "vocab_size": tok.vocab_size, "cases": cases,
            "unknown_words": unknown, "too_long": TOKENIZER_TOO_LONG,
            "rules": "strict: unknown_words and too_long prompts raise, naming the words; lenient: unknown words -> "
                     "<unk> (ids as lenient_ids) and reported; too_long raises in both modes"}


def write_tensor(folder: Path, name: str, t: torch.Tensor) -> Dict:
    """Raw little-endian tensor file; returns its index entry."""
    dtype = {torch.float32: "float32", torch.int64: "int64"}[t.dtype]
    (folder / name).write_bytes(t.contiguous().numpy().astype("<f4" if dtype == "float32" else "<i8").tobytes())
    return {"file": name, "dtype": dtype, "shape": list(t.shape)}


def export_onnx(model: DiffusionPrior, pack: Path, ids: torch.Tensor, unet_inputs: tuple,
                unet_weights: str) -> torch.Tensor:
    """Writes both graphs; returns the exported UNet's output on unet_inputs (its weights as stored)."""
    batch = {0: "batch"}
    torch.onnx.export(model.text_encoder, (ids,), str(pack / "text_encoder.onnx"), opset_version=OPSET,
                      input_names=["input_ids"], output_names=["hidden"],
                      dynamic_axes={"input_ids": batch, "hidden": batch})
    names = ["sample", "timestep", "encoder_hidden_states", "camera"]
    unet = export_graph(model.unet, unet_inputs, str(pack / "unet.onnx"), unet_weights, opset_version=OPSET,
                        input_names=names, output_names=["noise"], dynamic_axes={n: batch for n in names + ["noise"]})
    return unet(*unet_inputs)


@torch.no_grad()
def export(model: DiffusionPrior, pack: Path, unet_weights: str = "float16") -> Dict:
    pack.mkdir(parents=True, exist_ok=True)
    golden = pack / "golden"
    golden.mkdir(exist_ok=True)
    tok, L, D = model.tokenizer, model.tokenizer.cfg.max_length, model.text_encoder.cfg.width
    R = model.cfg.unet.resolution

    # 1. Golden inputs: fixed seeds, fractional and extreme timesteps, three cameras, one unconditional prompt.
    g = torch.Generator().manual_seed(0)
    ids = tok.encode(GOLDEN_PROMPTS)
    hidden = model.text_encoder(ids)
    sample = torch.randn(len(GOLDEN_PROMPTS), 3, R, R, generator=g)
    timestep = torch.tensor(GOLDEN_TIMESTEPS)
    camera = fixed_cameras(GOLDEN_AZIMUTHS, elevation=15.0).as_vector()

    # 2. The graphs, traced on the same inputs; the golden noise is what the stored weights compute.
    noise = export_onnx(model, pack, ids, (sample, timestep, hidden, camera), unet_weights)

    # 3. Golden vectors for the onnxruntime parity tests.
    index = {"format": "scaledreamer-golden", "version": 1, "byte_order": "little", "tolerance_max_abs": 1e-3,
             "prompts": GOLDEN_PROMPTS,
             "text_encoder": {"inputs": {"input_ids": write_tensor(golden, "prior.input_ids.bin", ids)},
                              "outputs": {"hidden": write_tensor(golden, "prior.hidden.bin", hidden)}},
             "unet": {"inputs": {"sample": write_tensor(golden, "prior.sample.bin", sample),
                                 "timestep": write_tensor(golden, "prior.timestep.bin", timestep),
                                 "encoder_hidden_states": write_tensor(golden, "prior.hidden.bin", hidden),
                                 "camera": write_tensor(golden, "prior.camera.bin", camera)},
                      "outputs": {"noise": write_tensor(golden, "prior.noise.bin", noise)}}}
    (golden / "prior.json").write_text(json.dumps(index, indent=1) + "\n")

    # 4. Schedule, vocabulary, tokenizer vectors.
    schedule = {**model.schedule.to_json(), "timestep_spacing": "leading", "sample_steps": 50, "guidance_scale": 7.5}
    (pack / "schedule.json").write_text(json.dumps(schedule) + "\n")
    tok.write_vocab(pack / "vocab.json")
    (pack / "tokenizer_vectors.json").write_text(json.dumps(tokenizer_vectors(tok), indent=1) + "\n")

    # 5. Manifest entries.
    f32 = lambda *shape: {"dtype": "float32", "shape": list(shape)}
    onnx = {"format": "onnx", "opset": OPSET}
    files = {
        "text_encoder.onnx": file_entry(pack, "text_encoder.onnx", "prior.text_encoder", **onnx,
                                        weights_dtype="float32",
                                        inputs={"input_ids": {"dtype": "int64", "shape": ["batch", L]}},
                                        outputs={"hidden": f32("batch", L, D)}),
        "unet.onnx": file_entry(pack, "unet.onnx", "prior.unet", **onnx, weights_dtype=unet_weights,
                                inputs={"sample": f32("batch", 3, R, R), "timestep": f32("batch"),
                                        "encoder_hidden_states": f32("batch", L, D),
                                        "camera": f32("batch", CAMERA_DIM)},
                                outputs={"noise": f32("batch", 3, R, R)}),
        "schedule.json": file_entry(pack, "schedule.json", "prior.schedule", format="json"),
        "vocab.json": file_entry(pack, "vocab.json", "prior.tokenizer", format="json"),
        "tokenizer_vectors.json": file_entry(pack, "tokenizer_vectors.json", "test.tokenizer_vectors", format="json"),
        "golden/prior.json": file_entry(pack, "golden/prior.json", "test.golden_index", format="json"),
    }
    for part in ("text_encoder", "unet"):
        for spec in list(index[part]["inputs"].values()) + list(index[part]["outputs"].values()):
            name = f"golden/{spec['file']}"
            files[name] = file_entry(pack, name, "test.golden_tensor", format="raw", dtype=spec["dtype"],
                                     shape=spec["shape"])
    meta = {"version": f"{PACK_VERSION}+step{getattr(model, 'step', 0)}", "resolution": R, "channels": 3,
            "pixel_range": [-1, 1], "prediction_type": "epsilon",
            "trained_prediction_type": model.cfg.unet.prediction_type, "num_train_timesteps": model.schedule.T,
            "beta_schedule": model.schedule.cfg.beta_schedule, "timestep": "float32 [batch], 0 <= t <= T - 1",
            "camera": {"dim": CAMERA_DIM, "vector": "(sin az, cos az, el / 90, (dist - 2.9) / 0.3)",
                       "convention": "docs/conventions.md#cameras"},
            "text": {"tokenizer": "vocab.json", "max_length": L, "hidden_dim": D, "unconditional_prompt": "",
                     "view_suffixes": [", front view", ", side view", ", back view", ", overhead view"]},
            "sampler": {"name": "ddim", "steps": 50, "guidance_scale": 7.5, "timestep_spacing": "leading",
                        "clip_sample": True},
            "config": asdict(model.cfg)}
    return update_manifest(pack, "prior", meta, files)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", type=Path, default=cache_dir() / "prior" / "last.pt")
    ap.add_argument("--pack", type=Path, default=REPO / "models" / "default")
    ap.add_argument("--unet-weights", choices=["float16", "float32"], default="float16")
    ap.add_argument("--milestone", type=Path, default=None, help="also write the float16 milestone bundle here")
    args = ap.parse_args(argv)
    set_threads(2)
    model = load_ema(args.checkpoint)
    manifest = export(model, args.pack, args.unet_weights)
    if args.milestone:
        save_atomic(milestone_bundle(model), args.milestone)
    mb = sum(f["bytes"] for f in manifest["files"].values()) / 1e6
    print(json.dumps({"pack": str(args.pack), "prior_version": manifest["prior"]["version"], "pack_mb": round(mb, 2)}))


if __name__ == "__main__":
    main()
