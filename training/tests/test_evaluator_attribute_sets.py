import random

import torch

from training.evaluator.alternatives import alternatives
from training.evaluator.attribute_sets import AttributeSets
from training.evaluator.model import Evaluator, EvaluatorConfig
from training.evaluator.tokens import encode
from training.world.grammar import parse


def _model():
    torch.manual_seed(0)
    return Evaluator(EvaluatorConfig()).eval()


def test_the_loss_is_low_when_the_image_matches_its_own_prompt_and_high_when_it_matches_an_alternative():
    model = _model()
    spec = parse("a red wooden barrel")
    rival = next(iter(alternatives(spec).values()))[0]
    with torch.no_grad():
        own, other = model.encode_text(encode([spec.prompt(), rival]))
        scale = torch.tensor(30.0)
        sets = AttributeSets()
        matched = sets.loss(model, own[None], [spec], scale, random.Random(0))
        mismatched = sets.loss(model, other[None], [spec], scale, random.Random(0))
    assert matched < mismatched


def test_the_loss_trains_both_towers():
    model = _model()
    specs = [parse("a red wooden barrel"), parse("a blue crate on top of a green barrel")]
    img_emb, _ = model.encode_images(torch.rand(2, 3, 64, 64))
    loss = AttributeSets().loss(model, img_emb, specs, torch.tensor(10.0), random.Random(1))
    loss.backward()
    assert torch.isfinite(loss) and loss > 0
    for tower in (model.image, model.text):
        assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in tower.parameters())
