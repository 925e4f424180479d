"""Write the prompt sets: python3 -m training.world.make_splits [--out training/data/prompts]

train_<scale>.txt are nested (each a prefix of the next), mirroring the paper's 15 / 415 / 2.5k / 17k / 100k
prompt scales; validation.txt and test.txt hold distinct assets of their splits; test_500.txt is the evaluation set.
"""
import argparse
import json
import random
from pathlib import Path

from .prompts import SCALES, count_prompts, distinct_prompts, write_lines

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "data" / "prompts"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--seed", type=int, default=20240901)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    train = distinct_prompts(random.Random(args.seed), "train", max(SCALES.values()))
    for name, n in SCALES.items():
        write_lines(args.out / f"train_{name}.txt", train[:n])
    validation = distinct_prompts(random.Random(args.seed + 1), "validation", 2000)
    test = distinct_prompts(random.Random(args.seed + 2), "test", 5000)
    write_lines(args.out / "validation.txt", validation)
    write_lines(args.out / "test.txt", test)
    write_lines(args.out / "test_500.txt", test[:500])
    print(json.dumps({"prompts_total": count_prompts(), "train": len(train), "validation": len(validation),
                      "test": len(test), "out": str(args.out)}))


if __name__ == "__main__":
    main()
