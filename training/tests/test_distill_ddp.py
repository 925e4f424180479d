"""Data-parallel distillation: two CPU processes (gloo) must keep identical replicas."""
import os
import socket

import torch
import torch.multiprocessing as mp

from training.distill import train as distill_train
from training.tests.distill_fixtures import tiny_prior


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank, world, port, bundle, prompts, cache, out):
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(world),
                      SCALEDREAMER_CACHE=str(cache))
    torch.set_num_threads(1)
    args = distill_train.parse_args(["--run", "ddp-test", "--prompts", str(prompts), "--prior", str(bundle),
                                     "--steps", "2", "--prompts-per-step", "1", "--views", "1", "--lr", "1e-2",
                                     "--checkpoint-minutes", "1000", "--resolution", "16", "--samples", "8"])
    system = distill_train.train(args).system
    torch.save(system.state_dict(), out / f"rank{rank}.pt")


def test_two_process_ddp_keeps_replicas_identical(tmp_path):
    bundle, prompts = tmp_path / "prior.pt", tmp_path / "prompts.txt"
    torch.save(tiny_prior().bundle(), bundle)
    prompts.write_text("a red barrel\na blue crate\na tall pine tree\na rock next to a torch\n")
    mp.spawn(_worker, args=(2, _free_port(), bundle, prompts, tmp_path / "cache", tmp_path), nprocs=2)
    a, b = torch.load(tmp_path / "rank0.pt"), torch.load(tmp_path / "rank1.pt")
    trained = [k for k in a if k.startswith(("geometry", "decoder"))]
    assert trained and all(torch.equal(a[k], b[k]) for k in trained)
    assert a["decoder.out.weight"].abs().sum() > 0  # zero at initialisation: they did train
