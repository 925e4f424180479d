"""Side by side: an ASD training step with the CPU runtime settings every trainer runs with (freed memory kept in
the process, OpenBLAS sized by --threads) against glibc's and OpenBLAS's defaults (SCALEDREAMER_CPU_DEFAULTS=1).

    python3 -m training.distill.bench_cpu_runtime [--rounds 3] [--steps 4]   (npm run bench:cpu-runtime)

Each round runs training.distill.bench_train once per setting, in fresh processes, alternating which goes first, with
the shipped recipe's renderer (96 samples, beta 0.01). Prints JSON: the median of the rounds' median step times per
setting, and their ratio.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = {"tuned": {}, "defaults": {"SCALEDREAMER_CPU_DEFAULTS": "1"}}


def step_seconds(setting: str, steps: int) -> float:
    out = subprocess.run([sys.executable, "-m", "training.distill.bench_train", "--steps", str(steps), "--warmup", "1",
                          "--samples", "96", "--beta", "0.01", "--threads", "1"],
                         cwd=ROOT, env={**os.environ, **SETTINGS[setting]}, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["step_s_median"]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=4)
    args = ap.parse_args(argv)
    runs = {name: [] for name in SETTINGS}
    for r in range(args.rounds):
        for name in (list(SETTINGS) if r % 2 == 0 else list(SETTINGS)[::-1]):
            runs[name].append(step_seconds(name, args.steps))
    median = {name: statistics.median(v) for name, v in runs.items()}
    print(json.dumps({"step_s_median": median, "defaults_over_tuned": round(median["defaults"] / median["tuned"], 2),
                      "step_s_per_round": runs, "load_average": os.getloadavg()}, indent=2))


if __name__ == "__main__":
    main()
