"""A table's work as scheduler jobs (``igbench table1|2|3 --executor local|slurm``) and
``igbench status``.

Two waves (:func:`benchmark.cluster.run_waves`): first what the cells share, each an independent
job (the classifier's training when it is missing, one job per dataset, one per renderer
pre-training), then one job per cell, which trains (on ``--gpus-per-job`` GPUs, one process each)
and evaluates its run. Work that is already finished is left out of the waves, so a rerun after a
kill or a failed job submits only the rest, and each job resumes what it finds on disk. The driver
then builds the table from the cells' records as an in-process run does, which is why the two give
the same table.

Everything lives in ``<outdir>/jobs/``: the ledger of submitted jobs, one folder per job with its
logs, and ``<table>.json``, the invocation that ``igbench status`` rebuilds the cells from.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Sequence
from pathlib import Path

from benchmark.cluster import ClusterOptions, Task, job_states, run_waves
from benchmark.table_output import cell_result, final_iteration
from benchmark.tables import (
    Cell,
    TableContext,
    cell_job,
    ensure_classifier,
    ensure_datasets,
    install_shipped_classifier,
    table_cells,
    table_preset,
)


def jobs_folder(outdir: Path) -> Path:
    return Path(outdir) / "jobs"


# -- the jobs' bodies (module-level: pickled by reference) ------------------------------------------
def dataset_job(ctx: TableContext, cell: Cell) -> None:
    ensure_datasets(ctx, cell)


def pretrain_job(ctx: TableContext, cell: Cell) -> None:
    from iggan.pretrain import ensure_renderer_init

    ensure_renderer_init(ctx.train_config(cell), progress=False)


def distributed_cell_job(ctx: TableContext, cell: Cell) -> None:
    """:func:`benchmark.tables.cell_job` in every process of a multi-GPU job: all of them train
    (``torch.distributed``), process 0 alone evaluates."""
    if int(os.environ.get("RANK", "0")) == 0:
        cell_job(ctx, cell, "all")
    else:
        cell_job(ctx, cell, "train")


# -- the waves ----------------------------------------------------------------------------------------
def table_waves(ctx: TableContext, cells: Sequence[Cell], opts: ClusterOptions) -> list[list[Task]]:
    """[shared inputs, cells]: only what is not finished yet."""
    child = dataclasses.replace(ctx, jobs=1, progress=False, echo=_log_info)
    first_gpu = min(1, opts.gpus_per_job)
    install_shipped_classifier(ctx)
    todo = [c for c in cells if cell_result(ctx, c).state != "done"]
    shared: list[Task] = []
    for item in ctx.shared_inputs(todo):
        if item.path.exists():
            continue
        if item.kind == "classifier":
            shared.append(Task("classifier", ensure_classifier, (child,), first_gpu, None))
        elif item.kind == "dataset":
            task = Task(f"data/{item.path.stem}", dataset_job, (child, item.cell), threads=None)
            shared.append(task)
        else:
            task = Task(f"renderer/{item.path.stem}", pretrain_job, (child, item.cell), first_gpu)
            shared.append(task)
    todo.sort(key=lambda c: c.method != "iggan")  # the longest first
    gpus = opts.gpus_per_job
    body = distributed_cell_job if gpus > 1 else cell_job
    args = (lambda c: (child, c)) if gpus > 1 else (lambda c: (child, c, "all"))
    cell_tasks = [Task(c.id, body, args(c), gpus=gpus) for c in todo]
    return [shared, cell_tasks]


def _log_info(text: str) -> None:
    import logging

    logging.getLogger("benchmark.tables").info("%s", text)


def run_on_cluster(ctx: TableContext, cells: Sequence[Cell], opts: ClusterOptions) -> bool:
    """Make the table's cells as jobs; True once they have all ended (False: submitted only).
    The table is then built here (:func:`benchmark.tables.run_table` finds every cell done)."""
    save_invocation(ctx)
    waves = table_waves(ctx, cells, opts)
    n = sum(len(w) for w in waves)
    ctx.echo(
        f"{ctx.table}: {len(waves[0])} shared job(s), then {len(waves[1])} cell job(s) on "
        f"{opts.executor} (folder {opts.folder})"
        if n
        else f"{ctx.table}: no job to run"
    )
    return run_waves(waves, opts, ctx.echo)


# -- status ------------------------------------------------------------------------------------------
def save_invocation(ctx: TableContext) -> Path:
    """``<outdir>/jobs/<table>.json``: what rebuilds the table's cells for ``igbench status``."""
    path = jobs_folder(ctx.outdir) / f"{ctx.table}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "table": ctx.table,
        "preset": ctx.preset.name,
        "source": ctx.source,
        "classifier": None if ctx.classifier is None else str(ctx.classifier),
        "iterations": ctx.iterations,
        "device": ctx.device,
        "selection": {k: v for k, v in ctx.selection.items() if v is not None},
    }
    path.write_text(json.dumps(data, indent=1) + "\n")
    return path


def saved_tables(outdir: Path) -> list[tuple[TableContext, list[Cell]]]:
    out = []
    for path in sorted(jobs_folder(outdir).glob("table*.json")):
        data = json.loads(path.read_text())
        ctx = TableContext(
            table=data["table"],
            preset=table_preset(data["preset"]),
            outdir=Path(outdir),
            source=data["source"],
            classifier=None if data["classifier"] is None else Path(data["classifier"]),
            iterations=data["iterations"],
            device=data["device"],
            selection=data["selection"],
        )
        out.append((ctx, table_cells(ctx.table, ctx.preset, **ctx.selection)))
    return out


def status_lines(outdir: Path) -> list[str]:
    """What ``igbench status OUTDIR`` prints: every job and its state, then every cell's."""
    outdir = Path(outdir)
    lines: list[str] = []
    states = job_states(jobs_folder(outdir))
    if states:
        width = max(len(rec.name) for rec, _ in states)
        lines.append(f"jobs ({jobs_folder(outdir) / 'jobs.jsonl'}):")
        for rec, state in states:
            log = rec.paths(jobs_folder(outdir)).stderr
            lines.append(
                f"  {rec.name:<{width}}  {rec.executor} job {rec.job_id:<10} {state:<10} {log}"
            )
    tables = saved_tables(outdir)
    for ctx, cells in tables:
        results = [cell_result(ctx, c) for c in dict((c.key, c) for c in cells).values()]
        done = sum(r.state == "done" for r in results)
        lines.append(f"{ctx.table} cells ({ctx.preset.name} preset): {done} of {len(results)} done")
        lines += [f"  {r.line()}" for r in results]
    if not tables:
        runs = sorted(p for p in (outdir / "runs").glob("*") if p.is_dir())
        if runs:
            lines.append(f"runs ({outdir / 'runs'}):")
            lines += [f"  {p.name}: iteration {final_iteration(p)}" for p in runs]
    if not lines:
        raise FileNotFoundError(f"{outdir}: no jobs, table or runs here")
    return lines
