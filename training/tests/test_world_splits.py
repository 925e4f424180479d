from pathlib import Path

from training.world.grammar import parse
from training.world.prompts import SCALES, held_out_combinations, read_lines, split_of

PROMPTS = Path(__file__).resolve().parents[1] / "data" / "prompts"


def test_split_files_exist_with_paper_scales_and_are_nested():
    previous = []
    for name, n in SCALES.items():
        lines = read_lines(PROMPTS / f"train_{name}.txt")
        assert len(lines) == n
        assert lines[:len(previous)] == previous
        previous = lines


def test_splits_are_disjoint_in_assets_and_test_is_compositional():
    train = read_lines(PROMPTS / "train_17k.txt")
    validation = read_lines(PROMPTS / "validation.txt")
    test = read_lines(PROMPTS / "test.txt")
    keys = {name: {parse(p).key() for p in lines}
            for name, lines in (("train", train), ("validation", validation), ("test", test))}
    assert not keys["train"] & keys["test"]
    assert not keys["validation"] & keys["test"]
    assert not keys["train"] & keys["validation"]
    assert all(split_of(parse(p)) == "train" for p in train[:2000])
    assert all(held_out_combinations(parse(p)) for p in test)
    assert len(keys["test"]) == len(test)  # distinct assets, so R@1 is well defined
