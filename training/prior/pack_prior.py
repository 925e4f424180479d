"""A model pack's prior as the evaluator sees it: DDIM samples from the pack's ONNX graphs, run by onnxruntime-node
(scripts/pack-prior-samples.mjs), so that `npm run eval:prior` measures the shipped artefact itself."""
import json
import subprocess
import tempfile
from pathlib import Path
from typing import List

import numpy as np
import torch

from .tokenizer import WordTokenizer

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "pack-prior-samples.mjs"


class PackPrior:
    def __init__(self, pack: Path, threads: int = 2):
        self.pack, self.threads = Path(pack), threads
        self.manifest = json.loads((self.pack / "manifest.json").read_text())
        meta = self.manifest["prior"]
        self.resolution = meta["resolution"]
        self.version = meta["version"]
        self.tokenizer = WordTokenizer(WordTokenizer.Config(max_length=meta["text"]["max_length"]))
        self.unconditional_prompt = meta["text"]["unconditional_prompt"]

    def sample(self, prompts: List[str], camera: torch.Tensor, guidance: float = 7.5, steps: int = 50,
               generator: torch.Generator = None) -> torch.Tensor:
        """DDIM samples [B, 3, R, R] in [0, 1] for full prompts (view suffix included) and camera vectors [B, 4];
        the initial noise comes from `generator`, like DiffusionPrior.sample's."""
        R = self.resolution
        noise = torch.randn(len(prompts), 3, R, R, generator=generator)
        ids = self.tokenizer.encode(list(prompts) + [self.unconditional_prompt])
        with tempfile.TemporaryDirectory() as tmp:
            files = {name: Path(tmp) / f"{name}.bin" for name in ("ids", "camera", "noise", "out")}
            files["ids"].write_bytes(ids.numpy().astype("<i8").tobytes())
            files["camera"].write_bytes(camera.float().numpy().astype("<f4").tobytes())
            files["noise"].write_bytes(noise.numpy().astype("<f4").tobytes())
            subprocess.run(["node", str(SCRIPT), str(self.pack), *(str(files[k]) for k in ("ids", "camera", "noise",
                            "out")), str(guidance), str(steps), str(self.threads)], check=True, cwd=ROOT)
            x0 = np.frombuffer(files["out"].read_bytes(), dtype="<f4").copy()
        return (torch.from_numpy(x0).reshape(len(prompts), 3, R, R) + 1) / 2
