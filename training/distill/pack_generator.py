"""A model pack's generator as the evaluator sees it: triplanes from the pack's ONNX graphs (run by onnxruntime-node,
the runtime users get) and the decoder from decoder.bin, so `evaluate --pack` measures the shipped artefact itself.
"""
import json
import subprocess
import tempfile
from pathlib import Path
from typing import List

import numpy as np
import torch

from ..prior.tokenizer import WordTokenizer
from .triplane import TriplaneDecoder

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "pack-triplanes.mjs"


def load_decoder(pack: Path) -> TriplaneDecoder:
    meta = json.loads((pack / "decoder.json").read_text())
    blob = (pack / "decoder.bin").read_bytes()
    decoder = TriplaneDecoder(TriplaneDecoder.Config(channels=meta["channels"], hidden=meta["hidden"]))
    state = {}
    for name, spec in meta["tensors"].items():
        count = int(np.prod(spec["shape"]))
        values = np.frombuffer(blob, dtype="<f4", count=count, offset=spec["offset"])
        state[name] = torch.from_numpy(values.copy()).reshape(spec["shape"])
    decoder.load_state_dict(state)
    return decoder.eval()


class PackGenerator:
    """prompts -> triplanes [B, 3, C, R, R] through the pack's text_encoder.onnx and generator.onnx."""

    def __init__(self, pack: Path):
        self.pack = Path(pack)
        self.manifest = json.loads((self.pack / "manifest.json").read_text())
        self.tokenizer = WordTokenizer(WordTokenizer.Config(max_length=self.manifest["prior"]["text"]["max_length"]))
        out = next(f for f in self.manifest["files"].values() if f["role"] == "generator.triplane")
        self.shape = out["outputs"]["triplane"]["shape"][1:]

    def __call__(self, prompts: List[str]) -> torch.Tensor:
        return self._run(prompts)[0]

    def forward_ms(self, prompt: str, runs: int = 21) -> float:
        """Median warm generator.onnx forward for one prompt in onnxruntime-node (2 threads)."""
        return self._run([prompt], ["--time", str(runs)])[1]["generator_ms"]

    def _run(self, prompts: List[str], extra: List[str] = ()):
        ids = self.tokenizer.encode(prompts).numpy().astype("<i8")
        with tempfile.TemporaryDirectory() as tmp:
            ids_file, out_file = Path(tmp) / "ids.bin", Path(tmp) / "planes.bin"
            ids_file.write_bytes(ids.tobytes())
            done = subprocess.run(["node", str(SCRIPT), str(self.pack), str(ids_file), str(out_file), *extra],
                                  check=True, cwd=ROOT, stdout=subprocess.PIPE, text=True)
            planes = np.frombuffer(out_file.read_bytes(), dtype="<f4")
        timing = json.loads(done.stdout.strip().splitlines()[-1]) if extra else None
        return torch.from_numpy(planes.copy()).reshape(len(prompts), *self.shape), timing
