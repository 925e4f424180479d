"""The experiment table runner: equal-compute runs, evaluation, contact sheets, resumption, bad names."""
import json

import pytest
import torch

from training.distill import evaluate, experiments
from training.tests.distill_fixtures import tiny_prior


def test_runs_evaluates_and_skips_what_is_done(tmp_path, monkeypatch):
    monkeypatch.setenv("SCALEDREAMER_CACHE", str(tmp_path / "cache"))
    bundle = tmp_path / "prior.pt"
    torch.save(tiny_prior().bundle(), bundle)
    out, sheets = tmp_path / "table.json", tmp_path / "sheets"
    argv = ["--prior", str(bundle), "--only", "sds-415,asd-415-eta0", "--steps", "2", "--prompts-per-step", "1",
            "--views", "1", "--samples", "8", "--render-resolution", "8", "--limit", "2", "--out", str(out),
            "--sheets", str(sheets)]
    experiments.main(argv)
    table = json.loads(out.read_text())
    assert list(table) == ["sds-415", "asd-415-eta0"]
    for name, result in table.items():
        assert result["step"] == 2 and set(result["sets"]) == {"train", "heldout"}
        assert result["sets"]["heldout"]["prompts"] == 2 and 0 <= result["sets"]["train"]["iou"] <= 1
        assert (sheets / f"{name}.png").stat().st_size > 0
    # Equal compute: the two runs' training arguments differ only in run name, guidance and eta.
    a, b = (table[n]["train_argv"] for n in table)
    differing = {a[i - 1] for i in range(1, len(a)) if a[i] != b[i]}
    assert differing == {"--run", "--guidance"} and b[-2:] == ["--eta", "0.0"]
    assert "| asd-415-eta0 | asd | train_415.txt | 0.0 | scratch | 2 | heldout |" in out.with_suffix(".md").read_text()

    monkeypatch.setattr(experiments, "run_experiment", lambda *a: pytest.fail("a finished experiment ran again"))
    experiments.main(argv)

    # A quick check of one set: only that set is rendered and scored, R@1 among its own prompts.
    quick = tmp_path / "quick.json"
    evaluate.main(["--run", a[a.index("--run") + 1], "--prior", str(bundle), "--sets", "heldout", "--limit", "3",
                   "--threads", "1", "--out", str(quick)])
    result = json.loads(quick.read_text())
    assert list(result["sets"]) == ["heldout"] and result["sets"]["heldout"]["prompts"] == 3
    assert "r1_heldout" in result and "r1_train" not in result


def test_unknown_experiment_names_fail_fast():
    with pytest.raises(ValueError, match="unknown experiments nope"):
        experiments.select("asd-415,nope")


def test_workers_filling_one_table_keep_each_others_rows_in_grid_order(tmp_path):
    out = tmp_path / "table.json"
    row = lambda name: {"experiment": {"guidance": "asd", "prompts": "train_415.txt", "eta": None}, "step": 1,
                        "sets": {"heldout": {k: 0.5 for k in ("clip_sim", "r1", "attr_acc", "iou", "colour_err")}}}
    experiments.record(out, "asd-17k", row("asd-17k"))    # worker 2 finishes first
    experiments.record(out, "sds-415", row("sds-415"))    # worker 1 read the table before worker 2 wrote it
    assert list(json.loads(out.read_text())) == ["sds-415", "asd-17k"]
    assert out.with_suffix(".md").read_text().count("| heldout |") == 2
