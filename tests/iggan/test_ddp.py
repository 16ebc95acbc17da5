"""Multi-process training as under ``torchrun``: 2 CPU processes, gloo backend."""

from __future__ import annotations

import dataclasses
import os
import socket

import pytest
import torch
import torch.multiprocessing as mp

from iggan import checkpoint as ckpt_io
from iggan.config import SMOKE

pytestmark = [pytest.mark.gl, pytest.mark.slow]  # two process spawns: ~15-25 s on 2 cores


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank: int, world: int, port: int, cfg_dict: dict, run_dir: str, resume: bool) -> None:
    os.environ.update(
        RANK=str(rank),
        LOCAL_RANK=str(rank),
        WORLD_SIZE=str(world),
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
    )
    torch.set_num_threads(1)
    from iggan import training
    from iggan.config import TrainConfig

    built = []
    real_build = training.build_method
    training.build_method = lambda *a: built.append(real_build(*a)) or built[-1]
    training.train(TrainConfig.from_dict(cfg_dict), run_dir, resume=resume, progress=False)
    # every process reports its final weights: averaged gradients keep them identical
    weights = {
        f"{n}.{k}": v for n, m in built[0].modules.items() for k, v in m.state_dict().items()
    }
    torch.save(weights, os.path.join(run_dir, f"weights-{rank}.pt"))


def _run(cfg, run_dir, resume=False, world=2):
    mp.spawn(_worker, args=(world, _free_port(), cfg.to_dict(), str(run_dir), resume), nprocs=world)


def test_two_processes_train_in_step_and_resume(box_data, tmp_path):
    cfg = dataclasses.replace(
        SMOKE,
        data=str(box_data),
        render_workers=0,
        device="cpu",
        iterations=2,
        checkpoint_every=2,
        sample_every=2,
    )
    _run(cfg, tmp_path / "run")
    state = ckpt_io.load_checkpoint(ckpt_io.latest_checkpoint(tmp_path / "run"), kind="train")
    assert state["iteration"] == 2 and state["extra"]["world_size"] == 2
    assert len(state["rng"]) == 2  # each process's generators, for an exact resume
    loops = [r["generators"]["loop"] for r in state["rng"]]
    assert not torch.equal(loops[0], loops[1])  # processes draw different latents
    w0, w1 = (torch.load(tmp_path / "run" / f"weights-{r}.pt", weights_only=True) for r in (0, 1))
    for key, value in w0.items():  # weights, SN vectors and (broadcast) BatchNorm statistics
        assert torch.equal(value, w1[key]), key
    for key, value in state["modules"]["G"].items():
        assert torch.equal(value, w0[f"G.{key}"]), key
    _run(dataclasses.replace(cfg, iterations=3), tmp_path / "run", resume=True)
    state = ckpt_io.load_checkpoint(ckpt_io.latest_checkpoint(tmp_path / "run"), kind="train")
    assert state["iteration"] == 3
