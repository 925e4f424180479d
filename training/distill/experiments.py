"""The score-distillation table (issue 5): SDS, CSD, VSD and ASD at two prompt scales with the same compute, plus
the ASD eta ablation; resumable experiment by experiment.

    python3 -m training.distill.experiments --prior BUNDLE [--steps 3000] [--only asd-415,sds-415] [--limit 100]
        [--init-from models/default --lr 2e-5]   # every method fine-tunes the same shipped generator

Every experiment trains `python3 -m training.distill.train --run exp-<name>` with the same steps, prompts per step,
views per prompt, render resolution, samples per ray and learning rate (only the guidance, its eta and the prompt
set differ), then evaluates its generator as `training.distill.evaluate --run` does on the train prompts every scale
shares (train_415.txt, nested in the larger sets) and on the held-out split, and renders the same four held-out
prompts for a contact sheet (docs/images/distill/<name>.png). After each experiment docs/results/distill_table.json
is rewritten and docs/results/distill_table.md holds the table; an experiment already trained and evaluated at the
requested steps is skipped, so the command can be run again after an interruption (training resumes from its
checkpoint).
"""
import argparse
import fcntl
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Dict, List, Optional

import torch

from ..common.threads import set_threads
from ..evaluator.api import Evaluator
from ..world.prompts import read_lines
from .evaluate import DEFAULT_SETS, evaluate_set, load_run
from .prior_bundle import load_prior
from .renderer import RenderConfig
from .train import parse_args as train_args, train, turntable_images

ROOT = Path(__file__).resolve().parents[2]
PROMPTS = ROOT / "training" / "data" / "prompts"
RESULTS = ROOT / "docs" / "results" / "distill_table.json"
SHEETS = ROOT / "docs" / "images" / "distill"
SHEET_PROMPTS = 4


@dataclass(frozen=True)
class Experiment:
    name: str
    guidance: str
    prompts: str                 # a file in training/data/prompts
    eta: Optional[float] = None  # ASD only; None: the method's default (0.1)


GRID = tuple(Experiment(f"{method}-{scale}", method, f"train_{scale}.txt")
             for scale in ("415", "17k") for method in ("sds", "csd", "vsd", "asd")) + (
    Experiment("asd-415-eta0", "asd", "train_415.txt", 0.0),
    Experiment("asd-415-eta0.5", "asd", "train_415.txt", 0.5),
)


def select(only: Optional[str]) -> List[Experiment]:
    if not only:
        return list(GRID)
    names = [n.strip() for n in only.split(",") if n.strip()]
    known = {e.name: e for e in GRID}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"unknown experiments {', '.join(unknown)}; choose from {', '.join(known)}")
    return [known[n] for n in names]


def train_argv(exp: Experiment, args) -> List[str]:
    argv = ["--run", f"{args.prefix}{exp.name}", "--guidance", exp.guidance, "--prompts", str(PROMPTS / exp.prompts),
            "--prior", str(args.prior), "--steps", str(args.steps), "--prompts-per-step", str(args.prompts_per_step),
            "--views", str(args.views), "--lr", str(args.lr), "--samples", str(args.samples),
            "--threads", str(args.threads)]
    if args.render_resolution:
        argv += ["--render-resolution", str(args.render_resolution)]
    if args.init_from:
        argv += ["--init-from", str(args.init_from)]
    if exp.eta is not None:
        argv += ["--eta", str(exp.eta)]
    return argv


def init_label(pack: Optional[Path]) -> str:
    """What a run starts from: "scratch", or the starting pack's generator version (the pack's path is not
    recorded: models/default moves on, and the same generator can sit anywhere)."""
    if not pack:
        return "scratch"
    return json.loads((Path(pack) / "manifest.json").read_text())["generator"]["version"]


def run_experiment(exp: Experiment, args, evaluator: Evaluator) -> Dict:
    run = f"{args.prefix}{exp.name}"
    train(train_args(train_argv(exp, args)))  # returns at once when the run already has its steps
    prior = load_prior(args.prior)
    gen, dec, step, render = load_run(run, prior)
    planes_for = lambda prompts: torch.cat([gen(prior.encode(prompts[i:i + 8])) for i in range(0, len(prompts), 8)])
    result = {"experiment": asdict(exp), "run": run, "step": step, "prior": str(args.prior),
              "evaluator": evaluator.version, "train_argv": train_argv(exp, args), "limit": args.limit,
              "init": init_label(args.init_from), "sets": {}}
    with torch.no_grad():
        for name, path in DEFAULT_SETS.items():
            prompts = read_lines(path)[:args.limit]
            result["sets"][name] = {"file": str(path.relative_to(ROOT)),
                                    **evaluate_set(planes_for, dec, evaluator, prompts, render=render)}
    args.sheets.mkdir(parents=True, exist_ok=True)
    turntable_images(gen, dec, prior, read_lines(DEFAULT_SETS["heldout"])[:SHEET_PROMPTS],
                     args.sheets / f"{exp.name}.png", render=render)
    return result


def markdown(results: Dict[str, Dict]) -> str:
    lines = ["| experiment | guidance | prompts | eta | from | step | set | CLIP sim | R@1 | attr acc | IoU "
             "| colour err |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, r in results.items():
        exp = r["experiment"]
        for set_name, s in r["sets"].items():
            eta = exp["eta"] if exp["eta"] is not None else ("0.1" if exp["guidance"] == "asd" else "-")
            lines.append(f"| {name} | {exp['guidance']} | {exp['prompts']} | {eta} | {r.get('init', 'scratch')} | "
                         f"{r['step']} | {set_name} | "
                         f"{s['clip_sim']:.3f} | {s['r1']:.3f} | {s['attr_acc']:.3f} | {s['iou']:.3f} | "
                         f"{s['colour_err']:.3f} |")
    return "\n".join(lines) + "\n"


def record(out: Path, name: str, result: Dict) -> Dict[str, Dict]:
    """Add one experiment to the table files. Re-read under a lock, so several workers (`--only` with disjoint
    experiments, one thread each) can fill the same table."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        results = json.loads(out.read_text()) if out.exists() else {}
        results[name] = result
        order = [e.name for e in GRID]  # the table reads in grid order whichever worker finished first
        results = dict(sorted(results.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order)))
        out.write_text(json.dumps(results, indent=2) + "\n")
        out.with_suffix(".md").write_text(markdown(results))
    return results


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--prior", type=Path, required=True, help="the prior bundle every experiment distils from")
    ap.add_argument("--only", help="comma-separated experiment names (default: the whole grid)")
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--prompts-per-step", type=int, default=4)
    ap.add_argument("--views", type=int, default=2)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--samples", type=int, default=RenderConfig.samples, help="samples per ray")
    ap.add_argument("--render-resolution", type=int, default=None, help="default: the prior's resolution")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--init-from", type=Path, default=None,
                    help="start every run from this pack's generator (a fine-tuning table) instead of from scratch")
    ap.add_argument("--limit", type=int, default=None, help="first N prompts of each evaluation set")
    ap.add_argument("--prefix", default="exp-", help="run names are <prefix><experiment>")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--sheets", type=Path, default=SHEETS)
    args = ap.parse_args(argv)
    set_threads(args.threads)
    experiments = select(args.only)
    results = json.loads(args.out.read_text()) if args.out.exists() else {}
    evaluator = Evaluator.load()
    init = init_label(args.init_from)
    for exp in experiments:
        done = results.get(exp.name)
        if done and done["step"] >= args.steps and done["evaluator"] == evaluator.version \
                and done["limit"] == args.limit and done.get("init", "scratch") == init:
            continue
        result = run_experiment(exp, args, evaluator)
        results = record(args.out, exp.name, result)
        print(json.dumps({exp.name: result["sets"]}), flush=True)
    print(markdown(results))


if __name__ == "__main__":
    main()
