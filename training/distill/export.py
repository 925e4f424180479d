"""Export a trained generator into the model pack: generator.onnx, decoder.bin, decoder.json, golden vectors,
and their manifest entries (roles generator.triplane, generator.decoder, generator.decoder_weights,
test.golden_generator) plus the manifest's "generator" section.

    python3 -m training.distill.export --run supervised-100k --prior BUNDLE [--pack models/default]

The generator reads the text encoder's states, so the pack's text_encoder.onnx must come from the same prior
snapshot (BUNDLE) it was trained against; the "generator" section records that prior's version.
generator.onnx: text_states float32 [B, L, D] -> triplane float32 [B, 3, C, R, R]. decoder.*: docs/triplane.md.
golden/generator.json: one prompt's states and the triplane values at fixed sampled indices (parity tests).
"""
import argparse
import hashlib
import json
import math
from pathlib import Path

import torch

from ..common.checkpoint import cache_dir
from .generator import TriplaneGenerator
from .prior_bundle import load_prior
from .renderer import RenderConfig
from .triplane import SPHERE_RADIUS, TriplaneDecoder

ROOT = Path(__file__).resolve().parents[2]
DECODER_ORDER = ("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "out.weight", "out.bias")
GOLDEN_PROMPT = "a red wooden barrel"
GOLDEN_SAMPLES = 2048


def write_decoder(decoder: TriplaneDecoder, render: RenderConfig, out: Path) -> dict:
    state = decoder.state_dict()
    offsets, blob = {}, bytearray()
    for name in DECODER_ORDER:
        t = state[name].float().contiguous()
        offsets[name] = {"offset": len(blob), "shape": list(t.shape)}
        blob += t.numpy().astype("<f4").tobytes()
    (out / "decoder.bin").write_bytes(bytes(blob))
    meta = {"format": "scaledreamer-triplane-decoder", "version": 1, "channels": decoder.cfg.channels,
            "hidden": decoder.cfg.hidden, "activation": "silu", "sphere_radius": SPHERE_RADIUS,
            "dtype": "float32", "byte_order": "little", "tensors": offsets,
            "renderer": {"samples": render.samples, "beta": render.beta}}
    (out / "decoder.json").write_text(json.dumps(meta, indent=2) + "\n")
    return meta


def export_generator(generator: TriplaneGenerator, text_states: torch.Tensor, path: Path) -> None:
    generator.eval()
    torch.onnx.export(generator, (text_states,), str(path), opset_version=17, input_names=["text_states"],
                      output_names=["triplane"], dynamic_axes={"text_states": {0: "batch"}, "triplane": {0: "batch"}})


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", required=True)
    ap.add_argument("--pack", type=Path, default=ROOT / "models" / "default")
    ap.add_argument("--prior", type=Path, default=None)
    args = ap.parse_args(argv)
    state = torch.load(cache_dir() / "distill" / args.run / "state.pt")
    prior = load_prior(args.prior)
    generator = TriplaneGenerator(TriplaneGenerator.Config(text_dim=prior.text_encoder.cfg.width))
    generator.load_state_dict(state["geometry"])
    decoder = TriplaneDecoder()
    decoder.load_state_dict(state["decoder"])
    args.pack.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        states = prior.encode([GOLDEN_PROMPT])
        export_generator(generator, states, args.pack / "generator.onnx")
        planes = generator(states).reshape(-1)
    meta = write_decoder(decoder, RenderConfig.of_run(state.get("config", {})), args.pack)
    idx = torch.randperm(planes.numel(), generator=torch.Generator().manual_seed(0))[:GOLDEN_SAMPLES].sort().values
    golden = {"prompt": GOLDEN_PROMPT, "text_states": {"shape": list(states.shape),
                                                        "data": states.reshape(-1).tolist()},
              "triplane_shape": [1, 3, generator.cfg.channels, generator.resolution, generator.resolution],
              "indices": idx.tolist(), "values": planes[idx].tolist(), "run": args.run, "step": state["step"]}
    (args.pack / "golden").mkdir(exist_ok=True)
    (args.pack / "golden" / "generator.json").write_text(json.dumps(golden))
    kind = state.get("kind", "score-distillation")
    section = {"version": f"0.1.0+{args.run}+step{state['step']}", "kind": kind, "run": args.run,
               "step": state["step"], "channels": generator.cfg.channels, "resolution": generator.resolution,
               "text_states": "the hidden output of text_encoder.onnx for the prompt without a view suffix",
               **({"training": training_summary(state)} if "config" in state else {})}
    update_manifest(args.pack, generator, meta, section)
    print(json.dumps({"pack": str(args.pack), **section}))


def training_summary(state: dict) -> dict:
    """What a score-distillation run was: its guidance, prompt set, schedule, start and geometry anchor."""
    config = state["config"]
    summary = {"guidance": config["guidance"], "prompts": Path(config["prompts"]).name, "steps": int(config["steps"]),
               "lr": float(config["lr"]), "prompts_per_step": int(config["prompts_per_step"]),
               "views": int(config["views"])}
    if "init" in state:
        summary["init"] = state["init"]
    for kind in ("sdf", "occupancy"):
        weight = float(config.get(f"anchor_{kind}", 0))
        if weight:
            summary["anchor"] = {"kind": kind, "weight": weight,
                                 **({"margin": float(config["anchor_margin"])} if kind == "occupancy" else {})}
    return summary


def _entry(path: Path, role: str, fmt: str, **extra) -> dict:
    data = path.read_bytes()
    return {"role": role, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(), "format": fmt, **extra}


def update_manifest(pack: Path, generator: TriplaneGenerator, decoder_meta: dict, section: dict) -> None:
    """Add or replace the generator's files and section; keep the prior's entries as they are."""
    manifest_path = pack / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    L, D = manifest["prior"]["text"]["max_length"], manifest["prior"]["text"]["hidden_dim"]
    C, R = generator.cfg.channels, generator.resolution
    section["prior_version"] = manifest["prior"]["version"]
    n_weights = sum(math.prod(t["shape"]) for t in decoder_meta["tensors"].values())
    manifest["files"].update({
        "generator.onnx": _entry(pack / "generator.onnx", "generator.triplane", "onnx", opset=17,
                                 weights_dtype="float32",
                                 inputs={"text_states": {"dtype": "float32", "shape": ["batch", L, D]}},
                                 outputs={"triplane": {"dtype": "float32", "shape": ["batch", 3, C, R, R]}}),
        "decoder.json": _entry(pack / "decoder.json", "generator.decoder", "json"),
        "decoder.bin": _entry(pack / "decoder.bin", "generator.decoder_weights", "raw", dtype="float32",
                              shape=[n_weights]),
        "golden/generator.json": _entry(pack / "golden" / "generator.json", "test.golden_generator", "json"),
    })
    manifest["generator"] = section
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")


if __name__ == "__main__":
    main()
