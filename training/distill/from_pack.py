"""A model pack's generator and decoder as trainable PyTorch modules (the inverse of training.distill.export), so a
run can start from a shipped generator (`train --init-from models/default`).

torch.onnx.export keeps parameter names for most initializers, but a Linear's weight becomes an anonymous, transposed
MatMul operand ("onnx::MatMul_N"); those appear in module order, so they are matched to the generator's remaining
Linear weights in order, and shapes are checked on the way."""
import json
from pathlib import Path
from typing import Tuple

import torch

from ..common.onnx_initializers import read_initializers
from .generator import TriplaneGenerator
from .pack_generator import load_decoder
from .triplane import TriplaneDecoder


def pack_generator_version(pack: Path) -> str:
    """The version a pack's manifest gives its generator (what a fine-tuned run records as its start)."""
    return json.loads((Path(pack) / "manifest.json").read_text())["generator"]["version"]


def load_pack_generator(pack: Path) -> Tuple[TriplaneGenerator, TriplaneDecoder]:
    pack = Path(pack)
    manifest = json.loads((pack / "manifest.json").read_text())
    onnx_file = next(name for name, f in manifest["files"].items() if f["role"] == "generator.triplane")
    decoder = load_decoder(pack)
    generator = TriplaneGenerator(TriplaneGenerator.Config(channels=decoder.cfg.channels,
                                                           text_dim=manifest["prior"]["text"]["hidden_dim"]))
    expected = generator.state_dict()
    inits = read_initializers(pack / onnx_file)
    named = {n: a for n, a in inits if n in expected}
    anonymous = [a for n, a in inits if n.startswith("onnx::MatMul")]
    linear = [k for k, v in expected.items() if k not in named and k.endswith(".weight") and v.dim() == 2]
    if len(linear) != len(anonymous):
        raise ValueError(f"{pack / onnx_file}: {len(anonymous)} MatMul weights for {len(linear)} Linear layers; "
                         "not a generator of this architecture")
    state = {k: torch.from_numpy(a).float() for k, a in named.items()}
    state.update({k: torch.from_numpy(a.T.copy()).float() for k, a in zip(linear, anonymous)})
    for k, v in expected.items():
        if k not in state or state[k].shape != v.shape:
            found = None if k not in state else tuple(state[k].shape)
            raise ValueError(f"{pack / onnx_file}: parameter {k} expected {tuple(v.shape)}, found {found}")
    generator.load_state_dict(state)
    return generator, decoder
