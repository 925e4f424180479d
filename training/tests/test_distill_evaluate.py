"""Generator evaluation resumes after a cut-off and gives what an uninterrupted run gives."""
from pathlib import Path

import pytest
import torch

from training.distill.evaluate import evaluate_set
from training.distill.renderer import RenderConfig
from training.distill.triplane import TriplaneDecoder
from training.evaluator.api import Evaluator
from training.world.prompts import read_lines

ROOT = Path(__file__).resolve().parents[2]
PROMPTS = read_lines(ROOT / "training" / "data" / "prompts" / "test_500.txt")[:4]
RENDER = RenderConfig(samples=16)


class CutOff(Exception):
    pass


def planes_for(prompts):
    return torch.stack([torch.randn(3, 16, 8, 8, generator=torch.Generator().manual_seed(sum(map(ord, p))))
                        for p in prompts])


def cut_off_after(chunks: int):
    """A generator that dies after making `chunks` chunks, as a session cut-off would."""
    made = [0]

    def gen(prompts):
        if made[0] == chunks:
            raise CutOff()
        made[0] += 1
        return planes_for(prompts)
    return gen


def test_an_evaluation_cut_off_part_way_resumes_from_its_progress_file(tmp_path):
    torch.manual_seed(0)
    decoder, evaluator = TriplaneDecoder().eval(), Evaluator.load()
    run = lambda gen, progress=None: evaluate_set(gen, decoder, evaluator, PROMPTS, grid=16, batch=2,
                                                  render=RENDER, progress=progress)
    whole = run(planes_for)
    progress = tmp_path / "progress.pt"
    with pytest.raises(CutOff):
        run(cut_off_after(1), progress)
    assert len(torch.load(progress)["metrics"]) == 2  # the first chunk was kept
    assert run(cut_off_after(1), progress) == whole  # the second chunk is all a rerun makes
    assert not progress.exists()
