"""``igbench render --executor ... --shards N`` and ``igbench classifier train --executor ...``:
their work as scheduler jobs (:mod:`benchmark.cluster`).

A sharded render submits one job per shard (``--shard i/N`` each, resumable per 16-model part),
then merges the shards here into exactly the file an unsharded run writes and deletes them. A rerun
skips the shards already written and waits for shard jobs still running.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from benchmark.cluster import ClusterOptions, Task, run_waves

log = logging.getLogger(__name__)


def shard_path(out: Path, index: int, shards: int) -> Path:
    """Where ``render_dataset(..., shard=(index, shards))`` writes (its own naming)."""
    return out.with_name(f"{out.stem}.shard{index}of{shards}{out.suffix}")


def render_shard_job(spec, out: Path, index: int, shards: int, workers: int | None) -> str:
    from shapenet_render.dataset import render_dataset

    summary = render_dataset(spec, out=out, shard=(index, shards), workers=workers)
    log.info("%s", summary.format())
    return str(summary.path)


def render_sharded(
    spec,
    out: Path,
    shards: int,
    opts: ClusterOptions,
    workers: int | None = None,
    echo: Callable[[str], None] = print,
):
    """Render ``spec`` into ``out`` as ``shards`` jobs and merge them; the merge's summary, or
    None when the jobs were queued without waiting."""
    from shapenet_render.dataset import PART_SIZE, DatasetError, make_plan
    from shapenet_render.dataset_tools import merge_shards
    from shapenet_render.sources.registry import get_source

    if out.exists():
        raise DatasetError(f"{out} already exists; pass --overwrite to replace it")
    n_parts = make_plan(spec, get_source(spec.source)).n_parts
    if shards > n_parts:
        echo(f"the dataset has {n_parts} part(s) of {PART_SIZE} models: {n_parts} shard(s)")
        shards = n_parts
    tasks = [
        Task(f"shard {i}/{shards}", render_shard_job, (spec, out, i, shards, workers), threads=None)
        for i in range(shards)
        if not shard_path(out, i, shards).exists()
    ]
    if len(tasks) < shards:
        echo(f"{shards - len(tasks)} of {shards} shard(s) already rendered")
    if not run_waves([tasks], opts, echo):
        return None
    paths = [shard_path(out, i, shards) for i in range(shards)]
    summary = merge_shards(paths, out)
    for p in paths:
        p.unlink()
    return summary


def classifier_job(config, out: Path, resume: bool, overwrite: bool, device: str | None):
    from benchmark.metrics.classifier_train import train_classifier

    result = train_classifier(config, out, resume=resume, overwrite=overwrite, device=device)
    log.info("held-out accuracy %.2f %%", 100 * result.heldout_accuracy)


def train_classifier_as_job(
    config,
    out: Path,
    opts: ClusterOptions,
    resume: bool = False,
    overwrite: bool = False,
    device: str | None = None,
    threads: int | None = None,
    echo: Callable[[str], None] = print,
):
    """Train the classifier in one job (on one GPU when ``opts.gpus_per_job`` > 0); its
    :class:`~benchmark.metrics.classifier_train.TrainResult`, or None when queued only."""
    from benchmark.metrics.classifier_train import train_classifier

    gpus = min(1, opts.gpus_per_job)
    task = Task(
        "classifier", classifier_job, (config, out, resume, overwrite, device), gpus, threads
    )
    if not run_waves([[task]], opts, echo):
        return None
    return train_classifier(config, out, resume=True)
